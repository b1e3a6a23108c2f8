"""Finding offers: the files an ingest is asked to look at, and the site each belongs to."""

from __future__ import annotations

import glob
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SITE = "default"
_SITE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class IngestError(RuntimeError):
    """A problem the user must fix before ingesting (not a problem of one file)."""


@dataclass(frozen=True)
class Offer:
    """A file offered for ingestion, and the site its lines belong to."""

    path: Path
    site: str = DEFAULT_SITE


# Bytes of one micro-batch unless the user says otherwise: where its lines are held in this
# process until they land, and where the engine's executors read the files and this process
# holds only a plan of them (weblogs.bronze.chunks), so that Spark's fixed cost per commit
# (a job, a Delta commit, two statements) is paid once per gigabyte.
BATCH_BYTES = 64 * 1024 * 1024
PLANNED_BATCH_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds of one micro-batch (like maxFilesPerTrigger / maxBytesPerTrigger). Without
    max_bytes, the bronze writer's own bound (weblogs.bronze.base.Bronze.batch_bytes)."""

    max_files: int = 1000
    max_bytes: int | None = None
    settle_seconds: float = 2.0

    def __post_init__(self) -> None:
        if self.max_files < 1 or (self.max_bytes is not None and self.max_bytes < 1):
            raise ValueError("micro-batch limits must be positive")


def check_site(site: str) -> str:
    if not _SITE_NAME.match(site):
        raise IngestError(f"invalid site name {site!r}: use letters, digits, '_', '.', '-'")
    return site


def _visible_files(folder: Path) -> list[Path]:
    return sorted(
        child
        for child in folder.rglob("*")
        if child.is_file()
        and not any(part.startswith(".") for part in child.relative_to(folder).parts)
    )


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly or by a glob, and every non-hidden file below a named folder."""
    files: list[Path] = []
    for given in paths:
        text = str(given)
        if glob.has_magic(text):
            matches = sorted(Path(match) for match in glob.glob(text, recursive=True))
            if not matches:
                raise FileNotFoundError(f"no file matches {text}")
            for match in matches:
                files.extend(_visible_files(match) if match.is_dir() else [match])
            continue
        path = Path(given).expanduser()
        if path.is_dir():
            files.extend(_visible_files(path))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    unique = dict.fromkeys(file.resolve() for file in files)
    return list(unique)


def landing_offers(landing: Path) -> list[Offer]:
    """Files of a landing folder: `landing/<site>/...` belongs to that site, files directly
    in the folder to the default site."""
    landing = landing.expanduser().resolve()
    if not landing.is_dir():
        raise FileNotFoundError(f"no such landing folder: {landing}")
    offers = []
    for path in _visible_files(landing):
        parts = path.relative_to(landing).parts
        site = parts[0] if len(parts) > 1 else DEFAULT_SITE
        if not _SITE_NAME.match(site):
            site = DEFAULT_SITE
        offers.append(Offer(path.resolve(), site))
    return offers
