"""Whether a build would have nothing to do, so `weblogs build` (and the build step of
`weblogs run`) can say so and skip dbt.

Nothing is new when all of these hold (weblogs.build.state records the last two):

- the models are built through the batch bronze has committed;
- the last dbt invocation that may have written anything was a complete, successful
  `dbt build` of the project (every model, seed and data test ran and passed);
- every source table (bronze, the ingest ledger) is at the Delta version it was at when
  that build started: nothing landed, was compacted or rewritten since;
- the project's fingerprint (files, target, vars, versions) is the one it was built from.

Anything else, or any doubt (an unreadable record, dbt arguments besides --vars), builds.
Plain `dbt build` always builds.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from weblogs.build import state as build_state


def vars_only(dbt_args: list[str]) -> Mapping[str, Any] | None:
    """The --vars of dbt arguments that hold nothing else ({} for none); None when they hold
    anything else (a selection, --full-refresh...) or vars that do not parse."""
    import yaml

    given: Mapping[str, Any] = {}
    items = iter(dbt_args)
    for arg in items:
        if arg == "--vars":
            text = next(items, None)
        elif arg.startswith("--vars="):
            text = arg.removeprefix("--vars=")
        else:
            return None
        try:
            parsed = yaml.safe_load(text) if text is not None else None
        except yaml.YAMLError:
            return None
        if not isinstance(parsed, dict):
            return None
        given = parsed
    return given


def _version(location: Path) -> int:
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        return DeltaTable(str(location)).version()
    except TableNotFoundError:
        return -1


def nothing_new(warehouse: Path, committed_batch: int, fingerprint: str) -> str | None:
    """One line saying why there is nothing to build, or None when a build is needed."""
    record = build_state.built_from(warehouse)
    if record is None or record[0] != fingerprint:
        return None
    through = build_state.built_through(warehouse)
    if through != committed_batch:
        return None
    built_sources = record[1]
    for relation, version in built_sources.items():
        schema, table = relation.split(".", 1)
        if _version(warehouse / schema / table) != version:
            return None
    return (
        f"nothing new: the models are built through batch {through}, and the sources and the "
        "project are as they were built from (--force builds anyway)"
    )
