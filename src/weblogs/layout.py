"""The warehouse folder: where it is, and what every engine keeps in it.

- `<schema>/<table>/`: the embedded engine's Delta tables (Apache Spark keeps its own under
  `_spark/`, see weblogs.spark.server);
- `_catalog/`: what outlives a process: saved views and functions (weblogs.embedded.catalog),
  the build state (weblogs.build.state) and seed records (weblogs.build.seeds);
- `_dbt/target/`: dbt's artifacts for this warehouse (dbt_project.yml's target-path);
- `.run.lock`, `.runner.lock`, `.ingest.lock`: one writer (a `weblogs` command or plain
  dbt), one `weblogs run`, and one writer of bronze, at a time (weblogs.file_lock).
"""

from __future__ import annotations

import os
from pathlib import Path

WAREHOUSE_ENV = "WEBLOGS_WAREHOUSE"
DEFAULT_WAREHOUSE = "warehouse"
CATALOG_DIR = "_catalog"


def warehouse_path(configured: str | os.PathLike[str] | None = None) -> Path:
    """The warehouse folder, absolute: the argument, else $WEBLOGS_WAREHOUSE, else ./warehouse.

    Sail resolves relative table locations against its own working directory, so every
    location handed to it is made absolute here.
    """
    raw = configured or os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE
    return Path(raw).expanduser().resolve()


def delta_tables(warehouse: Path) -> list[tuple[str, str, Path]]:
    """(schema, table, location) for every Delta table stored in the warehouse folder."""
    found = []
    if not warehouse.is_dir():
        return found
    for schema_dir in sorted(warehouse.iterdir()):
        if not schema_dir.is_dir() or schema_dir.name.startswith(("_", ".")):
            continue
        for table_dir in sorted(schema_dir.iterdir()):
            if (table_dir / "_delta_log").is_dir():
                found.append((schema_dir.name, table_dir.name, table_dir))
    return found
