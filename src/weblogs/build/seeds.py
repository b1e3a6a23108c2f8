"""Which file each seed table holds, so an unchanged seed is not loaded again.

dbt loads every seed in every build. The seed materialization of both adapters
(session_functions) asks :func:`is_loaded` first: the seed's table is left alone when the
file (dbt's checksum of it), its column types and the table itself (its Delta version, as
the adapter reads it) are what the last load recorded. When a seed is loaded, the tables
built from it no longer reflect it: their build marks are reset (weblogs.build.state), so
the incremental ones take every row in again and the warehouse is not claimed built
through anything until they have.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from weblogs import layout
from weblogs.build import state as build_state
from weblogs.files import write_atomically

SEEDS_DIR = "seeds"


def _record_path(warehouse: Path, schema: str, name: str) -> Path:
    return warehouse / layout.CATALOG_DIR / SEEDS_DIR / f"{schema}.{name}.json"


def _digest(fingerprint: str) -> str:
    return hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()


def is_loaded(
    warehouse: Path, schema: str, name: str, fingerprint: str, version: int | None
) -> bool:
    """Whether the seed's table, now at Delta `version`, holds the file described by
    `fingerprint`, unchanged since."""
    try:
        record = json.loads(_record_path(warehouse, schema, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return record == {"fingerprint": _digest(fingerprint), "table_version": version}


def dependents(seed_id: str, models: Iterable[dict]) -> list[str]:
    """Relations of the models that read the seed, directly or through other models."""
    by_id = {model["unique_id"]: model for model in models}
    reading: dict[str, bool] = {}

    def reads_seed(unique_id: str) -> bool:
        if unique_id not in reading:
            reading[unique_id] = False  # a cycle cannot occur in dbt's graph; guard anyway
            parents = by_id[unique_id]["depends_on"]
            reading[unique_id] = any(
                parent == seed_id or (parent in by_id and reads_seed(parent)) for parent in parents
            )
        return reading[unique_id]

    return sorted(model["relation"] for unique_id, model in by_id.items() if reads_seed(unique_id))


def forget_dependents(warehouse: Path, seed_id: str, models: Iterable[dict]) -> list[str]:
    """Before a seed is loaded: the tables built from it no longer hold what it will hold.
    Done first, so a load that fails or is cut short leaves them marked stale too."""
    stale = dependents(seed_id, models)
    build_state.reset_marks(warehouse, stale)
    return stale


def record_load(
    warehouse: Path, schema: str, name: str, fingerprint: str, version: int | None
) -> None:
    """After a seed is loaded: its table, now at Delta `version`, holds this file."""
    write_atomically(
        _record_path(warehouse, schema, name),
        json.dumps({"fingerprint": _digest(fingerprint), "table_version": version}),
    )
