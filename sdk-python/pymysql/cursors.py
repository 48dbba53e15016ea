"""PyMySQL's cursors: ``Cursor`` gives rows as tuples, ``DictCursor`` as dicts by column name.

``execute`` takes PyMySQL's ``%s`` (with a sequence) or ``%(name)s`` (with a dict); gale
hands each value to MySQL as a bound parameter of a prepared statement rather than splicing
it into the text, so a value is never SQL. A list or tuple value stands for ``(a, b, c)``,
as in ``WHERE id IN %s``.
"""

import datetime
import decimal
import re

from gale._host import database
from pymysql import err
from pymysql.constants import FIELD_TYPE

__all__ = ["Cursor", "DictCursor", "SSCursor", "SSDictCursor"]

# Statements that answer with rows; every other one reports what it changed.
_ANSWERS_ROWS = re.compile(r"\s*(?:--[^\n]*\n\s*|#[^\n]*\n\s*|/\*.*?\*/\s*)*(?:\(|SELECT|SHOW|"
                           r"DESC|DESCRIBE|EXPLAIN|WITH|VALUES|TABLE|HELP)\b|.*\bRETURNING\b",
                           re.IGNORECASE | re.DOTALL)
_PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?(?P<kind>.)", re.DOTALL)
# PyMySQL's: an INSERT or REPLACE whose rows ``executemany`` sends as one statement.
_INSERT_VALUES = re.compile(r"\s*((?:INSERT|REPLACE)\b.+\bVALUES?\s*)"
                            r"(\(\s*(?:%s|%\(.+\)s)\s*(?:,\s*(?:%s|%\(.+\)s)\s*)*\))"
                            r"(\s*(?:ON DUPLICATE.*)?);?\s*\Z", re.IGNORECASE | re.DOTALL)
# The parameters one statement may bind in gale.
_MAX_PARAMETERS = 100

_TYPE_CODES = {
    "DECIMAL": FIELD_TYPE.NEWDECIMAL, "BOOLEAN": FIELD_TYPE.TINY, "TINYINT": FIELD_TYPE.TINY,
    "SMALLINT": FIELD_TYPE.SHORT, "MEDIUMINT": FIELD_TYPE.INT24, "INT": FIELD_TYPE.LONG,
    "BIGINT": FIELD_TYPE.LONGLONG, "FLOAT": FIELD_TYPE.FLOAT, "DOUBLE": FIELD_TYPE.DOUBLE,
    "NULL": FIELD_TYPE.NULL, "TIMESTAMP": FIELD_TYPE.TIMESTAMP, "DATE": FIELD_TYPE.DATE,
    "TIME": FIELD_TYPE.TIME, "DATETIME": FIELD_TYPE.DATETIME, "YEAR": FIELD_TYPE.YEAR,
    "BIT": FIELD_TYPE.BIT, "JSON": FIELD_TYPE.JSON, "ENUM": FIELD_TYPE.STRING,
    "SET": FIELD_TYPE.STRING, "GEOMETRY": FIELD_TYPE.GEOMETRY, "CHAR": FIELD_TYPE.STRING,
    "BINARY": FIELD_TYPE.STRING, "VARCHAR": FIELD_TYPE.VAR_STRING,
    "VARBINARY": FIELD_TYPE.VAR_STRING, "TINYTEXT": FIELD_TYPE.BLOB,
    "TEXT": FIELD_TYPE.BLOB, "MEDIUMTEXT": FIELD_TYPE.BLOB, "LONGTEXT": FIELD_TYPE.BLOB,
    "TINYBLOB": FIELD_TYPE.BLOB, "BLOB": FIELD_TYPE.BLOB, "MEDIUMBLOB": FIELD_TYPE.BLOB,
    "LONGBLOB": FIELD_TYPE.BLOB,
}


def _bound(value):
    """A parameter as the host binds it (PyMySQL's encoders, as values rather than text)."""
    if value is None:
        return database.Value_Null()
    if isinstance(value, (bool, int)):
        if -2 ** 63 <= value < 2 ** 63:
            return database.Value_Integer(int(value))
        return database.Value_Text(str(value))
    if isinstance(value, float):
        return database.Value_Real(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return database.Value_Blob(bytes(value))
    if isinstance(value, datetime.datetime):
        return database.Value_Text(value.isoformat(" "))
    if isinstance(value, datetime.timedelta):
        seconds = int(value.total_seconds())
        sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
        return database.Value_Text("%s%d:%02d:%02d" % (sign, seconds // 3600,
                                                      seconds // 60 % 60, seconds % 60))
    if isinstance(value, (datetime.date, datetime.time)):
        return database.Value_Text(value.isoformat())
    return database.Value_Text(str(value))  # PyMySQL's fallback: the value's text


def _prepared(query, args):
    """``query`` with PyMySQL's placeholders made ``?``, and the values to bind in order.
    As PyMySQL formats only when given arguments, ``%%`` stays as written without them."""
    if args is None:
        return query, []
    if not isinstance(args, (tuple, list, dict)):
        args = (args,)
    values, position = [], iter(range(len(args))) if not isinstance(args, dict) else None

    def placeholder(found):
        kind, name = found.group("kind"), found.group("name")
        if kind == "%" and name is None:
            return "%"
        if kind != "s":
            raise ValueError("unsupported format character '%s' (0x%x)" % (kind, ord(kind)))
        if name is not None:
            if not isinstance(args, dict):
                raise TypeError("format requires a mapping")
            value = args[name]
        else:
            if position is None:
                raise TypeError("format requires a mapping")
            at = next(position, None)
            if at is None:
                raise TypeError("not enough arguments for format string")
            value = args[at]
        if isinstance(value, (tuple, list, set, frozenset)):
            values.extend(value)
            return "(" + ", ".join("?" * len(value)) + ")"
        values.append(value)
        return "?"

    text = _PLACEHOLDER.sub(placeholder, query)
    if position is not None and next(position, None) is not None:
        raise TypeError("not all arguments converted during string formatting")
    return text, values


def _python(cell, type_name):
    """A cell as PyMySQL's converters give it, by its column's type."""
    if isinstance(cell, database.Value_Null):
        return None
    if isinstance(cell, database.Value_Blob):
        return bytes(cell.value)
    value = cell.value
    if not isinstance(value, str):
        return value
    try:
        if type_name == "DECIMAL":
            return decimal.Decimal(value)
        if type_name == "DATE":
            return datetime.date.fromisoformat(value)
        if type_name in ("DATETIME", "TIMESTAMP"):
            return datetime.datetime.fromisoformat(value)
        if type_name == "TIME":
            sign, hms = (-1, value[1:]) if value.startswith("-") else (1, value)
            hours, minutes, seconds = hms.split(":")
            return sign * datetime.timedelta(hours=int(hours), minutes=int(minutes),
                                             seconds=float(seconds))
        if type_name and type_name.endswith("UNSIGNED"):
            return int(value)
    except ValueError:
        return value  # PyMySQL gives a zero or invalid date back as its text
    return value


class Cursor:
    """A statement's results, as tuples."""

    arraysize = 1

    def __init__(self, connection):
        self.connection = connection
        self.description = None
        self.rowcount = -1
        self.lastrowid = None
        self.rownumber = 0
        self._rows = ()
        self._executed = None

    def _connection(self):
        if self.connection is None:
            raise err.ProgrammingError("Cursor closed")
        return self.connection

    def close(self):
        """Closes the cursor (its rows are dropped)."""
        self.connection, self._rows = None, ()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def execute(self, query, args=None):
        """Runs one statement; returns the rows it changed or answered with."""
        sql, values = _prepared(query, args)
        return self._run(sql, values, query)

    def _run(self, sql, values, query):
        """Runs ``sql`` (placeholders ``?``) with ``values`` bound."""
        connection = self._connection()
        params = [_bound(value) for value in values]
        name = connection._statement(sql)
        if _ANSWERS_ROWS.match(sql):
            rows = connection._call(database.query, name, sql, params)
            types = [column.declared_type for column in rows.columns]
            self.description = tuple(
                (column.name, _TYPE_CODES.get((kind or "").replace(" UNSIGNED", ""),
                                              FIELD_TYPE.VAR_STRING),
                 None, None, None, None, True)
                for column, kind in zip(rows.columns, types))
            self._rows = tuple(self._row(tuple(_python(cell, kind)
                                               for cell, kind in zip(row, types)))
                               for row in rows.rows)
            self.rowcount, self.lastrowid = len(self._rows), 0
        else:
            done = connection._call(database.execute, name, sql, params)
            self.description, self._rows = None, ()
            self.rowcount, self.lastrowid = done.rows_affected, done.last_insert_id
        self.rownumber, self._executed = 0, query
        return self.rowcount

    def executemany(self, query, args):
        """Runs the statement for each item of ``args``; returns the rows changed in all.
        An ``INSERT … VALUES`` sends its rows together, as PyMySQL does, in statements of
        at most 100 parameters."""
        if not args:
            return None
        found = _INSERT_VALUES.match(query)
        if not found:
            self.rowcount = sum(self.execute(query, arg) for arg in args)
            return self.rowcount
        prefix, row, postfix = found.group(1), found.group(2).rstrip(), found.group(3) or ""

        def sent(batch):
            sql = prefix + ",".join(text for text, _ in batch) + postfix
            return self._run(sql, [value for _, values in batch for value in values], query)

        total, batch, bound = 0, [], 0
        for text, values in (_prepared(row, arg) for arg in args):
            if batch and bound + len(values) > _MAX_PARAMETERS:
                total, batch, bound = total + sent(batch), [], 0
            batch.append((text, values))
            bound += len(values)
        self.rowcount = total + sent(batch)
        return self.rowcount

    def _row(self, values):
        return values

    def fetchone(self):
        """The next row, or ``None``."""
        self._connection()
        if self.rownumber >= len(self._rows):
            return None
        self.rownumber += 1
        return self._rows[self.rownumber - 1]

    def fetchmany(self, size=None):
        """Up to ``size`` (``arraysize``) next rows."""
        self._connection()
        end = self.rownumber + (size or self.arraysize)
        rows = self._rows[self.rownumber:end]
        self.rownumber = min(end, len(self._rows))
        return rows

    def fetchall(self):
        """Every row left."""
        self._connection()
        rows = self._rows[self.rownumber:]
        self.rownumber = len(self._rows)
        return rows

    def __iter__(self):
        return iter(self.fetchone, None)

    def setinputsizes(self, *args):
        """PEP 249's: nothing to do."""

    def setoutputsizes(self, *args):
        """PEP 249's: nothing to do."""


class DictCursor(Cursor):
    """A statement's results, as dicts by column name."""

    def _row(self, values):
        return dict(zip((column[0] for column in self.description), values))

    def fetchall(self):
        """Every row left, as a list (PyMySQL's ``DictCursor`` gives one)."""
        return list(super().fetchall())

    def fetchmany(self, size=None):
        """Up to ``size`` next rows, as a list."""
        return list(super().fetchmany(size))


# The host reads a result whole (within the handler's memory), so the unbuffered cursors
# are the buffered ones.
SSCursor = Cursor
SSDictCursor = DictCursor
