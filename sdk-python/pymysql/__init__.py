"""PyMySQL's interface (``pymysql.connect``, cursors, ``pymysql.err``) over the MySQL
database the operator gives a gale plugin, so course code written for Tornado with PyMySQL
runs unchanged, without blocking the event loop.

See ``pymysql.connections`` for where it connects and ``pymysql.cursors`` for how values
are bound. Not here: ``select_db``, ``executescript``-like multi-statement text (one statement
per ``execute``), and server-side (unbuffered) results, which are read whole.
"""

import datetime

from pymysql import cursors
from pymysql.connections import Connection
from pymysql.constants import FIELD_TYPE
from pymysql.err import (DatabaseError, DataError, Error, IntegrityError, InterfaceError,
                         InternalError, MySQLError, NotSupportedError, OperationalError,
                         ProgrammingError, Warning)

__all__ = ["connect", "Connect", "Connection", "cursors", "FIELD_TYPE", "Warning", "Error",
           "InterfaceError", "DatabaseError", "DataError", "OperationalError",
           "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError",
           "MySQLError", "Date", "Time", "Timestamp", "Binary", "apilevel", "paramstyle",
           "threadsafety"]

VERSION = (1, 1, 1, "final", 1)
VERSION_STRING = "1.1.1"
version_info = (1, 4, 6, "final", 1)
__version__ = "1.4.6"
apilevel = "2.0"
threadsafety = 1
paramstyle = "pyformat"

Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime


def Binary(x):  # noqa: N802 - PEP 249's name
    """Bytes for a binary column."""
    return bytes(x)


def connect(*args, **kwargs):
    """A connection to the plugin's MySQL database (``pymysql.connections``)."""
    return Connection(*args, **kwargs)


Connect = connect
