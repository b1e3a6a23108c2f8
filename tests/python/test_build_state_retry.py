"""`dbt retry` after a failed build: the two count as one build, so the tables the failed
build made stand and `weblogs status` is up to date once the retry succeeds."""

from __future__ import annotations

from pathlib import Path

from weblogs.build import state as build_state
from weblogs.build.state import Invocation, Model

BRONZE = "source.weblogs.apache_logs.access_log_lines"
MODELS = [
    Model("model.stg", "w.stg", "incremental", (BRONZE,)),
    Model("model.merged", "w.merged", "incremental", ("model.stg",)),
    Model("model.enriched", "w.enriched", "view", ("model.merged",)),
    Model("model.mart", "w.mart", "table", ("model.enriched",)),
]
# Built through batch 2 everywhere; batch 3 staged and merged, then the mart failed (a full
# disk) and its test was skipped.
FAILED_BUILD = {
    "model.stg": "success", "model.merged": "success", "model.mart": "error",
    "test.mart_unique": "skipped", "operation.weblogs.weblogs-on-run-end-0": "error",
}  # fmt: skip
RETRY = {"model.mart": "success", "test.mart_unique": "pass"}


def at_two(warehouse: Path) -> None:
    build_state.record_invocation(
        warehouse, BRONZE, MODELS,
        Invocation({"model.stg": "success", "model.merged": "success", "model.mart": "success"}),
        lambda model: 2,
    )  # fmt: skip
    assert build_state.built_through(warehouse) == 2


def test_a_retry_completes_the_failed_build(tmp_path: Path) -> None:
    at_two(tmp_path)
    through = build_state.record_invocation(
        tmp_path, BRONZE, MODELS, Invocation(FAILED_BUILD), lambda model: 3
    )
    assert through == 2, "a failed build is no build"
    carried = build_state.carried_statuses(FAILED_BUILD, RETRY)
    assert carried == {key: value for key, value in FAILED_BUILD.items() if "operation" not in key}
    through = build_state.record_invocation(
        tmp_path, BRONZE, MODELS, Invocation(RETRY), lambda model: 3, carried
    )
    assert through == 3 == build_state.built_through(tmp_path)


def test_nothing_is_carried_past_an_invocation_that_reran_what_had_succeeded() -> None:
    # The staging table ran again (a new batch since): the merge table the failed build made
    # holds batch 3 only, not what staging holds now.
    assert build_state.carried_statuses(FAILED_BUILD, {"model.stg": "success", **RETRY}) == {}
    # Nothing failed before: nothing to complete.
    done = {"model.stg": "success", "model.merged": "success", "model.mart": "success"}
    assert build_state.carried_statuses(done, {"model.mart": "success"}) == {}


def test_a_retry_that_fails_again_advances_nothing(tmp_path: Path) -> None:
    at_two(tmp_path)
    build_state.record_invocation(tmp_path, BRONZE, MODELS, Invocation(FAILED_BUILD), lambda m: 3)
    again = {"model.mart": "error", "test.mart_unique": "skipped"}
    carried = build_state.carried_statuses(FAILED_BUILD, again)
    through = build_state.record_invocation(
        tmp_path, BRONZE, MODELS, Invocation(again), lambda model: 3, carried
    )
    assert through == 2
