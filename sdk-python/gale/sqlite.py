"""Python's ``sqlite3`` (PEP 249) over the plugin's own SQLite database, so code written for
Tornado with ``import sqlite3`` runs unchanged.

``sqlite3.connect("app.db")`` opens the plugin's database ``app``: the host keeps one file
per name for this plugin alone (the path and extension only choose the name). Statements
run in the host, off the event loop, within the handler's time. As in Python's own module,
an ``INSERT``, ``UPDATE``, ``DELETE`` or ``REPLACE`` opens a transaction that ``commit()``
ends, ``with connection:`` commits (or rolls back on an exception), and whatever is not
committed when the request ends is rolled back.

Parameters are ``?`` with a sequence. Not here: named parameters with a dict,
``executescript``, ``create_function``, ``:memory:`` databases (each raises
``NotSupportedError`` saying so).
"""

import re

from gale import _runtime
from gale._host import Err, database

__all__ = ["connect", "Connection", "Cursor", "Row", "Error", "Warning", "InterfaceError",
           "DatabaseError", "DataError", "OperationalError", "IntegrityError",
           "InternalError", "ProgrammingError", "NotSupportedError", "apilevel",
           "paramstyle", "threadsafety", "sqlite_version", "PARSE_DECLTYPES",
           "PARSE_COLNAMES"]

apilevel = "2.0"
paramstyle = "qmark"
threadsafety = 1
sqlite_version = "3.46.0"
sqlite_version_info = (3, 46, 0)
PARSE_DECLTYPES = 1
PARSE_COLNAMES = 2


class Warning(Exception):  # noqa: A001 - PEP 249's name
    """PEP 249's warning."""


class Error(Exception):
    """The base of the module's errors."""


class InterfaceError(Error):
    """A misuse of the interface."""


class DatabaseError(Error):
    """An error of the database."""


class DataError(DatabaseError):
    """A value the database cannot take."""


class OperationalError(DatabaseError):
    """The SQL cannot run: a syntax error, a missing table, a locked database."""


class IntegrityError(DatabaseError):
    """A constraint refused the change."""


class InternalError(DatabaseError):
    """The database's own failure."""


class ProgrammingError(DatabaseError):
    """A misuse: wrong number of parameters, a closed cursor or connection."""


class NotSupportedError(DatabaseError):
    """What gale's sandbox refuses or does not offer."""


def _raised(refusal):
    """The exception Python's ``sqlite3`` raises for the host's ``refusal``."""
    text = refusal.value
    if isinstance(refusal, database.DatabaseError_Constraint):
        return IntegrityError(text)
    if isinstance(refusal, database.DatabaseError_Refused):
        return NotSupportedError(text)
    if text.startswith("Incorrect number of bindings"):
        return ProgrammingError(text)
    return OperationalError(text)


def _call(function, *args):
    try:
        return function(*args)
    except Err as refused:
        raise _raised(refused.value) from None


def _value(value, at):
    """A parameter as the host takes it."""
    if value is None:
        return database.Value_Null()
    if isinstance(value, bool) or isinstance(value, int):
        return database.Value_Integer(int(value))
    if isinstance(value, float):
        return database.Value_Real(value)
    if isinstance(value, str):
        return database.Value_Text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return database.Value_Blob(bytes(value))
    raise ProgrammingError("Error binding parameter %d: type '%s' is not supported"
                           % (at, type(value).__name__))


def _python(cell):
    """A result's cell as Python's ``sqlite3`` gives it."""
    if isinstance(cell, database.Value_Null):
        return None
    if isinstance(cell, database.Value_Blob):
        return bytes(cell.value)
    return cell.value


def _name(path):
    """The database a file name stands for: its last part without extension."""
    if path == ":memory:" or str(path).startswith("file::memory:"):
        raise NotSupportedError("gale: ':memory:' databases are not there yet; name a file, "
                                "which is the plugin's own")
    stem = re.sub(r"\.[^.]*$", "", str(path).replace("\\", "/").rsplit("/", 1)[-1])
    return re.sub(r"[^A-Za-z0-9_]", "_", stem)[:64] or "default"


_OPENS_TRANSACTION = re.compile(r"\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(INSERT|UPDATE|DELETE|"
                                r"REPLACE)\b", re.IGNORECASE | re.DOTALL)
_CHANGES_ONLY = re.compile(r"\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(INSERT|UPDATE|DELETE|REPLACE|"
                           r"CREATE|DROP|ALTER|REINDEX|ANALYZE)\b(?!.*\bRETURNING\b)",
                           re.IGNORECASE | re.DOTALL)


def connect(database, timeout=5.0, detect_types=0, isolation_level="DEFERRED",
            check_same_thread=True, factory=None, cached_statements=128, uri=False, **kwargs):
    """Opens the plugin's database named by ``database`` (see the module's text)."""
    if detect_types:
        raise NotSupportedError("gale: detect_types is not there yet")
    return (factory or Connection)(_name(database), isolation_level)


class Connection:
    """A connection to one of the plugin's databases."""

    def __init__(self, name, isolation_level="DEFERRED"):
        self._name = name
        self.isolation_level = isolation_level
        self.row_factory = None
        self.text_factory = str
        self.total_changes = 0
        self._transaction = None  # the request that began the open transaction
        self._closed = False

    def _check(self):
        if self._closed:
            raise ProgrammingError("Cannot operate on a closed database.")

    def cursor(self, factory=None):
        """A new cursor."""
        self._check()
        return (factory or Cursor)(self)

    def execute(self, sql, parameters=()):
        """``cursor().execute(...)``, returning the cursor."""
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters):
        """``cursor().executemany(...)``, returning the cursor."""
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, script):
        raise NotSupportedError("gale: one statement per call; executescript is not there "
                                "yet: execute each statement")

    def create_function(self, *args, **kwargs):
        raise NotSupportedError("gale: functions in Python run in the plugin, not in SQLite")

    @property
    def in_transaction(self):
        """Whether a transaction is open. The host ends each with the request that began it,
        so a connection kept in module state (shared between requests) has none open in the
        next request."""
        return self._transaction is not None and self._transaction == _runtime.current_request()

    def _begin(self):
        if not self.in_transaction:
            _call(database.begin, self._name)
            self._transaction = _runtime.current_request()

    def _end(self, end):
        self._check()
        if self.in_transaction:
            _call(end, self._name)
        self._transaction = None

    def commit(self):
        """Makes the open transaction's changes last."""
        self._end(database.commit)

    def rollback(self):
        """Undoes the open transaction's changes."""
        self._end(database.rollback)

    def close(self):
        """Closes it, rolling back what was not committed."""
        if not self._closed:
            self.rollback()
            self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.commit()
        else:
            self.rollback()
        return False


class Cursor:
    """A statement's results, read a row at a time or all at once."""

    arraysize = 1

    def __init__(self, connection):
        self.connection = connection
        self.row_factory = connection.row_factory
        self.description = None
        self.rowcount = -1
        self.lastrowid = None
        self._rows = []
        self._closed = False

    def execute(self, sql, parameters=()):
        """Runs one statement with its ``?`` parameters."""
        self._check()
        if isinstance(parameters, dict):
            raise NotSupportedError("gale: named parameters are not there yet: use ? with a "
                                    "sequence")
        params = [_value(value, at) for at, value in enumerate(parameters, 1)]
        connection = self.connection
        if connection.isolation_level is not None and _OPENS_TRANSACTION.match(sql):
            connection._begin()
        if _CHANGES_ONLY.match(sql):
            done = _call(database.execute, connection._name, sql, params)
            self.description, self._rows = None, []
            self.rowcount, self.lastrowid = done.rows_affected, done.last_insert_id
            connection.total_changes += done.rows_affected
        else:
            rows = _call(database.query, connection._name, sql, params)
            self.description = tuple((column.name,) + (None,) * 6 for column in rows.columns)
            self._rows = [tuple(_python(cell) for cell in row) for row in rows.rows]
            self.rowcount = -1
        self._rows.reverse()
        return self

    def executemany(self, sql, seq_of_parameters):
        """Runs one statement once per parameter sequence; ``rowcount`` is their sum."""
        total = 0
        for parameters in seq_of_parameters:
            self.execute(sql, parameters)
            total += max(self.rowcount, 0)
        self.rowcount = total
        return self

    def _check(self):
        if self._closed:
            raise ProgrammingError("Cannot operate on a closed cursor.")
        self.connection._check()

    def _made(self, row):
        factory = self.row_factory
        return factory(self, row) if factory is not None else row

    def fetchone(self):
        """The next row, or ``None``."""
        self._check()
        return self._made(self._rows.pop()) if self._rows else None

    def fetchmany(self, size=None):
        """Up to ``size`` (``arraysize``) next rows."""
        size = self.arraysize if size is None else size
        return [row for row in (self.fetchone() for _ in range(size)) if row is not None]

    def fetchall(self):
        """Every row left."""
        rows = []
        while self._rows:
            rows.append(self.fetchone())
        return rows

    def close(self):
        """Closes it."""
        self._closed = True

    def __iter__(self):
        return self

    def __next__(self):
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row


class Row:
    """A row readable by index and by column name (case-insensitively), as ``sqlite3.Row``."""

    def __init__(self, cursor, values):
        self._names = [column[0] for column in cursor.description]
        self._values = tuple(values)

    def keys(self):
        """The column names."""
        return list(self._names)

    def __getitem__(self, key):
        if isinstance(key, (int, slice)):
            return self._values[key]
        for at, name in enumerate(self._names):
            if name.lower() == str(key).lower():
                return self._values[at]
        raise IndexError("No item with that key")

    def __len__(self):
        return len(self._values)

    def __iter__(self):
        return iter(self._values)

    def __eq__(self, other):
        return (isinstance(other, Row) and self._names == other._names
                and self._values == other._values)

    def __hash__(self):
        return hash((tuple(self._names), self._values))
