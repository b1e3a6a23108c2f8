"""`dbt snapshot` on the embedded engine with no configuration but the snapshot's own: the
snapshot is a Delta table, and a new process sees it and updates it (each dbt command below
runs in a process of its own, with the engine embedded in it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from deltalake import DeltaTable

from conftest import Project

DBT_PROJECT = """
name: shop
version: "1.0"
config-version: 2
profile: shop
flags:
  send_anonymous_usage_stats: false
"""

PROFILES = """
shop:
  target: local
  outputs:
    local:
      type: sail_delta
      mode: embedded
      schema: shop
      warehouse: "{{ env_var('WEBLOGS_WAREHOUSE') }}"
      threads: 1
"""

SNAPSHOT = """
snapshots:
  - name: customers_history
    relation: ref('customers')
    config:
      unique_key: id
      strategy: timestamp
      updated_at: updated_at
"""

CUSTOMERS_BEFORE = """id,name,updated_at
1,Ada,2024-01-01 00:00:00
2,Grace,2024-01-01 00:00:00
"""

# Grace changed her name; Linus is new; Ada did not change.
CUSTOMERS_AFTER = """id,name,updated_at
1,Ada,2024-01-01 00:00:00
2,Grace Hopper,2024-02-01 00:00:00
3,Linus,2024-02-01 00:00:00
"""


def shop(tmp_path: Path) -> Project:
    project_dir = tmp_path / "shop"
    (project_dir / "seeds").mkdir(parents=True)
    (project_dir / "snapshots").mkdir()
    (project_dir / "profiles").mkdir()
    (project_dir / "dbt_project.yml").write_text(DBT_PROJECT)
    (project_dir / "profiles" / "profiles.yml").write_text(PROFILES)
    (project_dir / "snapshots" / "customers_history.yml").write_text(SNAPSHOT)
    (project_dir / "seeds" / "customers.csv").write_text(CUSTOMERS_BEFORE)
    workdir = tmp_path / "work"
    workdir.mkdir()
    return Project(warehouse=tmp_path / "warehouse", workdir=workdir, project_dir=project_dir)


def history(project: Project) -> list[tuple[int, str, bool]]:
    """(id, name, current) per row of the snapshot's Delta table, at its fixed folder."""
    rows = DeltaTable(str(project.warehouse / "shop" / "customers_history")).to_pyarrow_table()
    return sorted((row["id"], row["name"], row["dbt_valid_to"] is None) for row in rows.to_pylist())


@pytest.mark.e2e
def test_a_snapshot_is_delta_and_a_new_process_updates_it(tmp_path: Path) -> None:
    project = shop(tmp_path)
    # `dbt build` loads the seed, then snapshots it.
    first = project.dbt("build")
    assert "PASS=2" in first.stdout
    assert history(project) == [(1, "Ada", True), (2, "Grace", True)]

    # A new process finds the stored snapshot and merges the changes into it: Grace's old
    # row is closed and her new one added, Linus added, Ada untouched.
    (project.project_dir / "seeds" / "customers.csv").write_text(CUSTOMERS_AFTER)
    second = project.dbt("build")
    assert "PASS=2" in second.stdout
    assert history(project) == [
        (1, "Ada", True),
        (2, "Grace", False),
        (2, "Grace Hopper", True),
        (3, "Linus", True),
    ]
