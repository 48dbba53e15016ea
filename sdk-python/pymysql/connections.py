"""PyMySQL's ``Connection``, on the MySQL database the operator gives the plugin.

gale's host holds the connections (a pool per plugin and worker), so ``connect()`` per
request, as the course writes it, costs no handshake, and a query waits off the event loop.
Where and as whom is the operator's to say (``--plugin-database PLUGIN=mysql://…``):
``connect()``'s ``host``, ``user``, ``password`` and ``database`` are read and ignored, which
gale's log says once.
"""

import re

from gale import _runtime
from gale._host import Err, database
from gale.log import gen_log
from pymysql import cursors, err

__all__ = ["Connection"]

# A read that takes no locks, which needs no transaction of its own.
_PLAIN_READ = re.compile(r"(?!.*\b(?:FOR\s+UPDATE|FOR\s+SHARE|LOCK\s+IN\s+SHARE\s+MODE)\b)"
                         r"\s*(?:--[^\n]*\n\s*|#[^\n]*\n\s*|/\*.*?\*/\s*)*"
                         r"(?:\(|SELECT|SHOW|DESC|DESCRIBE|EXPLAIN)\b", re.IGNORECASE | re.DOTALL)
# The name of the database the operator gives the plugin.
_GIVEN = "default"
# Whether the given database has answered as MySQL in this instance.
_checked = False
_said_ignored = False


class Connection:
    """A connection to the plugin's MySQL database (see the module's text)."""

    def __init__(self, *args, host=None, user=None, password="", database=None, port=0,
                 autocommit=False, cursorclass=cursors.Cursor, db=None, passwd=None,
                 **kwargs):
        global _said_ignored
        self._name = _GIVEN
        self.cursorclass = cursorclass
        self.autocommit_mode = bool(autocommit)
        self.host, self.port, self.user, self.db = host, port, user, database or db
        self.encoding, self.charset = "utf8", kwargs.get("charset", "utf8mb4")
        self._transaction = None  # the request that began the open transaction
        self._closed = False
        self._insert_id = 0
        if (args or host or user) and not _said_ignored:
            _said_ignored = True
            gen_log.info("pymysql.connect(): gale connects to the database the operator gave "
                         "this plugin (--plugin-database); host, user, password and database "
                         "given here are ignored")
        self._check_given()

    def _check_given(self):
        """Raises 2003 at ``connect()``, as PyMySQL would, when no MySQL database is given."""
        global _checked
        if _checked:
            return
        try:
            database.query(self._name, "SELECT VERSION()", [])
        except Err:
            raise err.OperationalError(
                err.CR_CONN_HOST_ERROR,
                "Can't connect to MySQL server: gale gives a plugin a MySQL database with "
                "--plugin-database PLUGIN=mysql://USER:PASSWORD@HOST:PORT/DATABASE") from None
        _checked = True

    def _call(self, function, *args):
        try:
            result = function(*args)
        except Err as refused:
            raise err.raised(refused.value) from None
        # As PyMySQL's, the last statement's: a query, COMMIT or BEGIN made none.
        self._insert_id = getattr(result, "last_insert_id", 0)
        return result

    @property
    def open(self):
        """Whether it is open."""
        return not self._closed

    def _check(self):
        if self._closed:
            raise err.InterfaceError(0, "")

    def _in_transaction(self):
        return self._transaction is not None and self._transaction == _runtime.current_request()

    def _statement(self, sql):
        """The database ``sql`` runs on; with autocommit off, in the request's transaction
        from its first statement that is not a plain read (a read before it needs none: one
        round trip, not three, for a request that only reads)."""
        self._check()
        if not self.autocommit_mode and not _PLAIN_READ.match(sql):
            self.begin()
        return self._name

    def begin(self):
        """Begins a transaction (if none is open in this request)."""
        self._check()
        if not self._in_transaction():
            self._call(database.begin, self._name)
            self._transaction = _runtime.current_request()

    def _end(self, end):
        self._check()
        self._insert_id = 0
        if self._in_transaction():
            self._call(end, self._name)
        self._transaction = None

    def commit(self):
        """Makes the transaction's changes last."""
        self._end(database.commit)

    def rollback(self):
        """Undoes the transaction's changes."""
        self._end(database.rollback)

    def autocommit(self, value):
        """Turns autocommit on or off (on: each statement is its own transaction)."""
        self.autocommit_mode = bool(value)
        if self.autocommit_mode:
            self.commit()

    def get_autocommit(self):
        """Whether autocommit is on."""
        return self.autocommit_mode

    def cursor(self, cursor=None):
        """A new cursor, of ``cursor`` or the connection's ``cursorclass``."""
        self._check()
        return (cursor or self.cursorclass)(self)

    def insert_id(self):
        """The last ``AUTO_INCREMENT`` value an ``INSERT`` made."""
        return self._insert_id

    def ping(self, reconnect=True):
        """Checks the connection (the host's pool keeps them alive)."""
        self._check()

    def select_db(self, db):
        """Not here: the plugin's database is the operator's choice."""
        raise err.NotSupportedError(1235, "gale: the plugin's database is the operator's "
                                          "choice (--plugin-database)")

    def close(self):
        """Closes it; what was not committed is rolled back, as MySQL does."""
        if self._closed:
            raise err.Error("Already closed")
        self.rollback()
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
