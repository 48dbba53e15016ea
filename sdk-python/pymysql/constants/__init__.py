"""PyMySQL's constants that code reads: the column type codes in ``description``."""
