from __future__ import annotations

from dataclasses import dataclass

from dbt.adapters.spark.relation import SparkRelation


@dataclass(frozen=True, eq=False, repr=False)
class SailDeltaRelation(SparkRelation):
    """Spark relations, except that functions are session-scoped and so unqualified.

    Sail registers Python UDFs per session and rejects a schema-qualified call
    (`weblogs.parse_state(...)`), so a function renders as its bare name.
    """

    def render(self) -> str:
        if self.is_function:
            return self.quoted(self.identifier) if self.quote_policy.identifier else self.identifier
        return super().render()
