"""Delta Lake for the Apache Spark server: which jars, where they come from, and the settings.

The pyspark package ships Spark 4.2.1 without Delta. `delta-spark_4.2_2.13` 4.4.0 is the
Delta release built against Spark 4.2 (the builds for Spark 4.0 and 4.1 fail on 4.2.1 with a
NoSuchMethodError at the first Delta table). Its Python package is not needed: SQL and
`DataFrameWriter.format("delta")` run inside the server.

The jars come as Spark users get them: `--packages`, resolved by Ivy from Maven Central at
server start, into a cache of our own (see `cache_dir`), so a second start needs no network.
Offline, `--jars FOLDER` passes a folder of jars instead (the cache's `jars/` folder copied
from a machine that started online is one).
"""

from __future__ import annotations

import os
from pathlib import Path

from weblogs.spark.processes import SparkServerError

DELTA_PACKAGE = "io.delta:delta-spark_4.2_2.13:4.4.0"
CACHE_ENV = "XDG_CACHE_HOME"
# Delta's POM also pulls older copies of jars Spark ships (jackson, hadoop-client, parquet,
# RoaringBitmap, ...): 33 jars instead of 7, and two versions of each on the classpath.
# Spark's own copies are the ones its code was built with; Delta runs on them.
EXCLUDED = (
    "org.slf4j:slf4j-api",
    "org.xerial.snappy:snappy-java",
    "org.apache.hadoop:hadoop-client-api",
    "org.apache.hadoop:hadoop-client-runtime",
    "org.apache.parquet:parquet-hadoop",
    "org.apache.parquet:parquet-column",
    "org.apache.parquet:parquet-common",
    "org.apache.parquet:parquet-encoding",
    "org.apache.parquet:parquet-format-structures",
    "org.apache.parquet:parquet-jackson",
    "com.fasterxml.jackson.core:jackson-databind",
    "com.fasterxml.jackson.core:jackson-core",
    "com.fasterxml.jackson.core:jackson-annotations",
    "com.fasterxml.jackson.datatype:jackson-datatype-jdk8",
    "org.apache.logging.log4j:log4j-api",
    "org.apache.logging.log4j:log4j-core",
    "org.apache.logging.log4j:log4j-slf4j2-impl",
    "com.github.luben:zstd-jni",
    "org.roaringbitmap:RoaringBitmap",
    "org.roaringbitmap:shims",
    "io.airlift:aircompressor",
    "org.locationtech.jts:jts-core",
    "commons-logging:commons-logging",
    "commons-pool:commons-pool",
    "com.google.code.findbugs:jsr305",
    "javax.annotation:javax.annotation-api",
)
# The two jars SQL, MERGE, OPTIMIZE, VACUUM and the Delta writer need (file name patterns,
# as Ivy and Maven name them).
REQUIRED_JARS = ("*delta-spark_4.2_2.13-*.jar", "*delta-storage-*.jar")
# What spark-submit prints when Ivy could not get a package.
UNRESOLVED = ("unresolved dependency", "download failed")

SETTINGS = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    # A table's snapshot is computed in 50 tasks by default, and VACUUM lists files in
    # 10,000: on a two-core machine that is most of the time of a small statement
    # (VACUUM of one table 244 s -> 32 s under the same load).
    "spark.databricks.delta.snapshotPartitions": "2",
    "spark.sql.sources.parallelPartitionDiscovery.parallelism": "4",
}


class DeltaJarsError(SparkServerError):
    """The Delta Lake jars cannot be had; the message says how to get them."""


def cache_dir() -> Path:
    """Ivy's folder for the Delta jars: `$XDG_CACHE_HOME/weblogs/spark-jars` (default
    `~/.cache/...`). A user cache rather than the warehouse: the jars belong to the Spark
    version, not to a warehouse's data, so a new warehouse does not download them again;
    and not Spark's default `~/.ivy2.5.2`, which every other Spark application of the user
    resolves into."""
    base = os.environ.get(CACHE_ENV) or str(Path.home() / ".cache")
    return Path(base) / "weblogs" / "spark-jars"


def cached_jars() -> Path:
    """The flat copies of the resolved jars, as Spark puts them on the classpath: the folder
    to copy for an offline start (`--jars`)."""
    return cache_dir() / "jars"


def jar_files(folder: Path) -> list[Path]:
    """The jars of an offline folder; a one-line error when Delta's own are not there."""
    if not folder.is_dir():
        raise DeltaJarsError(f"no such folder of Delta Lake jars: {folder}")
    missing = [pattern for pattern in REQUIRED_JARS if not list(folder.glob(pattern))]
    if missing:
        raise DeltaJarsError(
            f"{folder} lacks the Delta Lake jars {', '.join(m.strip('*') for m in missing)} "
            f"({DELTA_PACKAGE}); copy the jars/ folder of {cache_dir()} from a machine "
            "that started the server online"
        )
    return sorted(folder.glob("*.jar"))


def submit_arguments(jars_folder: Path | None) -> list[str]:
    """spark-submit arguments that put Delta on the server's classpath: the offline folder's
    jars, else the package resolved through the cache."""
    if jars_folder is not None:
        return ["--jars", ",".join(str(path) for path in jar_files(jars_folder))]
    return [
        "--packages",
        DELTA_PACKAGE,
        "--conf",
        f"spark.jars.ivy={cache_dir()}",
        "--conf",
        f"spark.jars.excludes={','.join(EXCLUDED)}",
    ]


def resolution_error(log_text: str) -> str:
    """The one-line error for a start that failed because Ivy could not fetch the jars
    ('' when the log says nothing of the kind)."""
    if not any(marker in log_text for marker in UNRESOLVED):
        return ""
    return (
        f"the Delta Lake jars ({DELTA_PACKAGE}) could not be fetched: Maven Central is not "
        f"reachable and the jar cache {cache_dir()} does not hold them; start once with "
        "network access, or pass --jars FOLDER with the jars (docs/targets.md, offline)"
    )
