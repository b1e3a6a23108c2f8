"""A catalog that outlives the process.

Sail keeps its catalog in memory, so every new process starts with no tables, views or
functions. The warehouse folder is the source of truth instead:

- tables: every ``<warehouse>/<schema>/<table>/_delta_log`` is re-attached with the exact
  schema (including nullability) recorded in its Delta log;
- functions: Python UDF definitions written by :func:`save_function` under ``_catalog/``;
- views: view definitions written by :func:`save_view` under ``_catalog/``, replayed after
  the tables and functions they may read.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from weblogs.files import write_atomically
from weblogs.functions import FunctionDefinition, register_function
from weblogs.layout import CATALOG_DIR, delta_tables
from weblogs.quoting import quote, sql_string

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

_restored: set[tuple[str, str]] = set()
# The Delta schema each table was attached with, per session (see refresh()), and the
# newest commit of its log when that schema was read (_newest_commit).
_attached: dict[tuple[str, str, str], tuple[str, tuple[int, int] | None]] = {}

_PRIMITIVES = {
    "string": "string",
    "long": "bigint",
    "integer": "int",
    "short": "smallint",
    "byte": "tinyint",
    "float": "float",
    "double": "double",
    "boolean": "boolean",
    "binary": "binary",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp_ntz": "timestamp_ntz",
}


def delta_type_to_ddl(delta_type: Any) -> str:
    """Spark DDL for a type as written in a Delta log's schema JSON."""
    if isinstance(delta_type, str):
        if delta_type.startswith("decimal"):
            return delta_type
        if delta_type not in _PRIMITIVES:
            raise ValueError(f"unsupported Delta column type: {delta_type}")
        return _PRIMITIVES[delta_type]
    kind = delta_type["type"]
    if kind == "array":
        return f"array<{delta_type_to_ddl(delta_type['elementType'])}>"
    if kind == "map":
        key = delta_type_to_ddl(delta_type["keyType"])
        return f"map<{key}, {delta_type_to_ddl(delta_type['valueType'])}>"
    if kind == "struct":
        fields = ", ".join(
            f"{quote(field['name'])}: {delta_type_to_ddl(field['type'])}"
            + ("" if field.get("nullable", True) else " not null")
            for field in delta_type["fields"]
        )
        return f"struct<{fields}>"
    raise ValueError(f"unsupported Delta column type: {delta_type}")


def columns_ddl(schema_json: str) -> str:
    """Column list for CREATE TABLE from a Delta schema JSON, nullability kept exactly."""
    fields = json.loads(schema_json)["fields"]
    return ", ".join(
        f"{quote(field['name'])} {delta_type_to_ddl(field['type'])}"
        + ("" if field.get("nullable", True) else " not null")
        for field in fields
    )


# Reads of a table's schema before its entry is created: each retry follows one more
# replacement of the table by a concurrent build.
REPLACED_ATTEMPTS = 5


def _newest_commit(location: Path) -> tuple[int, int] | None:
    """The newest commit in a Delta table's log, as its version and its file's mtime_ns;
    None without one. A table's schema changes only by a new commit, so an unchanged newest
    commit means the schema read with it still holds (the mtime tells a table removed and
    written again up to the same version)."""
    newest: tuple[int, os.DirEntry[str]] | None = None
    try:
        with os.scandir(location / "_delta_log") as entries:
            for entry in entries:
                stem, _, suffix = entry.name.partition(".")
                if (
                    suffix == "json"
                    and stem.isdigit()
                    and (newest is None or int(stem) > newest[0])
                ):
                    newest = (int(stem), entry)
        return None if newest is None else (newest[0], newest[1].stat().st_mtime_ns)
    except FileNotFoundError:
        return None


def attach_table(
    spark: SparkSession, schema: str, table: str, location: Path, *, schema_exists: bool = False
) -> bool:
    """Register one stored Delta table in the session catalog; False if it has no commit yet.

    A table attached before in this session whose log has no commit since is not read
    again (loading a Delta log is most of what attaching costs: 0.12 s of a refresh's
    0.3 s for 16 tables); its entry is still created if the session lost it.
    schema_exists: the caller created the schema already (restore(), once per schema)."""
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    key = (_session_id(spark), schema, table)

    def current_schema() -> tuple[str | None, tuple[int, int] | None]:
        commit = _newest_commit(location)
        known = _attached.get(key)
        if commit is not None and known is not None and known[1] == commit:
            return known
        try:
            return DeltaTable(str(location)).schema().to_json(), commit
        except TableNotFoundError:
            return None, commit

    schema_json, commit = current_schema()
    if schema_json is None:
        return False
    name = f"{quote(schema)}.{quote(table)}"
    if not schema_exists:
        spark.sql(f"create schema if not exists {quote(schema)}")
    attempts = 1
    while True:
        if key in _attached and _attached[key][0] != schema_json:
            # Replaced with other columns since: the entry is dropped (the files stay).
            spark.sql(f"drop table if exists {name}")
        try:
            spark.sql(
                f"create table if not exists {name} ({columns_ddl(schema_json)}) "
                f"using delta location {sql_string(str(location))}"
            )
            break
        except Exception:
            # A build may replace the table with other columns between the read of its
            # schema and the create, which then declares columns the newest version no
            # longer has: read the schema again. Any other failure is the caller's.
            newer, commit = current_schema()
            if newer in (None, schema_json) or attempts == REPLACED_ATTEMPTS:
                raise
            schema_json, attempts = newer, attempts + 1
    _attached[key] = (schema_json, commit)
    return True


def _session_id(spark: SparkSession) -> str:
    return str(getattr(spark, "session_id", ""))


def _functions_dir(warehouse: Path) -> Path:
    return warehouse / CATALOG_DIR / "functions"


def _views_dir(warehouse: Path) -> Path:
    return warehouse / CATALOG_DIR / "views"


def save_function(warehouse: Path, definition: FunctionDefinition) -> None:
    write_atomically(
        _functions_dir(warehouse) / f"{definition.name}.json", json.dumps(asdict(definition))
    )


def saved_functions(warehouse: Path) -> list[FunctionDefinition]:
    folder = _functions_dir(warehouse)
    if not folder.is_dir():
        return []
    return [
        FunctionDefinition(**json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(folder.glob("*.json"))
    ]


def save_view(warehouse: Path, schema: str, name: str, create_sql: str) -> None:
    write_atomically(_views_dir(warehouse) / f"{schema}.{name}.sql", create_sql)


def forget_view(warehouse: Path, schema: str, name: str) -> None:
    (_views_dir(warehouse) / f"{schema}.{name}.sql").unlink(missing_ok=True)


def stored_location(spark: SparkSession, schema: str, table: str) -> Path | None:
    """The folder a catalog table reads from, or None if the catalog does not know it."""
    try:
        rows = spark.sql(
            f"show table extended in {quote(schema)} like {sql_string(table)}"
        ).collect()
    except Exception:  # the schema itself may not exist
        return None
    for row in rows:
        for line in (row["information"] or "").splitlines():
            if line.startswith("Location: "):
                return Path(line.removeprefix("Location: ").removeprefix("file://"))
    return None


def is_inside(warehouse: Path, location: Path) -> bool:
    return warehouse.resolve() in location.resolve().parents


def purge_location(warehouse: Path, location: Path) -> bool:
    """Delete a table's files, refusing anything outside the warehouse."""
    location = location.resolve()
    if not is_inside(warehouse, location):
        raise ValueError(f"refusing to delete {location}: it is outside the warehouse {warehouse}")
    if location.exists():
        shutil.rmtree(location)
        return True
    return False


def replay_views(spark: SparkSession, warehouse: Path) -> list[str]:
    """Re-create saved views; a view may read another, so retry until no progress.

    Returns the names of views that could not be created (their inputs are gone);
    they stay saved and are rebuilt by the next dbt run of their model.
    """
    folder = _views_dir(warehouse)
    pending = {path.stem: path for path in sorted(folder.glob("*.sql"))} if folder.is_dir() else {}
    while pending:
        progressed = False
        for name, path in list(pending.items()):
            schema = name.split(".", 1)[0]
            try:
                spark.sql(f"create schema if not exists {quote(schema)}")
                spark.sql(path.read_text(encoding="utf-8"))
            except Exception as error:  # an input may appear on a later pass
                log.debug("view %s not restored yet: %s", name, error)
                continue
            del pending[name]
            progressed = True
        if not progressed:
            break
    for name in pending:
        log.warning("view %s could not be restored; its model will rebuild it", name)
    return sorted(pending)


def restore(spark: SparkSession, warehouse: Path, *, force: bool = False) -> None:
    """Bring the session's catalog in line with the warehouse, once per process."""
    key = (_session_id(spark), str(warehouse))
    if key in _restored and not force:
        return
    tables = delta_tables(warehouse)
    for schema in sorted({schema for schema, _, _ in tables}):
        spark.sql(f"create schema if not exists {quote(schema)}")
    for schema, table, location in tables:
        attach_table(spark, schema, table, location, schema_exists=True)
    for definition in saved_functions(warehouse):
        register_function(spark, definition)
    replay_views(spark, warehouse)
    _restored.add(key)


def refresh(spark: SparkSession, warehouse: Path) -> None:
    """Bring a long-lived session up to date with the warehouse: tables created since are
    attached, tables whose columns changed since (a full refresh that replaced them, in one
    new Delta version) are attached again with their new columns, views replayed.

    A table replaced with the same columns needs nothing: every query reads the newest
    version. One whose columns changed keeps answering `count(*)`, but `select *` fails
    on a column that is gone until the session is refreshed."""
    restore(spark, warehouse, force=True)
