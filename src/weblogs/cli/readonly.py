"""What `weblogs sql` runs: one statement that reads, checked before anything runs.

spark.sql() executes DDL and DML at once, even over Spark Connect, so a write has to be
refused before the text reaches the engine. The check reads the statement as the engine's
lexer would (comments, string literals, quoted identifiers, `;`) and allows a statement only
if it starts like a read and holds none of the words that make Spark SQL write (WITH ... INSERT
and FROM ... INSERT start like reads). Engines differ in two lexing details, backslash escapes
in strings and nested block comments, so the text is read both ways and must pass both.
Tables change through the dbt models, which keep the catalog and the tests consistent.
"""

from __future__ import annotations

from weblogs.errors import UsageError

READ_STATEMENTS = (
    "SELECT", "WITH", "VALUES", "TABLE", "FROM", "SHOW", "DESCRIBE", "DESC", "EXPLAIN",
)  # fmt: skip
# The words of Spark SQL's writing statements; none occurs in a read.
WRITE_WORDS = frozenset((
    "INSERT", "UPDATE", "DELETE", "MERGE", "INTO", "OVERWRITE", "CREATE", "DROP", "ALTER",
    "TRUNCATE", "LOAD",
))  # fmt: skip
# A line comment ends at any line break an engine may take for one: ending it early only
# shows the check more words, never fewer.
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
# What may follow DESCRIBE other than a table's name: the statement is left as it is
# (DETAIL and HISTORY are Delta's: `DESCRIBE TABLE DETAIL t` names a table `detail`).
DESCRIBES_OTHER = frozenset((
    "TABLE", "FUNCTION", "CATALOG", "DATABASE", "SCHEMA", "NAMESPACE", "QUERY", "SELECT",
    "WITH", "VALUES", "FROM", "MAP", "REDUCE", "DETAIL", "HISTORY",
))  # fmt: skip
WHERE_CHANGES_GO = (
    "there is no write mode: tables change through the dbt models, `weblogs build`, "
    "which keep the catalog consistent"
)


def check_read_only(sql: str) -> None:
    """Refuse, in one line, text that is not exactly one reading statement."""
    for nested_comments, backslash_escapes in ((True, True), (False, False)):
        statements = statement_words(sql, nested_comments, backslash_escapes)
        if not statements:
            raise UsageError("no statement to run")
        if len(statements) > 1:
            raise UsageError(f"one statement at a time, and this text holds {len(statements)}")
        words = statements[0]
        writes = [word for word in words if word in WRITE_WORDS]
        if writes:
            raise UsageError(f"reads only, and {writes[0]} writes ({WHERE_CHANGES_GO})")
        if words[0] not in READ_STATEMENTS:
            raise UsageError(
                f"reads only: {', '.join(READ_STATEMENTS)}; {words[0]} is none of them "
                f"({WHERE_CHANGES_GO})"
            )


def statement_words(sql: str, nested_comments: bool, backslash_escapes: bool) -> list[list[str]]:
    """The words of each statement (upper case), outside comments, strings and quoted names."""
    statements: list[list[str]] = [[]]
    at, end = 0, len(sql)
    while at < end:
        char = sql[at]
        if sql.startswith("--", at):
            at = next((i for i in range(at, end) if sql[i] in LINE_BREAKS), end)
        elif sql.startswith("/*", at):
            at = block_comment_end(sql, at, nested_comments)
        elif char in "'\"":
            at = quoted_end(sql, at, backslash_escapes)
        elif char == "`":
            at = quoted_end(sql, at, backslash_escapes=False)
        elif char == ";":
            statements.append([])
            at += 1
        elif char.isalnum() or char == "_":
            start = at
            while at < end and (sql[at].isalnum() or sql[at] == "_"):
                at += 1
            if sql[start:at] in ("r", "R") and at < end and sql[at] in "'\"":
                at = quoted_end(sql, at, backslash_escapes=False)  # a raw string, r'...'
            else:
                statements[-1].append(sql[start:at].upper())
        else:
            at += 1
    return [words for words in statements if words]


def block_comment_end(sql: str, at: int, nested: bool) -> int:
    depth = 0
    while at < len(sql):
        if sql.startswith("/*", at) and (nested or depth == 0):
            depth, at = depth + 1, at + 2
        elif sql.startswith("*/", at):
            depth, at = depth - 1, at + 2
            if depth == 0:
                return at
        else:
            at += 1
    return at


def quoted_end(sql: str, at: int, backslash_escapes: bool) -> int:
    """The end of the string or quoted name opening at `at`; a doubled quote stays inside
    (for names; for strings it is two adjacent literals, which lex the same)."""
    quote = sql[at]
    at += 1
    while at < len(sql):
        if backslash_escapes and sql[at] == "\\":
            at += 2
        elif sql[at] == quote:
            if sql.startswith(quote * 2, at):
                at += 2
            else:
                return at + 1
        else:
            at += 1
    return at


def with_table_keyword(sql: str) -> str:
    """`DESCRIBE name` (or `DESC name`) as `DESCRIBE TABLE name`: Spark takes both, the
    embedded engine's parser only the second, and said so with a position in the text."""
    first = _after_space(sql, 0)
    word = _word(sql, first)
    if word.upper() not in ("DESCRIBE", "DESC"):
        return sql
    second = _after_space(sql, first + len(word))
    if second >= len(sql) or sql[second] in "(;" or _word(sql, second).upper() in DESCRIBES_OTHER:
        return sql
    return f"{sql[:second]}TABLE {sql[second:]}"


def _after_space(sql: str, at: int) -> int:
    """Where the next word starts: past white space and comments."""
    while at < len(sql):
        if sql[at].isspace():
            at += 1
        elif sql.startswith("--", at):
            at = next((i for i in range(at, len(sql)) if sql[i] in LINE_BREAKS), len(sql))
        elif sql.startswith("/*", at):
            at = block_comment_end(sql, at, nested=True)
        else:
            break
    return at


def _word(sql: str, at: int) -> str:
    end = at
    while end < len(sql) and (sql[end].isalnum() or sql[end] == "_"):
        end += 1
    return sql[at:end]
