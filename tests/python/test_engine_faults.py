"""An engine fault outside any command's own handling: one line on stderr, never a
traceback; a UDF registration the engine lost is sent once more."""

from __future__ import annotations

import importlib

import pytest

from weblogs import functions
from weblogs.functions import FunctionDefinition

# The module, not the function weblogs.cli exports under the same name.
cli_main = importlib.import_module("weblogs.cli.main")

GRPC_TEXT = (
    "<_MultiThreadedRendezvous of RPC that terminated with:\n"
    "\tstatus = StatusCode.INTERNAL\n"
    '\tdetails = "internal error: task context not found for operation"\n'
    '\tdebug_error_string = "INTERNAL:internal error: task context not found for operation"\n>'
)


def engine_error(text: str) -> Exception:
    # pyspark's own class, so the CLI tells it by the module it comes from.
    from pyspark.errors.exceptions.connect import SparkConnectGrpcException

    return SparkConnectGrpcException(text)


def test_an_engine_failure_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fails(argv: list[str] | None) -> int:
        raise engine_error(GRPC_TEXT)

    monkeypatch.setattr(cli_main, "run_command", fails)
    assert cli_main.run_guarded(["sql", "select 1"]) == cli_main.FAILED
    err = capsys.readouterr().err
    assert err == (
        "weblogs: the engine failed: internal error: task context not found for operation\n"
    )


def test_other_errors_are_not_taken_for_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(argv: list[str] | None) -> int:
        raise RuntimeError("a defect of weblogs")

    monkeypatch.setattr(cli_main, "run_command", fails)
    with pytest.raises(RuntimeError, match="a defect of weblogs"):
        cli_main.run_guarded(["sql", "select 1"])


class Registrations:
    """A session stand-in whose first registration fails as the engine's did."""

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.registered: list[str] = []
        self.udf = self

    def sql(self, query: str):
        from types import SimpleNamespace

        from pyspark.sql.types import LongType, StructField

        return SimpleNamespace(schema=(StructField("value", LongType()),))

    def register(self, name: str, udf: object) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.registered.append(name)


DEFINITION = FunctionDefinition(
    name="plus_one",
    source="def plus_one(values):\n    for batch in values:\n        yield batch + 1\n",
    entry_point="plus_one",
    return_type="bigint",
)


def test_a_registration_the_engine_lost_is_sent_once_more(
    capsys: pytest.CaptureFixture[str],
) -> None:
    session = Registrations([engine_error(GRPC_TEXT)])
    functions.register_function(session, DEFINITION)  # type: ignore[arg-type]
    assert session.registered == ["plus_one"]
    assert capsys.readouterr().err == (
        "weblogs: the engine lost the registration of plus_one (task context not found for "
        "operation); registering it once more\n"
    )


def test_a_registration_failing_twice_or_otherwise_is_not_hidden() -> None:
    twice = Registrations([engine_error(GRPC_TEXT), engine_error(GRPC_TEXT)])
    with pytest.raises(Exception, match="task context not found"):
        functions.register_function(twice, DEFINITION)  # type: ignore[arg-type]
    other = Registrations([engine_error("UDF type not supported")])
    with pytest.raises(Exception, match="UDF type not supported"):
        functions.register_function(other, DEFINITION)  # type: ignore[arg-type]
    assert twice.registered == other.registered == []
