"""dbt-spark with Python function nodes registered as UDFs of the Spark Connect session."""

from __future__ import annotations

import json
import os
import threading
from abc import abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path
from typing import Any

from dbt.adapters.base.meta import available
from dbt.adapters.base.relation import AdapterTrackingRelationInfo, BaseRelation
from dbt.adapters.contracts.relation import RelationConfig
from dbt.adapters.events.logging import AdapterLogger
from dbt.adapters.spark.impl import SparkAdapter
from dbt_common.exceptions import DbtRuntimeError

from dbt.adapters import __about__ as about
from dbt.adapters.session_functions.relation import SessionFunctionRelation
from weblogs import file_lock
from weblogs.build import fingerprint, seeds
from weblogs.build import state as build_state
from weblogs.functions import FunctionDefinition, register_function

logger = AdapterLogger("SessionFunctions")


def failed(statuses: Iterable[object]) -> bool:
    """Whether an invocation with these node statuses failed (a failed build is no build)."""
    return any(str(status) in build_state.FAILED for status in statuses)


CONSTRAINT_PROPERTY = "delta.constraints."


def constraint_names(properties: Mapping[str, object]) -> list[str]:
    """The CHECK constraints named in a Delta table's properties (`delta.constraints.<name>`)."""
    return sorted(
        key[len(CONSTRAINT_PROPERTY) :].lower()
        for key in properties
        if key.lower().startswith(CONSTRAINT_PROPERTY)
    )


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else repr(error)


# dbt's commands that write tables or the build state: they hold the warehouse's writer lock
# (weblogs.file_lock) from their first connection to their end. The others only read.
WRITING_COMMANDS = frozenset(
    ("build", "run", "seed", "snapshot", "test", "retry", "run-operation", "clone")
)
# Set (to anything but "" or 0) to let `--empty` replace the published tables.
ALLOW_EMPTY_ENV = "WEBLOGS_ALLOW_EMPTY"


@dataclass(frozen=True)
class RunInputs:
    """What an invocation started from: the project's fingerprint and the tables' versions."""

    fingerprint: str
    versions: dict[str, int]


# By invocation id, from its on-run-start hook to its on-run-end hook.
_run_starts: dict[str, RunInputs] = {}


class _ScratchTables(threading.local):
    """The tables the model being built staged and the views it held in memory, one list
    each per thread (models run in parallel threads)."""

    def __init__(self) -> None:
        self.tables: list[BaseRelation] = []
        self.held: list[BaseRelation] = []


# What a table, an incremental model, a seed, a snapshot or a stored test failure is written
# as when its config names no file format (pre_model_hook).
DEFAULT_FILE_FORMAT = "delta"


@dataclass(frozen=True)
class _HookContext:
    """What pre_model_hook hands post_model_hook: the parent's context, and the node config
    given the default file format (None if the node named one)."""

    inner: object
    defaulted: Any


class SessionFunctionsAdapter(SparkAdapter):
    Relation = SessionFunctionRelation  # type: ignore[assignment]

    @classmethod
    def type(cls) -> str:
        return "session_functions"

    @classmethod
    def get_adapter_run_info(cls, config: RelationConfig) -> AdapterTrackingRelationInfo:
        # dbt derives the module from the class name ("saildelta"); ours have an underscore.
        adapter_version = import_module(f"dbt.adapters.{cls.type()}.__version__").version
        return AdapterTrackingRelationInfo(
            adapter_name=cls.type(),
            base_adapter_version=about.version,
            adapter_version=adapter_version,
            model_adapter_details=cls._get_adapter_specific_run_info(config),
        )

    @abstractmethod
    def _session(self):  # pyspark is imported lazily, so no return annotation
        """The Spark Connect session dbt's statements run in."""

    def _create_freshness_response(
        self, last_modified: datetime | None, snapshotted_at: datetime | None
    ):  # dbt's FreshnessResponse
        """`dbt source freshness` with times in UTC. pyspark hands timestamps back as naive
        datetimes in the process's local time zone, and dbt takes a naive time for UTC: on a
        machine outside UTC the age came out right but both times in sources.json were off
        by the zone's offset. Naive here means local, so it is converted."""

        def utc(value: datetime | None) -> datetime | None:
            if value is None or value.tzinfo is not None:
                return value
            return value.astimezone(UTC)

        return super()._create_freshness_response(utc(last_modified), utc(snapshotted_at))

    def _get_columns_for_catalog(self, relation: BaseRelation) -> Iterable[dict[str, Any]]:
        """A relation's columns for `dbt docs generate`, from SHOW TABLE EXTENDED as in
        dbt-spark, else from DESCRIBE: Delta Lake on Spark lists a table that CREATE OR
        REPLACE TABLE ... AS SELECT created without its schema there, and dbt-spark then
        left the table out of the catalog."""
        columns = self.parse_columns_from_information(relation)
        for column in columns or self.get_columns_in_relation(relation):
            as_dict = column.to_column_dict()
            as_dict["column_name"] = as_dict.pop("column", None)
            as_dict["column_type"] = as_dict.pop("dtype")
            as_dict["table_database"] = None
            yield as_dict

    @abstractmethod
    def _warehouse(self) -> Path:
        """The warehouse folder that keeps the build state."""

    @abstractmethod
    def _newest_batch(self, relation: str) -> int:
        """The newest ingest batch a table (schema.alias) holds; 0 if none."""

    @abstractmethod
    def _table_version(self, schema: str, identifier: str) -> int | None:
        """A Delta table's current version; None when there is no such table."""

    def _keep_function(self, definition: FunctionDefinition) -> None:
        """Keep a registered function beyond this session; here the session is all there is."""

    @available
    def register_python_udf(
        self, name: str, source: str, entry_point: str, return_type: str
    ) -> str:
        """Register a vectorized Python UDF in dbt's session (the server runs it in Python
        workers, which need its imports: pandas, pyarrow)."""
        definition = FunctionDefinition(
            name=name, source=source, entry_point=entry_point, return_type=return_type
        )
        register_function(self._session(), definition)
        self._keep_function(definition)
        return name

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._scratch = _ScratchTables()
        self._warehouse_guard = threading.Lock()
        self._warehouse_checked = False
        self._warehouse_lock: file_lock.WarehouseLock | None = None

    def acquire_connection(self, name=None):  # dbt's Connection
        self._hold_warehouse()
        return super().acquire_connection(name)

    def _hold_warehouse(self) -> None:
        """Before the first connection of a writing command: refuse an `--empty` build of
        published tables, then take the warehouse's writer lock (or share its holding with
        the `weblogs` command that started this dbt). Plain dbt and `weblogs` then write one
        at a time: a `dbt build` beside a `weblogs build` failed on a merge's staged table."""
        if self._warehouse_checked:
            return
        with self._warehouse_guard:
            if self._warehouse_checked:
                return
            from dbt.flags import get_flags

            flags = get_flags()
            command = str(getattr(flags, "WHICH", "") or "")
            if command in WRITING_COMMANDS:
                self._refuse_empty_build(command, bool(getattr(flags, "EMPTY", False)))
                try:
                    self._warehouse_lock = file_lock.take_for_dbt(self._warehouse(), command)
                except file_lock.RunLockedError as busy:
                    raise DbtRuntimeError(str(busy)) from None
            self._warehouse_checked = True

    def _refuse_empty_build(self, command: str, empty: bool) -> None:
        """`--empty` rebuilds every table model from no rows: on a warehouse with data it
        replaced `requests_by_status` with 0 rows for readers until the next build. Refused
        there unless $WEBLOGS_ALLOW_EMPTY says so; a scratch warehouse checks the SQL."""
        if not empty or os.environ.get(ALLOW_EMPTY_ENV, "").strip() not in ("", "0"):
            return
        through = build_state.built_through(self._warehouse())
        if through:
            raise DbtRuntimeError(
                f"dbt {command} --empty would replace the published tables of "
                f"{self._warehouse()} (built through batch {through}) with empty ones. Check "
                "the project on a scratch warehouse instead (WEBLOGS_WAREHOUSE=$(mktemp -d) "
                f"dbt {command} --empty), or set {ALLOW_EMPTY_ENV}=1 to empty them here."
            )

    def cleanup_connections(self) -> None:
        """dbt is done with the warehouse: the writer lock is given back."""
        try:
            super().cleanup_connections()
        finally:
            lock, self._warehouse_lock = self._warehouse_lock, None
            self._warehouse_checked = False
            if lock is not None:
                lock.close()

    def pre_model_hook(self, config: Mapping) -> object:
        """Give a node that names no file format Delta, for the time it is built.

        dbt-spark's materializations read `file_format` in a dozen places and take parquet
        when it is missing: a snapshot then refuses to run, a merge is refused, and a table
        is dropped and created again instead of replaced. Both engines here write Delta, so
        Delta is the default, as on Databricks. The node's config is put back after the
        build (post_model_hook): dbt writes the manifest after the run, and a state
        comparison (`state:modified`) reads the config the project gave.
        """
        context = super().pre_model_hook(config)
        node_config = getattr(getattr(config, "model", None), "config", None)
        if node_config is None or node_config.get("file_format") is not None:
            return _HookContext(context, None)
        node_config["file_format"] = DEFAULT_FILE_FORMAT
        return _HookContext(context, node_config)

    def post_model_hook(self, config: Mapping, context: object) -> None:
        """Drop the tables the model's materialization staged and release the views it
        held, whether it succeeded or not, and take the default file format back out of the
        node's config."""
        inner = context
        if isinstance(context, _HookContext):
            inner = context.inner
            if context.defaulted is not None:
                del context.defaulted["file_format"]
        while self._scratch.held:
            relation = self._scratch.held.pop()
            try:
                self.execute(f"uncache table if exists {relation.render()}")
            except Exception as error:  # the model's own outcome is what dbt reports
                logger.warning(f"{relation} was not released from memory ({error})")
        while self._scratch.tables:
            relation = self._scratch.tables.pop()
            try:
                self.drop_relation(relation)
            except Exception as error:  # the model's own outcome is what dbt reports
                logger.warning(f"{relation} was not dropped ({error}); the next stage replaces it")
        super().post_model_hook(config, inner)

    @available
    def delta_check_constraints(self, relation: BaseRelation) -> list[str]:
        """The CHECK constraints a stored Delta table holds, by name (lower case), so that a
        contract's constraint is added once (adding one that exists fails)."""
        _, table = self.execute(f"show tblproperties {relation.render()}", fetch=True)
        return constraint_names({str(row[0]): row[1] for row in table.rows})

    @available
    def drop_delta_check_constraint(self, relation: BaseRelation, name: str) -> str:
        """Drop a CHECK constraint from a Delta table, so that adding it again checks the
        rows the table holds now."""
        self.execute(f"alter table {relation.render()} drop constraint if exists {name}")
        return ""

    @available
    def hold_merge_source(self, relation: BaseRelation) -> bool:
        """Compute a merge's incoming rows (a view of the model's query) once and keep them
        until the model has run, so that the statements that read them (the bound, the
        probe, the insert or the MERGE) do not each run the model's query again. False
        where the engine cannot hold a view: they read the view."""
        return False

    @available
    def drop_after_model(self, relation: BaseRelation) -> str:
        """Drop `relation` once the model being built has run (merge.sql stages a MERGE's
        source in one)."""
        self._scratch.tables.append(relation)
        return ""

    @available
    def seed_is_loaded(self, schema: str, identifier: str, fingerprint: str) -> bool:
        """Whether the seed's table already holds the file `fingerprint` describes."""
        version = self._table_version(schema, identifier)
        return seeds.is_loaded(self._warehouse(), schema, identifier, fingerprint, version)

    @available
    def forget_seed_dependents(self, seed_id: str, models: list[dict]) -> str:
        stale = seeds.forget_dependents(self._warehouse(), seed_id, models)
        if stale:
            logger.info(f"{seed_id} changes: {', '.join(stale)} will take in every row again")
        return ""

    @available
    def record_seed_load(self, schema: str, identifier: str, fingerprint: str) -> str:
        version = self._table_version(schema, identifier)
        seeds.record_load(self._warehouse(), schema, identifier, fingerprint, version)
        return ""

    @available
    def built_mark(self, schema: str, identifier: str) -> int:
        """The batch a table is built through, from the warehouse's build state."""
        return build_state.table_mark(self._warehouse(), f"{schema}.{identifier}")

    @available
    def tested_through_batch(self, invocation_id: str) -> int:
        """The batch through which every data test passed on every row, with the project as
        this invocation builds it (0: test every row)."""
        return build_state.tested_through(
            self._warehouse(), self._started_fingerprint(invocation_id)
        )

    @available
    def batch_ceiling(self) -> int:
        """The newest ingest batch this invocation may take from bronze (0: every batch)."""
        return build_state.batch_ceiling()

    @available
    def record_build_state(
        self,
        bronze_id: str,
        models: list[dict],
        statuses: dict[str, str],
        empty: bool,
        invocation_id: str,
        command: str,
        project_nodes: dict[str, str],
        sources: list[str],
    ) -> int:
        """Record the batch the warehouse is built through after this invocation. After a
        failed one (a model, a test, a full disk), a write error here is said in one line
        rather than raised: dbt took a failing on-run-end hook for an interrupt and printed
        a compilation error on top of the failure it had reported already."""
        fingerprint, versions = self._invocation_inputs(invocation_id)
        try:
            return build_state.record_invocation(
                self._warehouse(),
                bronze_id,
                [
                    build_state.Model(**{**model, "depends_on": tuple(model["depends_on"])})
                    for model in models
                ],
                build_state.Invocation(
                    statuses=dict(statuses),
                    empty=bool(empty),
                    command=str(command),
                    project_nodes=dict(project_nodes),
                    fingerprint=fingerprint,
                    sources={name: versions.get(name, -1) for name in sources},
                    invocation_id=str(invocation_id),
                ),
                lambda model: self._newest_batch(model.relation),
                build_state.carried_statuses(self._previous_statuses(invocation_id), statuses),
            )
        except Exception as error:
            if not failed(statuses.values()):
                raise
            logger.warning(
                f"the build state was not recorded ({first_line(error)}); `weblogs status` "
                "shows it as it was before this invocation"
            )
            return 0

    def _previous_statuses(self, invocation_id: str) -> dict[str, str]:
        """The node statuses of the last invocation that recorded this warehouse's build
        state, from dbt's run_results.json (what `dbt retry` reads; while on-run-end hooks
        run it is still the last invocation's). Nothing if that file is another's: a target
        path shared by two warehouses, or a dbt command since that records no build state."""
        path = Path(self.config.project_root) / self.config.target_path / "run_results.json"
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        recorded = previous.get("metadata", {}).get("invocation_id")
        if recorded in (None, invocation_id) or recorded != build_state.last_invocation(
            self._warehouse()
        ):
            return {}
        return {str(result["unique_id"]): str(result["status"]) for result in previous["results"]}

    def _invocation_inputs(self, invocation_id: str) -> tuple[str, dict[str, int]]:
        """The project's fingerprint and the tables' versions when the invocation started
        (remember_run_inputs, at on-run-start); without them every build runs."""
        inputs = _run_starts.pop(invocation_id, None) or RunInputs("", {})
        return inputs.fingerprint, inputs.versions

    def _remember_run_inputs(self, invocation_id: str, versions: dict[str, int]) -> None:
        """At on-run-start: what the project looked like and each table's Delta version then
        (schema.table -> version), for the build state's record of what a build read."""
        _run_starts[invocation_id] = RunInputs(fingerprint=self._fingerprint(), versions=versions)

    def _started_fingerprint(self, invocation_id: str) -> str:
        inputs = _run_starts.get(invocation_id)
        return inputs.fingerprint if inputs else self._fingerprint()

    def _fingerprint(self) -> str:
        """The project as this invocation builds it: the fingerprint `weblogs build`
        compares, before starting dbt, with the one the last complete build recorded."""
        from dbt.flags import get_flags

        profiles_file = Path(get_flags().PROFILES_DIR) / "profiles.yml"
        return fingerprint.project_fingerprint(
            Path(self.config.project_root),
            self.config.target_name,
            fingerprint.profile_output(
                profiles_file, self.config.profile_name, self.config.target_name
            ),
            self.config.cli_vars,
            (self.type(), "session_functions"),
        )
