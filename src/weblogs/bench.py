"""`weblogs bench`: the pipeline beside the same job written by hand, on the same input.

Variants, each run as its own process tree (time and peak RSS are per variant):

- ``cold``: ``weblogs ingest`` then ``weblogs build`` into a new warehouse;
- ``warm``: after cold, ingest 1% new lines and build again;
- ``noop``: after warm, build again with nothing new;
- ``pyspark``: the lab as plain PySpark on the JVM (``local[2]``): ``spark.read.text``, six
  ``regexp_extract``, a row-at-a-time Python UDF returning float, a join on a cast, the
  filter, parquet out;
- ``duckdb``: the same logic as one DuckDB query writing parquet;
- ``regex``: a lower bound, one compiled regex over the file in one process, counting.

Every variant implements the pipeline's rules (its grammar, "-" sizes as 0, unparseable
timestamps and over-long sizes rejected), so all must report the same network_filter row
count; the harness stops with an error when they do not. Identity dedupe is a no-op on one
file: a line repeated within a file is a new occurrence, hence a new request.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
PATTERN_MACRO = PROJECT_DIR / "macros" / "parsing" / "access_log_pattern.sql"
STATUS_SEED = PROJECT_DIR / "seeds" / "http_status_codes.csv"
TIMESTAMP_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
PIPELINE_VARIANTS = ("cold", "warm", "noop")
# The benchmark times the pipeline; the drift monitors judge the data. Synthetic increments
# trip the daily-volume monitor, so here it warns instead of failing the build.
BUILD = ("build", "--vars", "{dq_monitor_severity: warn}")

LAB_VARIANTS = ("pyspark", "duckdb", "regex")
VARIANTS = ("regex", "duckdb", "pyspark", *PIPELINE_VARIANTS)
BASELINE = "pyspark"
# The increment of the warm run starts after any base log (generated logs start in March
# 2026 and 4M lines span under two months), so none of its lines can repeat a base line.
INCREMENT_START = datetime(2027, 6, 1, tzinfo=UTC)
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class BenchError(RuntimeError):
    """A variant failed or the variants disagree."""


# --- the grammar, read from the one place the project defines it ---------------------------


def access_log_pattern() -> str:
    """The pipeline's access-log regex, taken from its dbt macro (a SQL string literal there,
    with every backslash doubled)."""
    text = PATTERN_MACRO.read_text(encoding="utf-8")
    found = re.search(r"\{%- set pattern -%\}\s*\n(.*?)\n\s*\{%- endset -%\}", text, re.DOTALL)
    if found is None:
        raise BenchError(f"no access-log pattern found in {PATTERN_MACRO}")
    return re.sub(r"\\(.)", r"\1", found.group(1).strip())


# --- the hand-written variants (run in a child process: python -m weblogs.bench ...) -------


def lab_regex(sources: Sequence[Path], pattern: str) -> int:
    """Lower bound: one compiled regex per line, count the rows network_filter keeps."""
    grammar = re.compile(pattern)
    parse_time = datetime.strptime
    kept = 0
    for source in sources:
        with open(source, "rb") as handle:
            for raw in handle:
                raw = raw[:-1] if raw.endswith(b"\n") else raw
                raw = raw[:-1] if raw.endswith(b"\r") else raw
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    line = raw.decode("latin-1")
                match = grammar.match(line)
                if match is None or "\x01" in line:
                    continue
                size = match[9]
                if match[8] != "200" or size == "-" or len(size) > 18 or int(size) <= 100:
                    continue
                try:
                    parse_time(match[4], TIMESTAMP_FORMAT)
                except ValueError:
                    continue
                kept += 1
    return kept


def lab_duckdb(source: Path, output: Path, pattern: str) -> int:
    """The job as one DuckDB statement: read lines, one regex pass, parse, join, filter."""
    import duckdb

    fields = (
        "client_host",
        "client_identity",
        "client_user",
        "timestamp_text",
        "http_method",
        "endpoint",
        "protocol",
        "response_code_text",
        "content_size_text",
        "referer",
        "user_agent",
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    connection.execute(
        f"""
        copy (
            with lines as (
                select line
                from read_csv(
                    $source, columns = {{'line': 'varchar'}}, header = false,
                    delim = chr(0), quote = '', escape = '', auto_detect = false
                )
            ),
            parsed as (
                select line, regexp_extract(line, $pattern, {list(fields)}) as f
                from lines
            ),
            requests as (
                select
                    f.client_host,
                    f.http_method,
                    f.endpoint,
                    f.protocol,
                    cast(f.response_code_text as integer) as response_code,
                    case when f.content_size_text = '-' then 0
                        else cast(f.content_size_text as bigint) end as content_size_bytes,
                    f.referer,
                    f.user_agent,
                    try_strptime(f.timestamp_text, '{TIMESTAMP_FORMAT}') as event_at
                from parsed
                where f.response_code_text <> ''
                    and strpos(line, chr(1)) = 0
                    and length(f.content_size_text) <= 18
            ),
            statuses as (
                select * from read_csv($seed, header = true, all_varchar = true)
            )
            select requests.*, statuses.description as status_description
            from requests
            left join statuses on requests.response_code = cast(statuses.code as integer)
            where requests.event_at is not null
                and requests.response_code = 200
                and requests.content_size_bytes > 100
        ) to '{output}' (format parquet)
        """,
        {"source": str(source), "pattern": pattern, "seed": str(STATUS_SEED)},
    )
    return connection.execute("select count(*) from read_parquet($1)", [str(output)]).fetchone()[0]


def lab_pyspark(source: Path, output: Path, pattern: str) -> int:
    """The lab as written by hand on classic (JVM) Spark, local[2]."""
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql.types import FloatType

    os.environ.pop("SPARK_REMOTE", None)
    # Python workers run this interpreter, with this environment's packages.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("weblogs-bench-lab")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.pythonUDF.arrow.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")

    # Row at a time, as the lab wrote it: one Python call per line.
    @F.udf(FloatType(), useArrow=False)
    def parse_time(text: str | None) -> float | None:
        try:
            return datetime.strptime(text, TIMESTAMP_FORMAT).timestamp()
        except (TypeError, ValueError):
            return None

    logs = spark.read.text(str(source))
    fields = logs.select(
        F.col("value").alias("line"),
        F.regexp_extract("value", pattern, 1).alias("client_host"),
        F.regexp_extract("value", pattern, 4).alias("timestamp_text"),
        F.regexp_extract("value", pattern, 5).alias("http_method"),
        F.regexp_extract("value", pattern, 6).alias("endpoint"),
        F.regexp_extract("value", pattern, 8).alias("response_code_text"),
        F.regexp_extract("value", pattern, 9).alias("content_size_text"),
    )
    requests = (
        fields.where(
            (F.col("response_code_text") != "")
            & (F.instr("line", "\x01") == 0)
            & (F.length("content_size_text") <= 18)
        )
        .withColumn("event_epoch_seconds", parse_time("timestamp_text"))
        .where(F.col("event_epoch_seconds").isNotNull())
        .withColumn("response_code", F.col("response_code_text").cast("int"))
        .withColumn(
            "content_size_bytes",
            F.when(F.col("content_size_text") == "-", F.lit(0)).otherwise(
                F.col("content_size_text").cast("bigint")
            ),
        )
    )
    statuses = spark.read.csv(str(STATUS_SEED), header=True)
    joined = requests.join(
        statuses, requests["response_code"] == statuses["code"].cast("int"), "left"
    )
    network_filter = joined.where(
        (F.col("response_code") == 200) & (F.col("content_size_bytes") > 100)
    ).select(
        "client_host",
        "http_method",
        "endpoint",
        "response_code",
        F.col("description").alias("status_description"),
        "content_size_bytes",
        "event_epoch_seconds",
    )
    network_filter.write.mode("overwrite").parquet(str(output))
    rows = spark.read.parquet(str(output)).count()
    spark.stop()
    return rows


def worker_main(argv: Sequence[str]) -> int:
    """Child-process entry: run one hand-written variant and print its row count as JSON."""
    variant, output, *sources = argv
    pattern = access_log_pattern()
    paths = [Path(source) for source in sources]
    if variant == "regex":
        rows = lab_regex(paths, pattern)
    elif variant == "duckdb":
        (source,) = paths
        rows = lab_duckdb(source, Path(output), pattern)
    elif variant == "pyspark":
        (source,) = paths
        rows = lab_pyspark(source, Path(output), pattern)
    else:
        raise SystemExit(f"unknown variant {variant!r}")
    print(json.dumps({"network_filter_rows": rows}))
    return 0


# --- measuring a process tree --------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    except OSError:  # the process ended meanwhile
        pass
    return found


def tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants (a JVM child included)."""
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * _PAGE_SIZE
        except OSError:
            continue
        pending.extend(_children(pid))
    return total


@dataclass
class Run:
    seconds: float
    peak_rss_bytes: int
    stdout: str


def measured(argv: Sequence[str], env: dict[str, str], cwd: Path) -> Run:
    """Run a command, polling its process tree's memory; fail loudly if it fails."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err, text=True)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise BenchError(
            f"{' '.join(map(str, argv))} exited {process.returncode}\n"
            f"{stdout[-3000:]}\n{stderr[-3000:]}"
        )
    return Run(seconds, peak, stdout)


# --- the benchmark ---------------------------------------------------------------------------


@dataclass
class Result:
    variant: str
    size: int  # lines of the base log this run belongs to
    lines: int  # lines this run processed
    seconds: float
    peak_rss_bytes: int
    network_filter_rows: int
    detail: dict[str, float] = field(default_factory=dict)

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0


def parse_size(text: str) -> int:
    """'500k', '0.5M', '2M' or '2000' as a line count."""
    found = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kKmM]?)\s*", text)
    if found is None:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 2000, 500k, 0.5M)")
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[found.group(2).lower()]
    return round(float(found.group(1)) * scale)


def size_label(lines: int) -> str:
    if lines >= 100_000 and lines % 100_000 == 0:
        return f"{lines / 1_000_000:g}M"
    if lines >= 1_000 and lines % 1_000 == 0:
        return f"{lines // 1_000}k"
    return str(lines)


@dataclass
class Settings:
    sizes: list[int]
    variants: list[str]
    log_format: str
    shape: str
    real_log: Path | None
    seed: int
    workdir: Path


class Bench:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def env(self, **extra: str) -> dict[str, str]:
        environment = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra}
        environment.pop("SPARK_REMOTE", None)
        return environment

    def base_log(self, lines: int) -> Path:
        from weblogs.generate import write_log, write_replicated_log

        settings = self.settings
        if settings.shape == "real":
            assert settings.real_log is not None
            path = self.data_dir / f"real-{lines}.log"
            if not path.exists():
                write_replicated_log(settings.real_log, path, lines)
        else:
            path = self.data_dir / f"generated-{settings.log_format}-{settings.seed}-{lines}.log"
            if not path.exists():
                write_log(path, lines, log_format=settings.log_format, seed=settings.seed)
        return path

    def increment_log(self, lines: int) -> Path:
        from weblogs.generate import write_log

        count = max(1, lines // 100)
        path = self.data_dir / f"increment-{self.settings.log_format}-{count}.log"
        if not path.exists():
            write_log(
                path,
                count,
                log_format=self.settings.log_format,
                seed=self.settings.seed + 1,
                start=INCREMENT_START,
            )
        return path

    def lab(self, variant: str, output: Path, *sources: Path) -> Run:
        argv = [sys.executable, "-m", "weblogs.bench", variant, str(output), *map(str, sources)]
        return measured(argv, self.env(), self.settings.workdir)

    def weblogs(self, run_dir: Path, *args: str) -> Run:
        env = self.env(
            WEBLOGS_WAREHOUSE=str(run_dir / "warehouse"),
            DBT_TARGET_PATH=str(run_dir / "target"),
            DBT_LOG_PATH=str(run_dir / "logs"),
        )
        return measured([sys.executable, "-m", "weblogs.cli", *args], env, run_dir)

    def network_filter_rows(self, run_dir: Path) -> int:
        run = self.weblogs(
            run_dir, "sql", "select count(*) as n from weblogs.network_filter", "--format", "json"
        )
        return int(json.loads(run.stdout.strip().splitlines()[-1])["n"])

    @staticmethod
    def parse_stage_seconds(run_dir: Path) -> float:
        """dbt's own time for the staging model (regex, UDF and the write of its table)."""
        results = json.loads((run_dir / "target" / "run_results.json").read_text())
        for result in results["results"]:
            if result["unique_id"].split(".")[-1] == "stg_apache_logs__lines":
                return float(result["execution_time"])
        return float("nan")

    def startup_seconds(self) -> float:
        """What any dbt build pays before it does anything: starting Python and importing
        dbt, Spark Connect and Sail."""
        code = "import dbt.cli.main, pysail.spark, pyspark.sql.connect.session, weblogs.cli"
        return measured([sys.executable, "-c", code], self.env(), self.settings.workdir).seconds

    def run_size(self, lines: int) -> list[Result]:
        variants = self.settings.variants
        source = self.base_log(lines)
        size_dir = self.settings.workdir / f"run-{lines}"
        shutil.rmtree(size_dir, ignore_errors=True)
        size_dir.mkdir(parents=True)
        results: list[Result] = []

        def report(result: Result) -> None:
            results.append(result)
            print(
                f"  {size_label(lines):>6} {result.variant:<8} {result.seconds:8.2f} s"
                f"  {result.peak_rss_bytes / 2**20:8.0f} MiB  {result.network_filter_rows:,} rows",
                flush=True,
            )

        for variant in (name for name in LAB_VARIANTS[::-1] if name in variants):
            output = size_dir / f"{variant}.parquet"
            run = self.lab(variant, output, source)
            rows = json.loads(run.stdout.strip().splitlines()[-1])["network_filter_rows"]
            report(Result(variant, lines, lines, run.seconds, run.peak_rss_bytes, rows))

        if "cold" in variants:
            pipeline_dir = size_dir / "pipeline"
            pipeline_dir.mkdir()
            ingest = self.weblogs(pipeline_dir, "ingest", str(source))
            build = self.weblogs(pipeline_dir, *BUILD)
            report(
                Result(
                    "cold",
                    lines,
                    lines,
                    ingest.seconds + build.seconds,
                    max(ingest.peak_rss_bytes, build.peak_rss_bytes),
                    self.network_filter_rows(pipeline_dir),
                    {
                        "ingest_seconds": ingest.seconds,
                        "build_seconds": build.seconds,
                        "ingest_peak_rss_bytes": ingest.peak_rss_bytes,
                        "build_peak_rss_bytes": build.peak_rss_bytes,
                        "parse_stage_seconds": self.parse_stage_seconds(pipeline_dir),
                    },
                )
            )
            if "warm" in variants:
                increment = self.increment_log(lines)
                ingest = self.weblogs(pipeline_dir, "ingest", str(increment))
                build = self.weblogs(pipeline_dir, *BUILD)
                # Independent expectation: the increment's own count, computed by the regex.
                extra = json.loads(
                    self.lab("regex", size_dir / "increment", increment).stdout.splitlines()[-1]
                )["network_filter_rows"]
                report(
                    Result(
                        "warm",
                        lines,
                        len(increment.read_bytes().splitlines()),
                        ingest.seconds + build.seconds,
                        max(ingest.peak_rss_bytes, build.peak_rss_bytes),
                        self.network_filter_rows(pipeline_dir),
                        {
                            "ingest_seconds": ingest.seconds,
                            "build_seconds": build.seconds,
                            "expected_new_rows": extra,
                            "parse_stage_seconds": self.parse_stage_seconds(pipeline_dir),
                        },
                    )
                )
            if "noop" in variants:
                build = self.weblogs(pipeline_dir, *BUILD)
                report(
                    Result(
                        "noop",
                        lines,
                        0,
                        build.seconds,
                        build.peak_rss_bytes,
                        self.network_filter_rows(pipeline_dir),
                        {"startup_seconds": self.startup_seconds()},
                    )
                )
        check_counts(results)
        shutil.rmtree(size_dir, ignore_errors=True)
        return results


def check_counts(results: Sequence[Result]) -> None:
    """Every variant over the same input must keep the same rows; raise otherwise."""
    by_variant = {result.variant: result for result in results}
    on_base = {
        name: result.network_filter_rows
        for name, result in by_variant.items()
        if name in (*LAB_VARIANTS, "cold")
    }
    if len(set(on_base.values())) > 1:
        raise BenchError(f"network_filter row counts disagree: {on_base}")
    if "warm" in by_variant:
        warm = by_variant["warm"]
        expected = by_variant["cold"].network_filter_rows + int(warm.detail["expected_new_rows"])
        if warm.network_filter_rows != expected:
            raise BenchError(
                f"warm run: network_filter holds {warm.network_filter_rows:,} rows, "
                f"expected {expected:,} (cold plus the increment's own count)"
            )
    if "noop" in by_variant:
        before = by_variant["warm" if "warm" in by_variant else "cold"].network_filter_rows
        if by_variant["noop"].network_filter_rows != before:
            raise BenchError(
                f"no-op run changed network_filter: {before:,} -> "
                f"{by_variant['noop'].network_filter_rows:,} rows"
            )


# --- reporting -------------------------------------------------------------------------------


def fit_line(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """Least-squares (fixed seconds, seconds per million lines) over (million lines, s)."""
    if len({x for x, _ in points}) < 2:
        return None
    count = len(points)
    mean_x = sum(x for x, _ in points) / count
    mean_y = sum(y for _, y in points) / count
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum(
        (x - mean_x) ** 2 for x, _ in points
    )
    return mean_y - slope * mean_x, slope


def scaling(results: Sequence[Result]) -> dict[str, dict[str, float]]:
    fits = {}
    for variant in VARIANTS:
        if variant in ("warm", "noop"):
            continue
        points = [(r.lines / 1e6, r.seconds) for r in results if r.variant == variant]
        fitted = fit_line(points)
        if fitted:
            fits[variant] = {
                "fixed_seconds": round(fitted[0], 2),
                "seconds_per_million_lines": round(fitted[1], 2),
            }
    return fits


def targets(results: Sequence[Result]) -> list[dict[str, object]]:
    """The project's performance targets, checked at each size that has what they need."""
    checks: list[dict[str, object]] = []
    for size in sorted({r.size for r in results}):
        found = {r.variant: r for r in results if r.size == size}
        cold, warm, noop = found.get("cold"), found.get("warm"), found.get("noop")
        if cold is None:
            continue

        def check(name: str, value: float, limit: float, met: bool, size: int = size) -> None:
            checks.append(
                {
                    "size": size_label(size),
                    "target": name,
                    "value": round(value, 2),
                    "limit": limit,
                    "met": met,
                }
            )

        if BASELINE in found:
            speedup = found[BASELINE].seconds / cold.seconds
            check("cold at least 3x faster than PySpark (speed-up)", speedup, 3.0, speedup >= 3)
        if "duckdb" in found:
            ratio = cold.seconds / found["duckdb"].seconds
            check("cold not slower than DuckDB (cold / duckdb)", ratio, 1.0, ratio <= 1)
        if warm is not None:
            share = warm.seconds / cold.seconds
            check("warm +1% at most 10% of cold (warm / cold)", share, 0.10, share <= 0.10)
        if noop is not None:
            beyond = noop.seconds - noop.detail["startup_seconds"]
            check("no-op under 3 s beyond process start (s)", beyond, 3.0, beyond < 3)
        if "regex" in found:
            ratio = cold.detail["parse_stage_seconds"] / found["regex"].seconds
            check("parse + UDF stage within 3x of the regex bound", ratio, 3.0, ratio <= 3)
        if size >= 4_000_000:
            peak = max(r.peak_rss_bytes for r in (cold, warm, noop) if r is not None) / 2**30
            check("pipeline peak RSS under 2 GiB (GiB)", peak, 2.0, peak < 2)
    return checks


def machine() -> dict[str, object]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    versions = {}
    for package in ("pysail", "pyspark", "duckdb", "dbt-core", "dbt-spark", "deltalake"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 2**20, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "java": (java.stderr.splitlines() or [""])[0],
        "versions": versions,
    }


def table(results: Sequence[Result]) -> str:
    header = ("size", "variant", "seconds", "lines/s", "vs pyspark", "peak RSS MiB", "rows")
    baseline = {r.size: r.seconds for r in results if r.variant == BASELINE}
    rows = []
    for result in results:
        base = baseline.get(result.size) if result.variant in (*LAB_VARIANTS, "cold") else None
        rows.append(
            (
                size_label(result.size),
                result.variant,
                f"{result.seconds:.2f}",
                f"{result.lines_per_second:,.0f}" if result.lines else "-",
                f"{base / result.seconds:.2f}x" if base else "",
                f"{result.peak_rss_bytes / 2**20:,.0f}",
                f"{result.network_filter_rows:,}",
            )
        )
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    return "\n".join(lines)


def run(settings: Settings, out: Path | None) -> int:
    bench = Bench(settings)
    print(
        f"weblogs bench: {settings.shape} {settings.log_format} lines, sizes "
        f"{', '.join(map(size_label, settings.sizes))}, variants {', '.join(settings.variants)}",
        flush=True,
    )
    results: list[Result] = []
    for lines in settings.sizes:
        results.extend(bench.run_size(lines))
    report = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "sizes": settings.sizes,
            "variants": settings.variants,
            "format": settings.log_format,
            "shape": settings.shape,
            "seed": settings.seed,
        },
        "results": [
            {**asdict(result), "lines_per_second": round(result.lines_per_second)}
            for result in results
        ],
        "scaling": scaling(results),
        "targets": targets(results),
    }
    print()
    print(table(results))
    if report["scaling"]:
        print("\nscaling (least squares over sizes): fixed s + s per million lines")
        for variant, fit in report["scaling"].items():
            print(
                f"  {variant:<8} {fit['fixed_seconds']:7.2f} s + "
                f"{fit['seconds_per_million_lines']:6.2f} s/M lines"
            )
    if report["targets"]:
        print("\ntargets:")
        for check in report["targets"]:
            verdict = "met" if check["met"] else "NOT met"
            print(f"  [{check['size']}] {check['target']}: {check['value']} ({verdict})")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {out}")
    return 0


def settings_from(options: argparse.Namespace) -> Settings:
    variants = [name.strip() for name in options.variants.split(",") if name.strip()]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise BenchError(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    if {"warm", "noop"} & set(variants) and "cold" not in variants:
        raise BenchError("warm and noop runs continue a cold run: add 'cold' to --variants")
    real_log = Path(options.real_log) if options.real_log else None
    if options.shape == "real" and (real_log is None or not real_log.is_file()):
        raise BenchError("--shape real needs --real-log PATH to an existing log file")
    return Settings(
        sizes=[parse_size(size) for size in options.sizes.split(",") if size.strip()],
        variants=[name for name in VARIANTS if name in variants],
        log_format=options.log_format,
        shape=options.shape,
        real_log=real_log,
        seed=options.seed,
        workdir=Path(options.workdir) if options.workdir else Path(),
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", default="0.5M,1M,2M,4M", help="line counts, e.g. 2000,0.5M,1M")
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help=f"any of {', '.join(VARIANTS)}"
    )
    parser.add_argument(
        "--format", dest="log_format", choices=["common", "combined"], default="combined"
    )
    parser.add_argument(
        "--shape",
        choices=["generated", "real"],
        default="generated",
        help="synthetic lines, or the lines of --real-log repeated to size",
    )
    parser.add_argument("--real-log", help="a real access log to repeat (with --shape real)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", help="write the results as JSON to this file")
    parser.add_argument(
        "--workdir", help="where data and warehouses go (default: a temporary folder, removed)"
    )


def command(options: argparse.Namespace) -> int:
    try:
        settings = settings_from(options)
        out = Path(options.out) if options.out else None
        if options.workdir:
            return run(settings, out)
        with tempfile.TemporaryDirectory(prefix="weblogs-bench-") as workdir:
            settings.workdir = Path(workdir)
            return run(settings, out)
    except BenchError as error:
        print(f"weblogs bench: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
