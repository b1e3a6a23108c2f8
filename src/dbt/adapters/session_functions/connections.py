from __future__ import annotations

from dataclasses import dataclass

from dbt.adapters.spark.connections import SparkCredentials
from dbt_common.exceptions import DbtRuntimeError


@dataclass
class SessionFunctionsCredentials(SparkCredentials):
    """Refuses a profile of `type: session_functions`: the plugin is a shared base only."""

    def __post_init__(self) -> None:
        raise DbtRuntimeError(
            "session_functions is the shared base of the sail_delta and spark_connect "
            "adapters, not a target type: use type sail_delta or spark_connect"
        )
