from dbt.adapters.sail_delta.connections import SailDeltaCredentials
from dbt.adapters.sail_delta.impl import SailDeltaAdapter
from dbt.adapters.session_functions import session_functions_plugin
from dbt.include import sail_delta

Plugin = session_functions_plugin(
    SailDeltaAdapter, SailDeltaCredentials, sail_delta.PACKAGE_PATH, engine="sail"
)
