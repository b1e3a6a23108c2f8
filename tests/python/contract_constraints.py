"""The columns the models' contracts declare not null, and how a test proves that the engine
holds each as a Delta CHECK constraint and refuses a null (a test helper). Those columns have
no not_null data test: the constraint checks every write, so a query would prove nothing more.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from conftest import PROJECT_DIR

# A row for requests_by_status whose status_description is null.
NULL_ROW_SQL = (
    "insert into weblogs.requests_by_status"
    " (status_description, status_class, response_code, is_registered_status,"
    " request_count, content_size_bytes)"
    " values (null, '9xx', 999, false, 1, 1)"
)
# What Delta says, on Sail and on Spark, when a write breaks the constraint.
NULL_REFUSED = re.compile(r"not_null_status_description.*violated", re.IGNORECASE | re.DOTALL)


def declared_not_null(project_dir: Path = PROJECT_DIR) -> dict[str, set[str]]:
    """Per model under an enforced contract, the columns given a not_null constraint."""
    declared: dict[str, set[str]] = {}
    for path in sorted((project_dir / "models").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            if not ((model.get("config") or {}).get("contract") or {}).get("enforced"):
                continue
            columns = {
                column["name"]
                for column in model.get("columns", [])
                if any(c.get("type") == "not_null" for c in column.get("constraints", []))
            }
            if columns:
                declared[model["name"]] = columns
    return declared


def constraint_properties(columns: set[str]) -> set[str]:
    """The Delta table properties that hold these columns' constraints."""
    return {f"delta.constraints.not_null_{column}" for column in columns}
