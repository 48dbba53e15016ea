"""The course's last exercise, as a student writes it with PyMySQL: register and login by
hand, a ``users`` table with a unique account, uuid ids, a salted password hash, and a
session id in a cookie. The same file runs on real Tornado with real PyMySQL (each call
blocking its loop) and on gale, where the operator gives the plugin its database
(``--plugin-database course=mysql://…``) and the connection's arguments below are ignored.
"""

import datetime
import hashlib
import os
import uuid

import pymysql
import pymysql.cursors
import tornado.web

DB = dict(host=os.environ.get("MYSQL_HOST", "127.0.0.1"),
          port=int(os.environ.get("MYSQL_PORT", "3306")),
          user=os.environ.get("MYSQL_USER", "root"),
          password=os.environ.get("MYSQL_PASSWORD", ""),
          database=os.environ.get("MYSQL_DATABASE", "course"),
          charset="utf8mb4")

TABLES = (
    "CREATE TABLE IF NOT EXISTS users (id CHAR(36) PRIMARY KEY, "
    "account VARCHAR(64) NOT NULL UNIQUE, password CHAR(64) NOT NULL, salt CHAR(32) NOT NULL, "
    "created DATETIME NOT NULL, balance DECIMAL(10,2) NOT NULL DEFAULT 0, avatar VARBINARY(16))",
    "CREATE TABLE IF NOT EXISTS sessions (id CHAR(32) PRIMARY KEY, user_id CHAR(36) NOT NULL)",
    "CREATE TABLE IF NOT EXISTS posts (id INT AUTO_INCREMENT PRIMARY KEY, "
    "user_id CHAR(36) NOT NULL, title VARCHAR(200) NOT NULL)",
)
_tables_made = False


def connect(cursorclass=pymysql.cursors.DictCursor):
    """A connection per request, as the course writes it; the tables made the first time."""
    global _tables_made
    conn = pymysql.connect(cursorclass=cursorclass, **DB)
    if not _tables_made:
        with conn.cursor() as cur:
            for table in TABLES:
                cur.execute(table)
        _tables_made = True
    return conn


def hashed(password, salt):
    return hashlib.sha256((salt + password).encode()).hexdigest()


def failure(handler, error):
    """A PyMySQL error as JSON, with the status the course gives it."""
    handler.set_status(409 if isinstance(error, pymysql.err.IntegrityError) else 400)
    handler.write({"error": type(error).__name__, "code": error.args[0],
                   "message": error.args[1] if len(error.args) > 1 else ""})


class RegisterHandler(tornado.web.RequestHandler):
    def post(self):
        salt = uuid.uuid4().hex
        conn = connect()
        try:
            with conn.cursor() as cur:
                created = datetime.datetime(2026, 12, 5, 17, 3, 9)
                count = cur.execute(
                    "INSERT INTO users (id, account, password, salt, created, balance, avatar) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (str(uuid.uuid4()), self.get_argument("account"),
                     hashed(self.get_argument("password"), salt), salt, created,
                     self.get_argument("balance", "0"),
                     self.get_argument("avatar", "").encode() or None))
            conn.commit()
            self.set_status(201)
            self.write({"registered": self.get_argument("account"), "rowcount": count})
        except pymysql.err.MySQLError as error:
            conn.rollback()
            failure(self, error)
        finally:
            conn.close()


class LoginHandler(tornado.web.RequestHandler):
    def post(self):
        conn = connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT id, password, salt FROM users WHERE account = %(account)s",
                            {"account": self.get_argument("account")})
                user = cur.fetchone()
                if user is None or user["password"] != hashed(self.get_argument("password"),
                                                              user["salt"]):
                    self.set_status(403)
                    self.write({"error": "wrong account or password"})
                    return
                session = uuid.uuid4().hex
                cur.execute("INSERT INTO sessions (id, user_id) VALUES (%s, %s)",
                            (session, user["id"]))
            conn.commit()
            self.set_cookie("session", session)
            self.write({"logged_in": self.get_argument("account")})
        finally:
            conn.close()


def account_of(me):
    """The logged-in account's row as ``/me`` answers it, with each value's Python type."""
    return {"account": me["account"], "balance": str(me["balance"]),
            "created": me["created"].isoformat(),
            "avatar": None if me["avatar"] is None else me["avatar"].hex(),
            "types": {name: type(value).__name__ for name, value in me.items()}}


class MeHandler(tornado.web.RequestHandler):
    def get(self):
        conn = connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT u.account, u.balance, u.created, u.avatar FROM sessions s "
                            "JOIN users u ON u.id = s.user_id WHERE s.id = %s",
                            (self.get_cookie("session", ""),))
                me = cur.fetchone()
            if me is None:
                self.set_status(401)
                self.write({"error": "log in first"})
                return
            self.write(account_of(me))
        finally:
            conn.close()


class PostsHandler(tornado.web.RequestHandler):
    """POST ``titles`` (comma-separated): added with ``executemany``, kept or, with
    ``undo``, rolled back; GET the posts whose ids are among ``ids``."""

    def post(self):
        conn = connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT id FROM users ORDER BY account LIMIT 1")
                user = cur.fetchone()["id"]
                titles = self.get_argument("titles").split(",")
                count = cur.executemany("INSERT INTO posts (user_id, title) VALUES (%s, %s)",
                                        [(user, title) for title in titles])
                last = cur.lastrowid
            if self.get_argument("undo", None):
                conn.rollback()
            else:
                conn.commit()
            self.write({"rowcount": count, "lastrowid": last, "insert_id": conn.insert_id()})
        finally:
            conn.close()

    def get(self):
        ids = tuple(int(i) for i in self.get_argument("ids").split(","))
        conn = connect(pymysql.cursors.Cursor)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT id, title FROM posts WHERE id IN %s AND title LIKE %s "
                            "ORDER BY id", (ids, self.get_argument("like", "%")))
                self.write({"rows": [list(row) for row in cur.fetchall()],
                            "rowcount": cur.rowcount,
                            "more": cur.fetchone() is None})
        finally:
            conn.close()


class ValuesHandler(tornado.web.RequestHandler):
    """MySQL's types as PyMySQL gives them, and the columns it describes."""

    def get(self):
        conn = connect(pymysql.cursors.Cursor)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT CAST(1.50 AS DECIMAL(5,2)) AS d, DATE('2026-12-05') AS day, "
                            "TIMESTAMP('2026-12-05 17:03:09.25') AS at, _binary 'ab' AS b, "
                            "%s AS u, NULL AS n, 42 AS i, 1.5e0 AS f, "
                            "TIMEDIFF('12:00:00', '10:30:00') AS span, 18446744073709551615 AS big",
                            ("é☃",))
                row = cur.fetchone()
                self.write({"values": [repr(value) for value in row],
                            "description": [list(column[:2]) for column in cur.description],
                            "empty": list(cur.fetchall())})
        finally:
            conn.close()


class ErrorsHandler(tornado.web.RequestHandler):
    def get(self, which):
        statements = {"syntax": "SELEC 1", "table": "SELECT * FROM nowhere",
                      "column": "SELECT nothing FROM users"}
        conn = connect()
        try:
            with conn.cursor() as cur:
                cur.execute(statements[which])
        except pymysql.err.MySQLError as error:
            failure(self, error)
        finally:
            conn.close()


def make_app():
    return tornado.web.Application([
        (r"/register", RegisterHandler),
        (r"/login", LoginHandler),
        (r"/me", MeHandler),
        (r"/posts", PostsHandler),
        (r"/values", ValuesHandler),
        (r"/errors/(\w+)", ErrorsHandler),
    ])
