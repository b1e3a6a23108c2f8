"""What the lab's code keeps beside what the pipeline keeps, line by line, and why they differ.

The lab's regex is not the project's grammar: it needs three words between the request's
quotes (no request without a protocol, no path with a space), a digit size (no "-"), and it
is not anchored, so it also reads lines the grammar rejects. Its UDF turns an unreadable
timestamp into a null time and keeps the row. So the two keep different rows of the same
input; this pass decides, for every line, whether each keeps it in `network_filter` and,
where they differ, why. The harness then checks the lab's measured rows against the
pipeline's: pipeline - kept only by the pipeline + kept only by the lab.

Lines are split and decoded as `weblogs ingest` does. Each side's regex is read as its engine
reads it: the grammar with the Unicode white space of Sail's regex engine, the lab's regex
with Java's (spark.read.text and java.util.regex). Most lines are decided by whole-line
matches (RE2, vectorized); a line whose decision depends on which of several possible
matches an engine picks is decided by Python's backtracking re, which picks as Java does.
Lines Spark's text reader would split or decode differently (a CR inside a line, bytes that
are not UTF-8) stop the accounting with an error rather than being guessed at.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from weblogs.ingest.lines import decode_lines, split_lines
from weblogs_bench.variants import PROJECT_DIR, BenchError

# The lab's regex as its code writes it (a Java regex, searched anywhere in the line).
LAB_PATTERN = r'(\S+) (\S+) (\S+) \[(.*?)\] "(\S+) (\S+) (\S+)" (\d{3}) (\d+)'
_CHUNK_BYTES = 32 * 2**20
_LONG_MAX = 2**63 - 1
# Sizes over 100 written without leading zeros, up to 17 digits: decided by a whole-line match.
_OVER_100 = r"(?:[1-9][0-9]{3,16}|[2-9][0-9][0-9]|1[1-9][0-9]|10[1-9])"


def _space_class(re2: bool) -> str:
    """Unicode White_Space, which Sail's (Rust) \\s means, in RE2's or Python's notation."""
    if re2:
        return (
            r"\t\n\x0b\f\r \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}"
            r"\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
        )
    return "\t\n\x0b\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def grammar_as_engine(grammar: str, re2: bool) -> str:
    r"""The project's grammar with \s and \S spelled out as Sail reads them."""
    space = _space_class(re2)
    spelled = (
        grammar.replace(r"[^\s", f"[^{space}")
        .replace(r"\S", f"[^{space}]")
        .replace(r"\s", f"[{space}]")
    )
    return spelled


def lab_as_java(re2: bool) -> str:
    r"""The lab's regex with Java's meaning: \S not one of six ASCII spaces, \d an ASCII digit,
    . any character but a line terminator."""
    word = r"[^ \t\n\x0b\f\r]"
    anything = r"[^\n\r\x{85}\x{2028}\x{2029}]" if re2 else "[^\n\r\x85\u2028\u2029]"
    return (
        rf"({word}+) ({word}+) ({word}+) \[({anything}*?)\] "
        rf'"({word}+) ({word}+) ({word}+)" ([0-9]{{3}}) ([0-9]+)'
    )


_STATUS_AND_SIZE = "([0-9]{3}) ([0-9]+|-)"


def _with_status_and_size(grammar: str, status: str, size: str) -> str:
    if grammar.count(_STATUS_AND_SIZE) != 1:
        raise BenchError(f"the grammar no longer reads status and size as {_STATUS_AND_SIZE}")
    return grammar.replace(_STATUS_AND_SIZE, f"({status}) ({size})")


def _parse_state():
    """The pipeline's own timestamp parser (python_udfs/parse_state.py)."""
    path = PROJECT_DIR / "python_udfs" / "parse_state.py"
    spec = importlib.util.spec_from_file_location("weblogs_bench_parse_state", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.parse_state


@dataclass
class Accounting:
    """Rows each side keeps in network_filter from one input, and why they differ."""

    lines: int = 0
    pipeline_rows: int = 0
    lab_rows: int = 0
    only_pipeline: dict[str, int] = field(default_factory=dict)
    only_lab: dict[str, int] = field(default_factory=dict)

    def add(self, other: Accounting) -> None:
        self.lines += other.lines
        self.pipeline_rows += other.pipeline_rows
        self.lab_rows += other.lab_rows
        for mine, theirs in ((self.only_pipeline, other.only_pipeline),
                             (self.only_lab, other.only_lab)):  # fmt: skip
            for reason, count in theirs.items():
                mine[reason] = mine.get(reason, 0) + count

    def explained_lab_rows(self, pipeline_rows: int) -> int:
        """The lab's rows as the pipeline's rows explain them."""
        return pipeline_rows - sum(self.only_pipeline.values()) + sum(self.only_lab.values())


class _Decider:
    """Both sides' decision for the lines of one chunk."""

    def __init__(self, grammar: str) -> None:
        engine = grammar_as_engine(grammar, re2=True)
        self.grammar = engine
        self.grammar_keeps = _with_status_and_size(engine, "200", _OVER_100)
        self.grammar_odd_size = _with_status_and_size(engine, "[0-9]{3}", "0[0-9]+|[0-9]{18,}")
        word = r"[^ \t\n\x0b\f\r]"
        # The lab's match at the start of a line with no ] in its timestamp: the one it picks.
        plain = rf'^{word}+ {word}+ {word}+ \[[^\]]*\] "{word}+ {word}+ {word}+" '
        self.lab_any = lab_as_java(re2=True)
        self.lab_plain = plain + "[0-9]{3} (?:0|[1-9][0-9]{0,17})(?:[^0-9]|$)"
        self.lab_keeps = plain + "200 " + _OVER_100 + "(?:[^0-9]|$)"
        self.python_grammar = re.compile(grammar_as_engine(grammar, re2=False))
        self.python_lab = re.compile(lab_as_java(re2=False))
        self.parse_state = _parse_state()

    def valid_times(self, texts: pa.Array) -> np.ndarray:
        parsed = self.parse_state(pd.Series(texts.to_pandas(), dtype=object))
        return parsed.notna().to_numpy()

    def decide(self, texts: pa.StringArray) -> Accounting:
        matches = {
            name: pc.match_substring_regex(texts, getattr(self, name)).to_numpy(
                zero_copy_only=False
            )
            for name in ("grammar", "grammar_keeps", "grammar_odd_size", "lab_any", "lab_plain",
                         "lab_keeps")
        }  # fmt: skip
        separator = pc.greater(pc.count_substring(texts, "\x01"), 0).to_numpy(zero_copy_only=False)
        # Lines a whole-line match cannot decide: an odd size the grammar reads, or a line the
        # lab's regex matches other than in the plain way, at the start of the line.
        unsure = (matches["grammar"] & matches["grammar_odd_size"]) | (
            matches["lab_any"] & ~matches["lab_plain"]
        )
        pipeline = matches["grammar_keeps"] & ~separator & ~unsure
        candidates = pa.array(np.flatnonzero(pipeline), type=pa.int64())
        stamps = pc.extract_regex(
            pc.take(texts, candidates), r"^[^ ]+ [^ ]+ [^ ]+ \[(?P<t>[^\]]*)\]"
        ).field("t")
        pipeline[candidates.to_numpy()] = self.valid_times(stamps)
        lab = matches["lab_keeps"] & ~unsure
        differing = np.flatnonzero((pipeline != lab) | unsure)
        result = Accounting(
            lines=len(texts),
            pipeline_rows=int(pipeline.sum() - pipeline[differing].sum()),
            lab_rows=int(lab.sum() - lab[differing].sum()),
        )
        self._decide_exactly(texts, differing, result)
        return result

    def _decide_exactly(self, texts: pa.Array, rows: np.ndarray, result: Accounting) -> None:
        """Decide the given lines with Python's re, and say why the sides differ."""
        lines = pc.take(texts, pa.array(rows, type=pa.int64())).to_pylist()
        grammar = [self.python_grammar.match(line) for line in lines]
        lab = [self.python_lab.search(line) for line in lines]
        stamps = pa.array([match[4] if match else None for match in grammar], type=pa.string())
        times = self.valid_times(stamps)
        only_pipeline: Counter[str] = Counter(result.only_pipeline)
        only_lab: Counter[str] = Counter(result.only_lab)
        for index, line in enumerate(lines):
            pipeline_reason = _pipeline_reason(line, grammar[index], bool(times[index]))
            lab_reason = _lab_reason(lab[index])
            if pipeline_reason is None:
                result.pipeline_rows += 1
            if lab_reason is None:
                result.lab_rows += 1
            if pipeline_reason is None and lab_reason is not None:
                only_pipeline[_why_lab_misses(grammar[index], lab_reason)] += 1
            elif lab_reason is None and pipeline_reason is not None:
                only_lab[pipeline_reason] += 1
        result.only_pipeline, result.only_lab = dict(only_pipeline), dict(only_lab)


def _pipeline_reason(line: str, match: re.Match[str] | None, valid_time: bool) -> str | None:
    """None if the pipeline keeps the line in network_filter, else why not."""
    if match is None:
        return "outside the project's grammar"
    if "\x01" in line:
        return "holds U+0001 (quarantined by the project)"
    status, size = match[8], match[9]
    if status != "200" or size == "-" or (len(size) <= 18 and int(size) <= 100):
        return "not status 200 with a size over 100"
    if len(size) > 18:
        return "size over 18 digits (quarantined by the project)"
    if not valid_time:
        return "timestamp the project cannot read (the lab keeps the row, time null)"
    return None


def _lab_reason(match: re.Match[str] | None) -> str | None:
    """None if the lab's code keeps the line, else why not."""
    if match is None:
        return "lab regex finds no match"
    size = int(match[9])
    if match[8] != "200" or size > _LONG_MAX or size <= 100:
        return "lab regex reads another status or size"
    return None


def _why_lab_misses(grammar: re.Match[str] | None, lab_reason: str) -> str:
    """For a line the pipeline keeps and the lab does not."""
    if grammar is not None and lab_reason == "lab regex finds no match":
        if grammar[7] is None:
            return "request without a protocol (the lab needs three words)"
        if grammar[6] is None or re.search(r"\s", grammar[6]):
            return "request path empty or with a space (the lab needs three words)"
    return lab_reason


def _account_range(path: str, grammar: str, start: int, end: int) -> Accounting:
    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read(end - start)
    if b"\r" in data.replace(b"\r\n", b"\n"):
        raise BenchError(f"{path}: a line holds a CR, which Spark's text reader splits on")
    texts, encodings = decode_lines(split_lines(data))
    if pc.any(pc.equal(encodings, "latin-1")).as_py():
        raise BenchError(f"{path}: lines that are not UTF-8, which engines decode differently")
    return _Decider(grammar).decide(texts)


def _ranges(path: Path) -> list[tuple[int, int]]:
    """Byte ranges of about _CHUNK_BYTES, each ending after a newline."""
    size = path.stat().st_size
    ranges, start = [], 0
    with open(path, "rb") as handle:
        while start < size:
            handle.seek(min(size, start + _CHUNK_BYTES))
            handle.readline()
            end = handle.tell() if start + _CHUNK_BYTES < size else size
            ranges.append((start, end))
            start = end
    return ranges


def account(path: Path, grammar: str) -> Accounting:
    """Count both sides over every line of `path`, on every core; cached beside the file."""
    stat = path.stat()
    cache = path.with_name(path.name + ".accounting.json")
    key = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "grammar": grammar}
    if cache.exists():
        stored = json.loads(cache.read_text())
        if stored.get("key") == key:
            return Accounting(**stored["accounting"])
    total = Accounting()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        parts = [
            pool.submit(_account_range, str(path), grammar, start, end)
            for start, end in _ranges(path)
        ]
        for part in parts:
            total.add(part.result())
    cache.write_text(json.dumps({"key": key, "accounting": asdict(total)}, indent=1))
    return total
