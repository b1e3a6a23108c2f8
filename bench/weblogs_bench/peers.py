"""The hand-written peers of the pipeline, each run in a child process of its own:
``python -m weblogs_bench.peers VARIANT OUTPUT SOURCE...`` prints its network_filter row
count as JSON.

- ``pyspark``: the lab's code as written, on JVM Spark (see weblogs_bench.spark_peers);
  ``pyspark-delta SOURCE MASTER`` the same on the spark target's Spark, writing Delta;
- ``pyspark-grammar``: PySpark again, applying the project's grammar and rules;
- ``duckdb``: the project's rules as one DuckDB statement writing parquet;
- ``regex``: a lower bound, one compiled regex over the file in one process, counting.

All but ``pyspark`` implement the pipeline's rules (its grammar, "-" sizes as 0, unparseable
timestamps and over-long sizes rejected), so they must keep the pipeline's rows; the lab's
code keeps its own, which weblogs_bench.accounting explains line by line.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from weblogs_bench.variants import PATTERN_MACRO, STATUS_SEED, TIMESTAMP_FORMAT, BenchError


def access_log_pattern(macro: str = "access_log_pattern") -> str:
    """The pipeline's access-log regex, taken from its dbt macro (a SQL string literal there,
    with every backslash doubled); `access_log_common_pattern` names the common shape's."""
    text = PATTERN_MACRO.read_text(encoding="utf-8")
    found = re.search(
        r"\{% macro "
        + re.escape(macro)
        + r"\(\) -%\}.*?\{%- set pattern -%\}\s*\n(.*?)\n\s*\{%- endset -%\}",
        text,
        re.DOTALL,
    )
    if found is None:
        raise BenchError(f"no pattern {macro} found in {PATTERN_MACRO}")
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
    elif variant in ("pyspark", "pyspark-grammar", "pyspark-delta"):
        from weblogs_bench.spark_peers import grammar_pyspark, lab_pyspark

        if variant == "pyspark-delta":  # SOURCE MASTER
            source, master = paths[0], sources[1]
            rows = lab_pyspark(source, Path(output), master)
        elif variant == "pyspark":
            (source,) = paths
            rows = lab_pyspark(source, Path(output))
        else:
            (source,) = paths
            rows = grammar_pyspark(source, Path(output), pattern)
    else:
        raise SystemExit(f"unknown variant {variant!r}")
    print(json.dumps({"network_filter_rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
