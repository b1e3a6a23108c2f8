"""Names and values written into Spark SQL text."""

from __future__ import annotations


def quote(identifier: str) -> str:
    """An identifier in backticks, a backtick inside it doubled."""
    return "`" + identifier.replace("`", "``") + "`"


def sql_string(value: str) -> str:
    """A string literal, with backslashes and quotes escaped as Spark SQL reads them."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
