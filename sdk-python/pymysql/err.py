"""PyMySQL's exceptions (PEP 249's), each raised with MySQL's error number and message in
``args``, as PyMySQL raises them: ``except pymysql.err.IntegrityError as e: e.args[0] == 1062``.
"""

import re

from gale._host import database

__all__ = ["MySQLError", "Warning", "Error", "InterfaceError", "DatabaseError", "DataError",
           "OperationalError", "IntegrityError", "InternalError", "ProgrammingError",
           "NotSupportedError"]


class MySQLError(Exception):
    """The base of PyMySQL's exceptions."""


class Warning(Warning, MySQLError):  # noqa: A001 - PEP 249's name
    """PEP 249's warning."""


class Error(MySQLError):
    """The base of the errors."""


class InterfaceError(Error):
    """A misuse of the interface."""


class DatabaseError(Error):
    """An error of the database."""


class DataError(DatabaseError):
    """A value the column cannot take."""


class OperationalError(DatabaseError):
    """The database cannot do it now: it is unreachable, access is denied, a deadlock."""


class IntegrityError(DatabaseError):
    """A constraint refused the change (1062: a duplicate key)."""


class InternalError(DatabaseError):
    """The database's own failure."""


class ProgrammingError(DatabaseError):
    """The SQL is wrong: a syntax error (1064), a missing table (1146)."""


class NotSupportedError(DatabaseError):
    """What the database or gale's sandbox does not offer."""


# PyMySQL's own table (pymysql/err.py), by MySQL error number.
_BY_NUMBER = {}
for _kind, _numbers in (
        (ProgrammingError, (1007, 1064, 1102, 1103, 1110, 1111, 1112, 1113, 1146, 1149, 1166,
                            1179)),
        (DataError, (1171, 1230, 1263, 1264, 1265, 1366, 1367, 1406, 1441)),
        (IntegrityError, (1048, 1062, 1215, 1216, 1217, 1451, 1452)),
        (NotSupportedError, (1196, 1235, 1286, 1289)),
        (OperationalError, (1040, 1044, 1045, 1142, 1143, 1213, 4025))):
    for _number in _numbers:
        _BY_NUMBER[_number] = _kind

# The host keeps MySQL's number in its message as the ``mysql`` client shows it.
_NUMBERED = re.compile(r"ERROR (\d+): (.*)", re.DOTALL)

# What the client library itself raises when it cannot reach the server.
CR_CONN_HOST_ERROR = 2003


def raised(refusal):
    """The exception PyMySQL raises for the host's ``refusal`` of a database call."""
    text = refusal.value
    numbered = _NUMBERED.match(text)
    if numbered:
        number, message = int(numbered.group(1)), numbered.group(2)
        kind = _BY_NUMBER.get(number, InternalError if number < 1000 else OperationalError)
        return kind(number, message)
    if isinstance(refusal, database.DatabaseError_Unavailable):
        return OperationalError(CR_CONN_HOST_ERROR, "Can't connect to MySQL server (%s)" % text)
    if isinstance(refusal, database.DatabaseError_Constraint):
        return IntegrityError(text)
    if isinstance(refusal, database.DatabaseError_Refused):
        return OperationalError(text)
    return ProgrammingError(text)
