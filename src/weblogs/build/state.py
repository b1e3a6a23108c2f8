"""The warehouse's build state: the newest ingest batch the models are built through.

`weblogs status` compares it with bronze, and `weblogs run` builds first when bronze is
ahead of it (a run stopped between landing a batch and building it). It belongs to the
warehouse, not to a command: on the embedded and spark targets every dbt invocation
records it from its on-run-end hook (through the adapters' shared base), so `dbt build`,
`weblogs build` and `weblogs run` all keep it.

"Built through batch N" means every table fed from bronze holds what bronze held through
batch N. Views read through and need nothing; each stored table has a mark:

- the staging table (the one model that reads bronze) is incremental by batch, so it holds
  every batch up to its newest one: that is its mark, read from the table;
- a table that built successfully read its inputs as they were then, so its mark becomes
  the lowest mark among the tables it reads (directly or through views);
- a table that did not run, failed or was skipped keeps its mark;
- an invocation in which anything failed or errored advances no mark (a failed build is
  not a build) until an invocation that reruns only what failed or was skipped (`dbt
  retry`) completes it: the two count as one (carried_statuses); one run with `--empty`
  sets the tables it rebuilt empty to 0.

The warehouse is built through the lowest mark. So `dbt build -s network_filter` after a
new batch landed claims nothing: it read tables still holding the older batches.

Two more records make later builds pay only for what is new:

- tested through batch T (with the project's fingerprint, weblogs.build.fingerprint): every
  data test of the project passed on every row of batches up to T. An invocation records
  it when all the project's data tests ran in it and passed (a warning passes); the tests
  of a later build then read only the rows of later batches, unless the project changed;
- built from (a fingerprint and the Delta version of every source table at the start): the
  last invocation was a complete, successful `dbt build` of the project. Any other
  invocation that may write (run, seed, a selection, a failed build) drops it. While it
  holds, and the sources and the project are unchanged, a build has nothing to do;
- unit tested (a fingerprint): every unit test of the project passed on this warehouse's
  engine with the project as it was then. A unit test checks a model's SQL on the rows it
  gives, never the warehouse's, so it can fail again only when the project (or an engine
  version it covers) changes: `weblogs build` and `weblogs run` leave them out while the
  fingerprint is the same (on Spark the unit test held up the staging model 9 s of a +1%
  build).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from weblogs import layout
from weblogs.files import write_atomically

# The newest ingest batch a dbt invocation may take from bronze, when set: `weblogs build`
# builds a long backlog in slices of batches, one invocation per slice (unset: every batch).
# Its value, `<batch>:<pid>`, names the `weblogs` process that set it, so that only that
# process and its dbt children obey it: an export left in a shell would otherwise stop every
# plain `dbt build` at that batch without a word.
BATCH_CEILING_ENV = "WEBLOGS_BUILD_THROUGH_BATCH"
# Named when only `weblogs run` wrote it; a file holding only built_through_batch (from
# that time, or from `weblogs run` on another target) gives every table that mark.
STATE_FILE = "run_state.json"
# Statuses of a node, test or hook that make an invocation a failed build.
FAILED = ("error", "fail", "runtime error", "partial success")
READS_THROUGH = ("view", "ephemeral")
# Statuses of a data test that let the rows it read count as tested.
PASSED = ("pass", "warn")
# Resource types every one of which a complete build runs.
BUILT_TYPES = ("model", "seed", "snapshot", "test")
# Parts of the state a change of the marks alone keeps.
KEPT = ("tested", "built_from", "last_invocation", "unit_tested")


@dataclass(frozen=True)
class Model:
    """What the build state needs of a dbt model node."""

    unique_id: str
    relation: str  # schema.alias
    materialized: str
    depends_on: tuple[str, ...]
    full_refresh: bool = False

    @property
    def stored(self) -> bool:
        return self.materialized not in READS_THROUGH


@dataclass(frozen=True)
class Invocation:
    """One dbt invocation as its on-run-end hook sees it."""

    statuses: dict[str, str]  # unique_id -> status, for every node it ran
    empty: bool = False
    command: str = "build"  # dbt's subcommand
    # Every enabled model, seed, snapshot and data test of the project (unique_id -> type).
    project_nodes: dict[str, str] = field(default_factory=dict)
    fingerprint: str = ""  # the project's, when the invocation started
    sources: dict[str, int] = field(default_factory=dict)  # relation -> Delta version then
    invocation_id: str = ""  # dbt's

    @property
    def failed(self) -> bool:
        return any(status in FAILED for status in self.statuses.values())

    @property
    def tested_everything(self) -> bool:
        """Every data test of the project ran and passed (`--empty` tests nothing)."""
        tests = [node for node, kind in self.project_nodes.items() if kind == "test"]
        return (
            bool(self.fingerprint)
            and not self.empty
            and not self.failed
            and all(self.statuses.get(test) in PASSED for test in tests)
        )

    @property
    def built_everything(self) -> bool:
        """A `dbt build` that ran every node of the project, all successfully."""
        return (
            self.command == "build"
            and self.tested_everything
            and all(node in self.statuses for node in self.project_nodes)
        )


def _path(warehouse: Path) -> Path:
    return warehouse / layout.CATALOG_DIR / STATE_FILE


def _read(warehouse: Path) -> dict:
    try:
        return json.loads(_path(warehouse).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def batch_ceiling_value(batch_id: int) -> str:
    """$WEBLOGS_BUILD_THROUGH_BATCH for the dbt this process runs, in it or in a child."""
    return f"{batch_id}:{os.getpid()}"


def batch_ceiling() -> int:
    """The newest batch this invocation may build from bronze ($WEBLOGS_BUILD_THROUGH_BATCH);
    0 when unset: every batch. A value not set for this process (by it, or by the `weblogs`
    process that started it) is refused rather than obeyed."""
    text = os.environ.get(BATCH_CEILING_ENV, "").strip()
    if not text:
        return 0
    batch, _, setter = text.partition(":")
    if not (batch.isdigit() and int(batch) >= 1 and setter.isdigit()):
        raise ValueError(
            f"${BATCH_CEILING_ENV} is {text!r}: `weblogs build` sets it for its own dbt "
            f"processes only; unset it (`unset {BATCH_CEILING_ENV}`)"
        )
    if int(setter) not in (os.getpid(), os.getppid()):
        raise ValueError(
            f"${BATCH_CEILING_ENV}={text} is left over from `weblogs build` (process {setter}) "
            f"and would stop this build at batch {batch}; unset it (`unset {BATCH_CEILING_ENV}`)"
        )
    return int(batch)


def built_through(warehouse: Path) -> int:
    """The newest ingest batch every table fed from bronze holds (0: never built)."""
    return int(_read(warehouse).get("built_through_batch", 0))


def table_mark(warehouse: Path, relation: str) -> int:
    """The batch one table (schema.alias) is built through: its mark (0 before its first
    build), or the warehouse's batch in a state from before marks. An incremental model that
    has no batch column of its own takes in the rows of later batches only."""
    return _mark(_read(warehouse), relation)


def _mark(state: dict, relation: str) -> int:
    stored = state.get("tables")
    if stored is None:
        return int(state.get("built_through_batch", 0))
    return int(stored.get(relation, 0))


def record_built_through(warehouse: Path, batch_id: int) -> None:
    """Record a build through `batch_id` of every table (`weblogs run` on a target whose
    dbt does not record it)."""
    _write(warehouse, batch_id, None)


def reset_marks(warehouse: Path, relations: Iterable[str]) -> None:
    """The tables no longer hold what their inputs hold (a seed they read was reloaded):
    their marks go back to 0 until they are built again."""
    relations = list(relations)
    if not relations:
        return
    state = _read(warehouse)
    marks = dict(state.get("tables") or {})
    if "tables" not in state and state:
        # Written without marks: every table had the recorded batch, which is now unknown.
        marks = {}
    marks.update(dict.fromkeys(relations, 0))
    _write(warehouse, min(marks.values(), default=0), marks, state)


def _write(
    warehouse: Path, batch_id: int, marks: dict[str, int] | None, previous: dict | None = None
) -> None:
    state: dict = {key: value for key, value in (previous or {}).items() if key in KEPT}
    state.update(built_through_batch=batch_id, at=datetime.now(UTC).isoformat())
    if marks is not None:
        state["tables"] = marks
    write_atomically(_path(warehouse), json.dumps(state, indent=1, sort_keys=True))


def new_marks(
    bronze_id: str,
    models: Iterable[Model],
    invocation: Invocation,
    previous: Callable[[str], int],
    newest_batch: Callable[[Model], int],
) -> dict[str, int]:
    """Each stored table fed from bronze, with its mark after the invocation (see above).

    `previous(relation)` is a table's mark before it, `newest_batch(model)` the newest
    batch the table of a model reading bronze holds."""
    by_id = {model.unique_id: model for model in models}
    effective: dict[str, int | None] = {}  # None: not fed from bronze
    marks: dict[str, int] = {}

    def visit(unique_id: str) -> int | None:
        if unique_id in effective:
            return effective[unique_id]
        model = by_id.get(unique_id)
        if model is None:  # a seed, a function, bronze itself
            return None
        inputs = [visit(parent) for parent in model.depends_on]
        fed = [mark for mark in inputs if mark is not None]
        if bronze_id in model.depends_on:
            if not model.stored:
                raise ValueError(f"{unique_id} reads bronze and is a view: it has no mark")
            mark: int | None = newest_batch(model)
        elif not fed:
            mark = None
        elif not model.stored:
            mark = min(fed)
        else:
            mark = _stored_mark(model, min(fed), invocation, previous(model.relation))
        if mark is not None and model.stored:
            marks[model.relation] = mark
        effective[unique_id] = mark
        return mark

    for unique_id in by_id:
        visit(unique_id)
    return marks


def _stored_mark(model: Model, inputs: int, invocation: Invocation, previous: int) -> int:
    if invocation.statuses.get(model.unique_id) != "success":
        return previous
    if invocation.empty:
        rebuilt = model.materialized != "incremental" or model.full_refresh
        return 0 if rebuilt else previous
    return min(previous, inputs) if invocation.failed else inputs


def carried_statuses(previous: dict[str, str], statuses: dict[str, str]) -> dict[str, str]:
    """The node statuses of the last invocation on the warehouse (`previous`), when this one
    ran only nodes that one failed or skipped (`dbt retry`, or a selection of them): together
    they are one build. The tables the earlier one built stand, and no node this one ran
    feeds them (dbt skips what a failed node feeds), so their marks count as if built now.
    Otherwise nothing is carried: what this one ran may have changed their inputs since."""
    ran = [node for node in statuses if not node.startswith("operation.")]
    if not any(status in (*FAILED, "skipped") for status in previous.values()):
        return {}
    if not all(previous.get(node) in (*FAILED, "skipped") for node in ran):
        return {}
    return {node: status for node, status in previous.items() if not node.startswith("operation.")}


def record_invocation(
    warehouse: Path,
    bronze_id: str,
    models: Iterable[Model],
    invocation: Invocation,
    newest_batch: Callable[[Model], int],
    carried: dict[str, str] | None = None,
) -> int:
    """Update the marks after a dbt invocation; returns the batch the warehouse is built
    through. `carried` (carried_statuses) are the statuses of the failed invocation this
    one completes: the marks are those of the two as one invocation (after a build that
    ran out of space, `dbt retry` brings the warehouse up to date)."""
    state = _read(warehouse)
    legacy = int(state.get("built_through_batch", 0))
    stored = state.get("tables")
    as_one = replace(invocation, statuses={**carried, **invocation.statuses}) if carried else None
    marks = new_marks(
        bronze_id,
        models,
        as_one or invocation,
        lambda relation: _mark(state, relation),
        newest_batch,
    )
    through = min(marks.values(), default=0)
    kept = dict(state)
    if invocation.tested_everything:
        kept["tested"] = {"through_batch": through, "fingerprint": invocation.fingerprint}
    if invocation.built_everything:
        kept["built_from"] = {
            "fingerprint": invocation.fingerprint,
            "sources": invocation.sources,
        }
    elif invocation.command != "test":
        kept.pop("built_from", None)
    if invocation.invocation_id:
        kept["last_invocation"] = invocation.invocation_id
    if marks != stored or through != legacy or any(kept.get(key) != state.get(key) for key in KEPT):
        _write(warehouse, through, marks, kept)
    return through


def last_invocation(warehouse: Path) -> str:
    """dbt's id of the last invocation that recorded the build state of this warehouse."""
    return str(_read(warehouse).get("last_invocation", ""))


def tested_through(warehouse: Path, fingerprint: str) -> int:
    """The batch through which every data test passed on every row, if the project is the
    one they passed with; 0 (test every row) otherwise."""
    tested = _read(warehouse).get("tested") or {}
    if not fingerprint or tested.get("fingerprint") != fingerprint:
        return 0
    return int(tested.get("through_batch", 0))


def unit_tests_passed(warehouse: Path, fingerprint: str) -> bool:
    """Whether every unit test of the project passed here with the project as it is now."""
    record = _read(warehouse).get("unit_tested") or {}
    return bool(fingerprint) and record.get("fingerprint") == fingerprint


def record_unit_tests_passed(warehouse: Path, fingerprint: str) -> None:
    """After an invocation that ran every unit test of the project, all passing."""
    state = _read(warehouse)
    if not fingerprint or (state.get("unit_tested") or {}).get("fingerprint") == fingerprint:
        return
    state["unit_tested"] = {"fingerprint": fingerprint}
    write_atomically(_path(warehouse), json.dumps(state, indent=1, sort_keys=True))


def built_from(warehouse: Path) -> tuple[str, dict[str, int]] | None:
    """The fingerprint and source versions of the last complete, successful build, if no
    invocation that may have written anything came after it."""
    record = _read(warehouse).get("built_from")
    if not record:
        return None
    return record["fingerprint"], {name: int(v) for name, v in record["sources"].items()}
