"""A guestbook kept with Python's ``sqlite3``, written as for Tornado: the same file runs on
real Tornado (the standard library's module, a file in its working directory) and on gale
(the plugin's own database, which no other plugin reaches, its statements off the loop)."""

import tornado.web
import sqlite3


def connect():
    """The guestbook's database, its table made."""
    conn = sqlite3.connect("guestbook.db")
    conn.execute("CREATE TABLE IF NOT EXISTS entries (id INTEGER PRIMARY KEY, "
                 "name TEXT UNIQUE NOT NULL, message TEXT, stars REAL, avatar BLOB)")
    return conn


def entry(row):
    """A row as JSON, with the Python type of each value."""
    avatar = row["avatar"]
    return {"id": row["id"], "name": row["name"], "message": row[2], "stars": row["stars"],
            "avatar": None if avatar is None else avatar.hex(),
            "types": [type(value).__name__ for value in row]}


class EntriesHandler(tornado.web.RequestHandler):
    """GET the entries whose name is LIKE ``q``; POST one (409 for a name signed already)."""

    def get(self):
        conn = connect()
        conn.row_factory = sqlite3.Row
        cursor = conn.execute("SELECT id, name, message, stars, avatar FROM entries "
                              "WHERE name LIKE ? ORDER BY id", (self.get_argument("q", "%"),))
        rows = cursor.fetchall()
        self.write({"columns": [column[0] for column in cursor.description],
                    "rowcount": cursor.rowcount, "entries": [entry(row) for row in rows]})
        conn.close()

    def post(self):
        conn = connect()
        avatar = self.get_argument("avatar", "").encode() or None
        try:
            with conn:
                cursor = conn.execute(
                    "INSERT INTO entries (name, message, stars, avatar) VALUES (?, ?, ?, ?)",
                    (self.get_argument("name"), self.get_argument("message", None),
                     float(self.get_argument("stars", "0")), avatar))
            self.set_status(201)
            self.write({"id": cursor.lastrowid, "rowcount": cursor.rowcount})
        except sqlite3.IntegrityError as error:
            self.set_status(409)
            self.write({"error": type(error).__name__, "message": str(error)})
        finally:
            conn.close()


class BatchHandler(tornado.web.RequestHandler):
    """POST ``names``: added together with ``executemany``, then kept or, with ``undo``,
    rolled back; one name signed already undoes them all (409). Answers what the table
    holds after."""

    def post(self):
        conn = connect()
        names = [(name, "batch") for name in self.get_argument("names").split(",")]
        try:
            added = conn.executemany("INSERT INTO entries (name, message) VALUES (?, ?)",
                                     names).rowcount
            if self.get_argument("undo", None):
                conn.rollback()
            else:
                conn.commit()
        except sqlite3.IntegrityError as error:
            conn.rollback()
            self.set_status(409)
            added = str(error)
        count = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
        self.write({"added": added, "count": count, "in_transaction": conn.in_transaction})
        conn.close()


class UncommittedHandler(tornado.web.RequestHandler):
    """POST: an insert never committed, the connection closed: it is not kept."""

    def post(self):
        conn = connect()
        conn.execute("INSERT INTO entries (name) VALUES ('never kept')")
        conn.close()
        self.write({"kept": connect().execute(
            "SELECT count(*) FROM entries WHERE name = 'never kept'").fetchone()[0]})


class FetchHandler(tornado.web.RequestHandler):
    """GET: one result read with fetchone, fetchmany, iteration and fetchall."""

    def get(self):
        cursor = connect().execute(
            "SELECT * FROM (VALUES (1, 'a', 1.5, NULL), (2, 'b', 2.5, x'00ff'), (3, 'c', 0.0, "
            "NULL), (4, 'd', -1.0, NULL)) ORDER BY 1")
        first = cursor.fetchone()
        two = cursor.fetchmany(2)
        rest = [row for row in cursor]
        self.write({"first": repr(first), "two": repr(two), "rest": repr(rest),
                    "after": repr(cursor.fetchall()), "none": repr(cursor.fetchone())})


ERRORS = {
    "syntax": ("SELEC 1", ()),
    "table": ("SELECT * FROM missing", ()),
    "bindings": ("SELECT ?", (1, 2)),
    "type": ("SELECT ?", (object(),)),
}


class ErrorsHandler(tornado.web.RequestHandler):
    """GET /errors/KIND: the exception a bad statement raises, its class and message."""

    def get(self, kind):
        conn = connect()
        if kind == "closed":
            conn.close()
        sql, parameters = ERRORS.get(kind, ("SELECT 1", ()))
        try:
            conn.execute(sql, parameters)
            self.write({"error": None})
        except sqlite3.Error as error:
            self.write({"error": type(error).__name__, "message": str(error),
                        "database_error": isinstance(error, sqlite3.DatabaseError)})


def make_app():
    return tornado.web.Application([
        (r"/entries", EntriesHandler),
        (r"/entries/batch", BatchHandler),
        (r"/entries/uncommitted", UncommittedHandler),
        (r"/fetch", FetchHandler),
        (r"/errors/(\w+)", ErrorsHandler),
    ])
