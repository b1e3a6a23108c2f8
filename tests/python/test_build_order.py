"""A `weblogs` build writes network_filter, the table a new line is waited for in, before
the marts beside it (meta build_first, weblogs.build.order); plain dbt runs by depth."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import pytest

from conftest import Project
from weblogs.build.order import first_nodes, scores_first
from weblogs.generate import write_log

# The models that read the deduplicated requests beside network_filter's input, not on
# its path: by depth, each ran before network_filter.
BESIDE = (
    "access_log_late_arrivals",
    "int_request_tallies_by_batch",
    "not_found_paths",
    "referring_sites",
    "requests_by_agent",
    "traffic_by_window",
)


def model(first: bool = False) -> SimpleNamespace:
    return SimpleNamespace(config=SimpleNamespace(meta={"build_first": True} if first else {}))


def test_the_marked_path_scores_ahead_of_every_other_node_and_keeps_its_depth() -> None:
    graph = nx.DiGraph(
        [("stg", "dedup"), ("dedup", "enriched"), ("enriched", "published"),
         ("dedup", "mart"), ("mart", "summary"), ("seed", "enriched")]
    )  # fmt: skip
    manifest = SimpleNamespace(
        nodes={name: model(first=name == "published") for name in graph.nodes}
    )
    first = first_nodes(graph, manifest)
    assert first == {"stg", "dedup", "enriched", "published", "seed"}

    by_depth = {"stg": 0, "seed": 0, "dedup": 1, "enriched": 2, "mart": 2, "published": 3,
                "summary": 3}  # fmt: skip
    scores = scores_first(by_depth, first)
    assert max(scores[node] for node in first) < min(scores["mart"], scores["summary"])
    assert scores["stg"] < scores["dedup"] < scores["enriched"] < scores["published"]
    assert (scores["mart"], scores["summary"]) == (2, 3)
    # Nothing marked: dbt's own scores.
    assert scores_first(by_depth, set()) == by_depth


def run_order(project: Project) -> list[str]:
    return [result["unique_id"].split(".")[-1] for result in project.run_results()]


@pytest.mark.e2e
def test_weblogs_build_writes_network_filter_before_the_marts_beside_it(
    project: Project, tmp_path: Path
) -> None:
    # One thread: the order nodes are handed out in is the order they run in.
    project.weblogs("ingest", str(write_log(tmp_path / "a.log", 500, seed=3)))
    project.weblogs("build", "--threads", "1")
    order = run_order(project)
    for name in BESIDE:
        assert order.index("network_filter") < order.index(name), (name, order)

    # Plain dbt takes no order from the project: by depth, the marts beside it run first.
    project.weblogs("ingest", str(write_log(tmp_path / "b.log", 500, seed=4)))
    project.dbt("build", "--threads", "1")
    order = run_order(project)
    assert all(order.index(name) < order.index("network_filter") for name in BESIDE), order
