"""The hand-written peers of the pipeline, each run in a child process of its own:
``python -m weblogs_bench.peers VARIANT OUTPUT SOURCE...`` prints its network_filter row
count as JSON.

- ``pyspark``: the lab as plain PySpark on the JVM (``local[2]``): ``spark.read.text``, six
  ``regexp_extract``, a row-at-a-time Python UDF returning float, a join on a cast, the
  filter, parquet out;
- ``duckdb``: the same logic as one DuckDB query writing parquet;
- ``regex``: a lower bound, one compiled regex over the file in one process, counting.

Every peer implements the pipeline's rules (its grammar, "-" sizes as 0, unparseable
timestamps and over-long sizes rejected), so all must keep the same rows as the pipeline.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from weblogs_bench.variants import PROJECT_DIR, TIMESTAMP_FORMAT, BenchError

PATTERN_MACRO = PROJECT_DIR / "macros" / "parsing" / "access_log_pattern.sql"
STATUS_SEED = PROJECT_DIR / "seeds" / "http_status_codes.csv"


def access_log_pattern() -> str:
    """The pipeline's access-log regex, taken from its dbt macro (a SQL string literal there,
    with every backslash doubled)."""
    text = PATTERN_MACRO.read_text(encoding="utf-8")
    found = re.search(r"\{%- set pattern -%\}\s*\n(.*?)\n\s*\{%- endset -%\}", text, re.DOTALL)
    if found is None:
        raise BenchError(f"no access-log pattern found in {PATTERN_MACRO}")
    return re.sub(r"\\(.)", r"\1", found.group(1).strip())


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


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
