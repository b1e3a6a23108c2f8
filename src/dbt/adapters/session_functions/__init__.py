"""What the sail_delta and spark_connect adapters share: Python function nodes that live in
the Spark Connect session rather than in a catalog, and the Delta merge (both write Delta).

It is a dbt plugin of its own so that its include folder (the function materialization, the
UDF registration hook and `session_functions__get_merge_sql`) sits in both adapters'
dependency chains: dbt looks up materializations and `adapter.dispatch` prefixes along that
chain. It is not a target type.
"""

from dbt.adapters.base import AdapterPlugin

from dbt.adapters.session_functions.connections import SessionFunctionsCredentials
from dbt.adapters.session_functions.impl import SessionFunctionsAdapter
from dbt.include import session_functions

Plugin = AdapterPlugin(
    adapter=SessionFunctionsAdapter,  # type: ignore[arg-type]
    credentials=SessionFunctionsCredentials,
    include_path=session_functions.PACKAGE_PATH,
)


def session_functions_plugin(
    adapter: type[SessionFunctionsAdapter], credentials: type, include_path: str, engine: str
) -> AdapterPlugin:
    """The plugin of an adapter built on this one and on `engine` (dbt-sail, dbt-spark).

    This plugin comes before the engine's in the chain, so its function materialization and
    `session_functions__` macros win over the engine's own; the adapter's own come first.
    """
    return AdapterPlugin(
        adapter=adapter,  # type: ignore[arg-type]
        credentials=credentials,
        include_path=include_path,
        dependencies=["session_functions", engine],
    )
