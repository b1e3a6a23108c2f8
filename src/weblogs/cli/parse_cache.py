"""dbt's parse of the project, shared by the warehouses the `weblogs` command builds.

dbt parses the whole project (about 2 s) when the target folder lacks its partial parse
file: in every first build of a new warehouse, since each warehouse keeps dbt's artifacts.
What dbt checks before it reuses a parse is the project's files, the vars, the target and
the profile's connection keys, and none of them names the warehouse (sail_delta leaves its
folder out of the connection keys; dbt_project.yml reads a fixed value when the `weblogs`
command gives dbt the target folder). So the parse each invocation leaves in its warehouse
is kept beside the project, in dbt's default target folder, one file for each set of
--vars and --target (a parse made with other vars is parsed again whole), and every
invocation of the `weblogs` command starts from there. dbt still compares it file by file
and parses again whatever changed.

A plain `dbt` command reads the warehouse path in dbt_project.yml, so its parse is its
warehouse's alone: after a `weblogs` command, the next plain one in the same warehouse
parses the project again (the `weblogs` command, reading the shared parse, does not).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

PARSE_FILE = "partial_parse.msgpack"
# dbt reads its partial parse from here when set (it always writes into the target folder).
PARSE_FILE_ENV = "DBT_PARTIAL_PARSE_FILE_PATH"
# The dbt options whose values dbt's parse depends on.
PARSE_OPTIONS = ("--vars", "--target", "-t")
# Shared parses kept at most (the least recently written go first).
KEPT_PARSES = 8


def shared_parse_file(dbt_args: list[str]) -> Path:
    """The shared parse for dbt arguments: partial_parse.msgpack without --vars or
    --target, else one named after their values."""
    values: list[str] = []
    items = iter(dbt_args)
    for arg in items:
        if arg in PARSE_OPTIONS:
            values += [arg, next(items, "")]
        elif arg.startswith(tuple(f"{option}=" for option in PARSE_OPTIONS)):
            values += arg.split("=", 1)
    folder = Path(os.environ.get("DBT_PROJECT_DIR", ".")) / "target"
    if not values:
        return folder / PARSE_FILE
    digest = hashlib.sha256("\0".join(values).encode()).hexdigest()[:16]
    return folder / f"partial_parse-{digest}.msgpack"


@contextlib.contextmanager
def shared_parse(dbt_args: list[str]) -> Iterator[None]:
    """Around one dbt invocation: start from the shared parse for its arguments (unless
    $DBT_PARTIAL_PARSE_FILE_PATH names another), and keep the parse dbt leaves."""
    target_path = os.environ.get("DBT_TARGET_PATH")
    if not target_path:
        yield
        return
    own, shared = Path(target_path) / PARSE_FILE, shared_parse_file(dbt_args)
    seeded = PARSE_FILE_ENV not in os.environ and shared.is_file()
    before = modified(own)
    if seeded:
        os.environ[PARSE_FILE_ENV] = str(shared)
    try:
        yield
    finally:
        if seeded:
            os.environ.pop(PARSE_FILE_ENV, None)
        if modified(own) not in (None, before):
            keep(own, shared)


def modified(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def keep(own: Path, shared: Path) -> None:
    """Copy the parse this invocation wrote to the shared file, whole or not at all (another
    build may read it meanwhile). A project folder that cannot be written to goes without."""
    try:
        shared.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=shared.parent, prefix=f".{PARSE_FILE}.")
        os.close(handle)
        try:
            shutil.copy2(own, temporary)
            os.replace(temporary, shared)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        kept = sorted(
            shared.parent.glob("partial_parse*.msgpack"),
            key=lambda path: modified(path) or 0,
            reverse=True,
        )
        for stale in kept[KEPT_PARSES:]:
            stale.unlink(missing_ok=True)
    except OSError:
        return
