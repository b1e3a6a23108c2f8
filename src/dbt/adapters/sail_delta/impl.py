"""dbt-sail with a warehouse that persists: fixed table locations, a restored catalog,
and Python UDFs registered in the session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dbt.adapters.base.meta import available
from dbt.adapters.events.logging import AdapterLogger
from dbt.adapters.sail.impl import SailAdapter

from dbt.adapters.sail_delta.connections import SailDeltaConnectionManager
from dbt.adapters.session_functions.impl import SessionFunctionsAdapter, failed, first_line
from weblogs import layout
from weblogs.bronze import empty as raw_layer
from weblogs.build import fingerprint, run_log, seeds
from weblogs.build import state as build_state
from weblogs.embedded import catalog, engine
from weblogs.functions import FunctionDefinition

logger = AdapterLogger("SailDelta")


@dataclass(frozen=True)
class RunInputs:
    """What an invocation started from: the project's fingerprint and every table's version."""

    fingerprint: str
    versions: dict[str, int]


# By invocation id, from its on-run-start hook to its on-run-end hook.
_run_starts: dict[str, RunInputs] = {}


class SailDeltaAdapter(SessionFunctionsAdapter, SailAdapter):
    ConnectionManager = SailDeltaConnectionManager

    @classmethod
    def type(cls) -> str:
        return "sail_delta"

    def _warehouse(self) -> Path:
        return layout.warehouse_path(self.config.credentials.warehouse)

    def _session(self):  # pyspark is imported lazily, so no return annotation
        return engine.spark_session(self._warehouse())

    @available
    def table_location(self, schema: str, identifier: str) -> str:
        """Where a model's Delta files live: one fixed folder per table, reused by every run."""
        return str(self._warehouse() / schema / identifier)

    @available
    def scratch_table_location(self, schema: str, identifier: str) -> str:
        """Where a table a build stages for itself lives: outside the schemas' folders, so
        that no other process lists it (layout.delta_tables skips folders named _*)."""
        return str(self._warehouse() / "_scratch" / schema / identifier)

    @available
    def stored_table_location(self, schema: str, identifier: str) -> str:
        """The folder the catalog has for a table ('' if unknown): read before a drop."""
        location = catalog.stored_location(self._session(), schema, identifier)
        return str(location) if location else ""

    @available
    def purge_table_files(self, location: str) -> bool:
        """Delete a dropped table's files so a re-create at the same location starts empty.

        Only inside the warehouse: a table placed elsewhere (location_root) keeps its files.
        """
        path = Path(location)
        if not catalog.is_inside(self._warehouse(), path):
            logger.warning(f"not deleting {path}: it is outside the warehouse {self._warehouse()}")
            return False
        return catalog.purge_location(self._warehouse(), path)

    @available
    def save_view_definition(self, schema: str, identifier: str, create_sql: str) -> str:
        catalog.save_view(self._warehouse(), schema, identifier, create_sql)
        return ""

    @available
    def forget_view_definition(self, schema: str, identifier: str) -> str:
        catalog.forget_view(self._warehouse(), schema, identifier)
        return ""

    @available
    def built_mark(self, schema: str, identifier: str) -> int:
        """The batch a table is built through, from the warehouse's build state."""
        return build_state.table_mark(self._warehouse(), f"{schema}.{identifier}")

    @available
    def seed_is_loaded(self, schema: str, identifier: str, fingerprint: str) -> bool:
        """Whether the seed's table already holds the file `fingerprint` describes."""
        return seeds.is_loaded(self._warehouse(), schema, identifier, fingerprint)

    @available
    def forget_seed_dependents(self, seed_id: str, models: list[dict]) -> str:
        stale = seeds.forget_dependents(self._warehouse(), seed_id, models)
        if stale:
            logger.info(f"{seed_id} changes: {', '.join(stale)} will take in every row again")
        return ""

    @available
    def record_seed_load(self, schema: str, identifier: str, fingerprint: str) -> str:
        seeds.record_load(self._warehouse(), schema, identifier, fingerprint)
        return ""

    def _keep_function(self, definition: FunctionDefinition) -> None:
        """Save the function in the warehouse catalog: the next process registers it again."""
        catalog.save_function(self._warehouse(), definition)

    @available
    def snapshot_run_start(self, invocation_id: str) -> str:
        """Remember each table's row count, newest batch and version, for the run log and
        the build state, and what the project looked like."""
        start = run_log.snapshot(invocation_id, self._warehouse())
        _run_starts[invocation_id] = RunInputs(
            fingerprint=self._fingerprint(),
            versions={name: state.version for name, state in start.tables.items()},
        )
        return ""

    def _fingerprint(self) -> str:
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

    @available
    def tested_through_batch(self, invocation_id: str) -> int:
        inputs = _run_starts.get(invocation_id)
        fingerprint_now = inputs.fingerprint if inputs else self._fingerprint()
        return build_state.tested_through(self._warehouse(), fingerprint_now)

    @available
    def record_run_log(
        self,
        invocation_id: str,
        run_started_at,  # a datetime from dbt's context
        command: str,
        target_name: str,
        schema: str,
        staging_relation: str,
        results: list[dict],
        ledger_relation: str = "",
    ) -> int:
        """Append this invocation's rows to <schema>.run_log and attach it to the session.
        After a failed invocation, a write error is said in one line rather than raised (as
        for the build state, record_build_state)."""
        start = run_log.run_start(invocation_id)
        try:
            inputs = (
                run_log.read_batches(
                    self._session(), staging_relation, ledger_relation, start, schema
                )
                if staging_relation
                else {}
            )
            written = run_log.record(
                self._warehouse(),
                schema,
                invocation_id,
                run_started_at,
                command,
                target_name,
                results,
                inputs,
            )
        except Exception as error:
            if not failed(result.get("status") for result in results):
                raise
            logger.warning(f"the run log of this invocation was not written: {first_line(error)}")
            return 0
        catalog.attach_table(
            self._session(),
            schema,
            run_log.RUN_LOG_TABLE,
            self._warehouse() / schema / run_log.RUN_LOG_TABLE,
        )
        return written

    @available
    def create_raw_layer(self, raw_schema: str) -> str:
        """Create the bronze table and the ledger empty where nothing has landed yet, and
        attach them, so the models build (empty) before the first ingest."""
        created = raw_layer.create_missing_tables(self._warehouse(), raw_schema, logger.info)
        for table, location in created:
            catalog.attach_table(self._session(), raw_schema, table, location)
        if created:
            names = " and ".join(f"{raw_schema}.{table}" for table, _ in created)
            logger.info(f"created the raw layer empty, as nothing has landed yet: {names}")
        return ""

    def _invocation_inputs(self, invocation_id: str) -> tuple[str, dict[str, int]]:
        inputs = _run_starts.pop(invocation_id, None) or RunInputs("", {})
        return inputs.fingerprint, inputs.versions

    def _newest_batch(self, relation: str) -> int:
        """The newest ingest batch in a table, from its Delta files in the warehouse."""
        state = run_log.table_state(self._warehouse() / relation.replace(".", "/", 1))
        return (state.newest_batch if state else None) or 0
