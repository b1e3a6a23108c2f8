from __future__ import annotations

from dataclasses import dataclass

from dbt.adapters.spark.relation import SparkRelation


@dataclass(frozen=True, eq=False, repr=False)
class SessionFunctionRelation(SparkRelation):
    """Spark relations, except that a function renders as its bare name.

    A Python UDF registered from a Spark Connect client is a temporary function of the
    session: Spark and Sail resolve `parse_state(...)`, and reject (Sail) or do not find
    (Spark) `weblogs.parse_state(...)`.
    """

    def render(self) -> str:
        if self.is_function:
            return self.quoted(self.identifier) if self.quote_policy.identifier else self.identifier
        return super().render()
