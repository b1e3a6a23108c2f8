"""The embedded engine (the sail_delta adapter) for dbt's adapter suite: the profile and the
warehouse its two test modules share in form, each with a warehouse of its own (a test
helper). The suite is split in two modules so that two pytest-xdist workers, each taking
whole files, run it side by side."""

from __future__ import annotations

from pathlib import Path

import pytest

SUITE_ENGINE = "sail_delta"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("suite-warehouse")


@pytest.fixture(scope="module")
def suite_target(warehouse: Path) -> dict:
    return {"type": "sail_delta", "mode": "embedded", "warehouse": str(warehouse), "threads": 2}


@pytest.fixture(scope="class")
def dbt_profile_target(suite_target: dict) -> dict:
    return dict(suite_target)
