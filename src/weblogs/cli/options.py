"""The options commands share, typed, with their defaults stated once: the parser shows and
applies these defaults, and a command that runs another (`demo` runs `run`) builds the
other's options from them instead of setting attributes on an argparse namespace."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from weblogs.build.slices import DEFAULT_LINES_PER_BUILD
from weblogs.ingest.offers import Limits
from weblogs.targets import Target

RAW_SCHEMA = "weblogs_raw"
DEFAULT_LANDING = "landing"
RETAIN_HOURS = 168.0


@dataclass(frozen=True)
class Scope:
    """What every command works on: the warehouse folder, the bronze table's schema and the
    dbt target."""

    warehouse: Path
    raw_schema: str
    target: Target

    @classmethod
    def of(cls, options: argparse.Namespace) -> Scope:
        return cls(options.warehouse, options.raw_schema, options.target)


def limits_of(options: argparse.Namespace) -> Limits:
    """The bounds of a micro-batch, for the commands that land files."""
    return Limits(
        max_files=options.max_files_per_batch,
        max_bytes=options.max_bytes_per_batch,
        settle_seconds=options.settle_seconds,
    )


@dataclass(frozen=True)
class BuildOptions:
    """How `weblogs build`, and the build step of `weblogs run`, run dbt build."""

    # Build even when nothing is new since the last build.
    force: bool = False
    # A backlog of more lines than this builds in slices of whole batches (0: one build).
    lines_per_build: int = DEFAULT_LINES_PER_BUILD
    # Further arguments for dbt build.
    dbt_args: list[str] = field(default_factory=list)
    # Leave the unit tests out (they passed with the project as it is).
    skip_unit_tests: bool = False

    @classmethod
    def of(cls, options: argparse.Namespace) -> BuildOptions:
        return cls(options.force, options.lines_per_build, list(options.dbt_args))


@dataclass(frozen=True)
class Trigger:
    """When `weblogs run` starts a cycle: once (the default), every N seconds, or on arrival."""

    every_seconds: float | None = None
    watch: bool = False
    # Stop after this many cycles (tests; None: until stopped).
    max_cycles: int | None = None
    # Under --watch, the longest the rest of the project waits behind the build_first paths
    # while files keep arriving; None: the runner's REST_WITHIN_SECONDS.
    rest_within: float | None = None

    @property
    def goes_on(self) -> bool:
        return self.every_seconds is not None or self.watch


@dataclass(frozen=True)
class RunOptions:
    """`weblogs run`: where files land, when a cycle starts, and how it lands and builds."""

    landing: Path
    trigger: Trigger = Trigger()
    limits: Limits = Limits()
    build: BuildOptions = BuildOptions()
    # Compact the Delta tables after every N-th batch (0: never).
    compact_every: int = 0
    retain_hours: float = RETAIN_HOURS
    # Queue behind another command holding the warehouse instead of refusing.
    wait: bool = False

    @classmethod
    def of(cls, options: argparse.Namespace) -> RunOptions:
        return cls(
            landing=Path(options.landing).expanduser().resolve(),
            trigger=Trigger(options.every, options.watch, options.max_cycles, options.rest_within),
            limits=limits_of(options),
            build=BuildOptions.of(options),
            compact_every=options.compact_every,
            retain_hours=options.retain_hours,
            wait=options.wait,
        )
