"""One module per `weblogs` command; each exports the function that runs it."""

from weblogs.cli.commands.bench import bench
from weblogs.cli.commands.build import build
from weblogs.cli.commands.compact import compact
from weblogs.cli.commands.demo import demo
from weblogs.cli.commands.generate import generate
from weblogs.cli.commands.ingest import ingest
from weblogs.cli.commands.report import report
from weblogs.cli.commands.run import run
from weblogs.cli.commands.spark_server import spark_server
from weblogs.cli.commands.sql import sql
from weblogs.cli.commands.status import status

__all__ = [
    "bench",
    "build",
    "compact",
    "demo",
    "generate",
    "ingest",
    "report",
    "run",
    "spark_server",
    "sql",
    "status",
]
