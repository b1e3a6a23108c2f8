"""`weblogs status` says what is there: a warehouse folder that does not exist is named as
such, and a landed file copied under another name is not pending."""

from __future__ import annotations

import gzip
import os
import subprocess
import time
from pathlib import Path

from conftest import BIN_DIR
from weblogs.ingest.micro_batches import ingest
from weblogs.status import collect

RAW = "weblogs_raw"


def test_status_of_a_warehouse_that_does_not_exist_says_so(tmp_path: Path) -> None:
    """A mistyped --warehouse said "nothing ingested yet", as a new warehouse would."""
    missing = tmp_path / "warehuose"
    result = subprocess.run(
        [str(BIN_DIR / "weblogs"), "--warehouse", str(missing), "status"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    first = result.stdout.splitlines()[0]
    assert (
        first == f"warehouse      {missing}: no such folder, nothing has landed or been built there"
    )
    assert not missing.exists(), "status only looks"


def aged(path: Path) -> Path:
    """A file last written a minute ago: settled, as a rotated log is."""
    old = time.time() - 60
    os.utime(path, (old, old))
    return path


def test_a_renamed_copy_of_a_landed_file_is_not_pending(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    landing = tmp_path / "landing"
    site = landing / "default"
    site.mkdir(parents=True)
    landed = site / "access.log"
    landed.write_text("a\nb\nc\n")
    aged(landed)
    assert ingest([landed], warehouse, RAW).lines == 3
    # Rotated: the same bytes under a new name, and compressed under a third.
    aged(landed.rename(site / "access.log.1"))
    packed = site / "access.log.2.gz"
    packed.write_bytes(gzip.compress(b"a\nb\nc\n"))
    aged(packed)
    # Not landed: a file with one more line, and one with other lines.
    grown = site / "grown.log"
    grown.write_text("a\nb\nc\nd\n")
    aged(grown)
    other = site / "other.log"
    other.write_text("x\n")
    aged(other)

    pending = {path.name for path, _, _ in collect(warehouse, RAW, landing).pending_files}
    assert pending == {"grown.log", "other.log"}
