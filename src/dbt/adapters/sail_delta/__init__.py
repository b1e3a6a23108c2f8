from dbt.adapters.base import AdapterPlugin

from dbt.adapters.sail_delta.connections import (  # noqa: F401
    SailDeltaConnectionManager,
    SailDeltaCredentials,
)
from dbt.adapters.sail_delta.impl import SailDeltaAdapter
from dbt.include import sail_delta

Plugin = AdapterPlugin(
    adapter=SailDeltaAdapter,  # type: ignore[arg-type]
    credentials=SailDeltaCredentials,
    include_path=sail_delta.PACKAGE_PATH,
    dependencies=["sail"],
)
