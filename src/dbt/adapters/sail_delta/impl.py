"""dbt-sail with a warehouse that persists: fixed table locations, a restored catalog,
and Python UDFs registered in the session."""

from __future__ import annotations

import json
from pathlib import Path

from dbt.adapters.base.column import Column as BaseColumn
from dbt.adapters.base.meta import available
from dbt.adapters.base.relation import BaseRelation
from dbt.adapters.events.logging import AdapterLogger
from dbt.adapters.sail.impl import SailAdapter

from dbt.adapters.sail_delta.connections import SailDeltaConnectionManager
from dbt.adapters.session_functions.impl import (
    SessionFunctionsAdapter,
    constraint_names,
    failed,
    first_line,
)
from weblogs import layout
from weblogs.bronze import empty as raw_layer
from weblogs.build import run_log
from weblogs.embedded import catalog, engine
from weblogs.functions import FunctionDefinition

logger = AdapterLogger("SailDelta")


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
    def add_delta_columns(self, relation: BaseRelation, columns: list[BaseColumn]) -> str:
        """Add nullable columns to a stored Delta table (on_schema_change: append_new_columns
        or sync_all_columns), as one Delta commit, and attach the table again with them.

        Sail has no ALTER TABLE ... ADD COLUMNS; delta-rs adds them to the table's log. Each
        type is read by the engine itself (a cast of null to it), so any type dbt reports
        for a column, nested ones included, arrives as the engine would write it.
        """
        from deltalake import DeltaTable, Schema

        schema, identifier = relation.schema, relation.identifier
        location = self.stored_table_location(schema, identifier) or self.table_location(
            schema, identifier
        )
        fields = []
        for column in columns:
            data_type = self._session().sql(f"select cast(null as {column.data_type}) as c")
            fields.append(
                {
                    "name": column.name,
                    "type": json.loads(data_type.schema[0].dataType.json()),
                    "nullable": True,
                    "metadata": {},
                }
            )
        added = Schema.from_json(json.dumps({"type": "struct", "fields": fields})).fields
        DeltaTable(location).alter.add_columns(added)
        # The session's entry declares the old columns: it is dropped (the files stay, the
        # table is external) and attached again from the log.
        self._session().sql(f"drop table if exists {relation.render()}")
        catalog.attach_table(self._session(), schema, identifier, Path(location))
        return ""

    @available
    def delta_check_constraints(self, relation: BaseRelation) -> list[str]:
        """The CHECK constraints a stored Delta table holds, by name (lower case), read from
        its log (Sail has no SHOW TBLPROPERTIES)."""
        from deltalake import DeltaTable

        location = self.stored_table_location(relation.schema, relation.identifier)
        if not location:
            return []
        configuration = DeltaTable(location).metadata().configuration
        return constraint_names(configuration)

    @available
    def drop_delta_check_constraint(self, relation: BaseRelation, name: str) -> str:
        """Drop a CHECK constraint from a Delta table (one commit in its log), so that adding
        it again checks the rows the table holds now. Sail has no DROP CONSTRAINT;
        delta-rs drops it."""
        from deltalake import DeltaTable

        location = self.stored_table_location(relation.schema, relation.identifier)
        if location:
            DeltaTable(location).alter.drop_constraint(name, raise_if_not_exists=False)
        return ""

    @available
    def save_view_definition(self, schema: str, identifier: str, create_sql: str) -> str:
        catalog.save_view(self._warehouse(), schema, identifier, create_sql)
        return ""

    @available
    def forget_view_definition(self, schema: str, identifier: str) -> str:
        catalog.forget_view(self._warehouse(), schema, identifier)
        return ""

    def _table_version(self, schema: str, identifier: str) -> int | None:
        """A Delta table's version, read from its log in the warehouse folder."""
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        try:
            return DeltaTable(str(self._warehouse() / schema / identifier)).version()
        except TableNotFoundError:
            return None

    def _keep_function(self, definition: FunctionDefinition) -> None:
        """Save the function in the warehouse catalog: the next process registers it again."""
        catalog.save_function(self._warehouse(), definition)

    @available
    def snapshot_run_start(self, invocation_id: str) -> str:
        """Remember each table's row count, newest batch and version, for the run log and
        the build state, and what the project looked like."""
        start = run_log.snapshot(invocation_id, self._warehouse())
        self._remember_run_inputs(
            invocation_id, {name: state.version for name, state in start.tables.items()}
        )
        return ""

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

    def _newest_batch(self, relation: str) -> int:
        """The newest ingest batch in a table, from its Delta files in the warehouse."""
        state = run_log.table_state(self._warehouse() / relation.replace(".", "/", 1))
        return (state.newest_batch if state else None) or 0
