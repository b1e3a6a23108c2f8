"""The benchmark's input files: a base log per size and shape, and the increments that later
runs add (each 1% of its base, all later than it and than each other, so none repeats a
line already landed).

- generated: synthetic combined (or common) lines from March 2026 (16M lines span under
  six months); increments are generated lines from 2027 on, with seeds of their own;
- real: the --real-log repeated to size, each copy a day later (weblogs.real_shape); an
  increment continues the copies, starting after the base's last date.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from weblogs_bench.variants import Size

# The first increment starts here: after any generated base up to 16M lines.
GENERATED_INCREMENT_START = datetime(2027, 6, 1, tzinfo=UTC)
INCREMENT_DAYS_APART = 120


class Inputs:
    def __init__(self, data_dir: Path, real_log: Path | None, log_format: str, seed: int) -> None:
        self.data_dir = data_dir
        self.real_log = real_log
        self.log_format = log_format
        self.seed = seed
        data_dir.mkdir(parents=True, exist_ok=True)

    def base(self, size: Size) -> Path:
        from weblogs.generate import write_log
        from weblogs.real_shape import write_replicated_log

        path = self.data_dir / f"{self._name(size)}.log"
        if not path.exists():
            partial = path.with_name(f".{path.name}.partial")
            if size.shape == "real":
                write_replicated_log(self._real(), partial, size.lines)
            else:
                write_log(partial, size.lines, log_format=self.log_format, seed=self.seed)
            partial.rename(path)
        return path

    def increment(self, size: Size, number: int) -> Path:
        """The number-th increment (1, 2, ...) after the base of `size`: 1% of its lines."""
        from datetime import timedelta

        from weblogs.generate import write_log
        from weblogs.real_shape import copies, days_spanned, write_replicated_log

        lines = max(1, size.lines // 100)
        path = self.data_dir / f"{self._name(size)}-increment-{number}.log"
        if path.exists():
            return path
        partial = path.with_name(f".{path.name}.partial")
        if size.shape == "real":
            source = self._real()
            span = days_spanned(source)
            # Dates of copy k are those of the log moved k days: a gap of the log's own
            # span between files keeps every increment's dates after all earlier ones.
            first_day = copies(source, size.lines) + span
            first_day += (number - 1) * (copies(source, lines) + span)
            write_replicated_log(source, partial, lines, first_day=first_day)
        else:
            start = GENERATED_INCREMENT_START + timedelta(days=INCREMENT_DAYS_APART * (number - 1))
            write_log(
                partial, lines, log_format=self.log_format, seed=self.seed + number, start=start
            )
        partial.rename(path)
        return path

    def _name(self, size: Size) -> str:
        if size.shape == "real":
            return f"real-{size.lines}"
        return f"generated-{self.log_format}-{self.seed}-{size.lines}"

    def _real(self) -> Path:
        if self.real_log is None:
            raise ValueError("the real shape needs --real-log")
        return self.real_log
