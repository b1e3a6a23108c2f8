"""dbt's cross-database macros and data types, as dbt-spark selects their tests for Spark
(adapter_suite.py says how), and the project's own exact answers of the date and string
macros its users call."""

from __future__ import annotations

import pytest
from adapter_suite_files import (
    DATEADD_ANSWERS_SQL,
    FLOAT_SEED_TYPES_YML,
    INT_SEED_TYPES_YML,
    LAST_DAY_ANSWERS_SQL,
    LISTAGG_UNORDERED_SQL,
    MACRO_ANSWERS_YML,
    SPLIT_PART_ANSWERS_SQL,
)
from adapter_suite_shared import SharedExpectedActual, SharedUtils
from dbt.tests.adapter.utils.base_utils import BaseUtils
from dbt.tests.adapter.utils.data_types.test_type_bigint import BaseTypeBigInt
from dbt.tests.adapter.utils.data_types.test_type_boolean import BaseTypeBoolean
from dbt.tests.adapter.utils.data_types.test_type_float import BaseTypeFloat
from dbt.tests.adapter.utils.data_types.test_type_float import (
    seeds__expected_csv as float_expected_csv,
)
from dbt.tests.adapter.utils.data_types.test_type_int import BaseTypeInt
from dbt.tests.adapter.utils.data_types.test_type_int import (
    seeds__expected_csv as int_expected_csv,
)
from dbt.tests.adapter.utils.data_types.test_type_numeric import BaseTypeNumeric
from dbt.tests.adapter.utils.data_types.test_type_string import BaseTypeString
from dbt.tests.adapter.utils.data_types.test_type_timestamp import BaseTypeTimestamp
from dbt.tests.adapter.utils.fixture_listagg import models__test_listagg_yml
from dbt.tests.adapter.utils.test_any_value import BaseAnyValue
from dbt.tests.adapter.utils.test_array_append import BaseArrayAppend
from dbt.tests.adapter.utils.test_array_concat import BaseArrayConcat
from dbt.tests.adapter.utils.test_array_construct import BaseArrayConstruct
from dbt.tests.adapter.utils.test_bool_or import BaseBoolOr
from dbt.tests.adapter.utils.test_cast import BaseCast
from dbt.tests.adapter.utils.test_cast_bool_to_text import BaseCastBoolToText
from dbt.tests.adapter.utils.test_concat import BaseConcat
from dbt.tests.adapter.utils.test_current_timestamp import BaseCurrentTimestampNaive
from dbt.tests.adapter.utils.test_date import BaseDate
from dbt.tests.adapter.utils.test_date_spine import BaseDateSpine
from dbt.tests.adapter.utils.test_date_trunc import BaseDateTrunc
from dbt.tests.adapter.utils.test_dateadd import BaseDateAdd
from dbt.tests.adapter.utils.test_equals import BaseEquals
from dbt.tests.adapter.utils.test_escape_single_quotes import BaseEscapeSingleQuotesBackslash
from dbt.tests.adapter.utils.test_except import BaseExcept
from dbt.tests.adapter.utils.test_hash import BaseHash
from dbt.tests.adapter.utils.test_intersect import BaseIntersect
from dbt.tests.adapter.utils.test_last_day import BaseLastDay
from dbt.tests.adapter.utils.test_length import BaseLength
from dbt.tests.adapter.utils.test_listagg import BaseListagg
from dbt.tests.adapter.utils.test_position import BasePosition
from dbt.tests.adapter.utils.test_replace import BaseReplace
from dbt.tests.adapter.utils.test_right import BaseRight
from dbt.tests.adapter.utils.test_safe_cast import BaseSafeCast
from dbt.tests.adapter.utils.test_split_part import BaseSplitPart
from dbt.tests.adapter.utils.test_string_literal import BaseStringLiteral
from dbt.tests.adapter.utils.test_timestamps import BaseCurrentTimestamps
from dbt.tests.util import run_dbt
from dbt_common.exceptions import CompilationError

# --- Cross-database macros --------------------------------------------------------------
# Built together, with the data types, in the module's shared project (adapter_suite_shared.py).


class SharedArrays(SharedUtils, SharedExpectedActual):
    def test_expected_actual(self, project, shared_build) -> None:
        self.check_expected_actual(project, shared_build)


class SharedTypes(SharedExpectedActual):
    def test_check_types_assert_match(self, project, shared_build) -> None:
        self.check_expected_actual(project, shared_build)


class TestAnyValue(SharedUtils, BaseAnyValue):
    pass


class TestArrayAppend(SharedArrays, BaseArrayAppend):
    pass


class TestArrayConcat(SharedArrays, BaseArrayConcat):
    pass


class TestArrayConstruct(SharedArrays, BaseArrayConstruct):
    pass


class TestBoolOr(SharedUtils, BaseBoolOr):
    pass


class TestCast(SharedUtils, BaseCast):
    pass


class TestCastBoolToText(SharedUtils, BaseCastBoolToText):
    pass


class TestConcat(SharedUtils, BaseConcat):
    pass


class TestCurrentTimestampNaive(BaseCurrentTimestampNaive):
    pass


class TestDate(SharedUtils, BaseDate):
    pass


class TestDateAdd(SharedUtils, BaseDateAdd):
    pass


class TestDateSpine(SharedUtils, BaseDateSpine):
    pass


class TestDateTrunc(SharedUtils, BaseDateTrunc):
    pass


class TestEquals(SharedUtils, BaseEquals):
    def test_equal_values(self, project, shared_build) -> None:
        # dbt's nine cases: three equal, six not.
        self.assert_built(shared_build)
        for model, label, count in (
            ("equal_values", "same", 3),
            ("not_equal_values", "different", 6),
        ):
            relation = shared_build.relation(type(self), model)
            sql = f"select count(*) from {relation} where expected = '{label}'"
            assert project.run_sql(sql, fetch="one")[0] == count, model


class TestEscapeSingleQuotes(SharedUtils, BaseEscapeSingleQuotesBackslash):
    pass


class TestExcept(SharedUtils, BaseExcept):
    pass


class TestHash(SharedUtils, BaseHash):
    pass


class TestIntersect(SharedUtils, BaseIntersect):
    pass


class TestLastDay(SharedUtils, BaseLastDay):
    pass


class TestLength(SharedUtils, BaseLength):
    pass


class TestListagg(SharedUtils, BaseListagg):
    # Spark's listagg (collect_list, joined) takes no ORDER BY and no limit.
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {
            "test_listagg.yml": models__test_listagg_yml,
            "test_listagg.sql": LISTAGG_UNORDERED_SQL,
        }


class TestPosition(SharedUtils, BasePosition):
    pass


class TestReplace(SharedUtils, BaseReplace):
    pass


class TestRight(SharedUtils, BaseRight):
    pass


class TestSafeCast(SharedUtils, BaseSafeCast):
    pass


class TestSplitPart(SharedUtils, BaseSplitPart):
    pass


class TestStringLiteral(SharedUtils, BaseStringLiteral):
    pass


class TestCurrentTimestamps(BaseCurrentTimestamps):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {"get_current_timestamp.sql": "select {{ current_timestamp() }} as now_at"}

    @pytest.fixture(scope="class")
    def expected_schema(self) -> dict[str, str]:
        return {"now_at": "timestamp"}

    @pytest.fixture(scope="class")
    def expected_sql(self) -> str:
        return "select current_timestamp() as now_at"


# --- Data types -------------------------------------------------------------------------


class TestTypeBigInt(SharedTypes, BaseTypeBigInt):
    pass


class TestTypeFloat(SharedTypes, BaseTypeFloat):
    # A seed's number column loads as double; the model's float differs under EXCEPT.
    @pytest.fixture(scope="class")
    def seeds(self) -> dict[str, str]:
        return {"expected.csv": float_expected_csv, "expected.yml": FLOAT_SEED_TYPES_YML}


class TestTypeInt(SharedTypes, BaseTypeInt):
    # A seed's integer column loads as bigint.
    @pytest.fixture(scope="class")
    def seeds(self) -> dict[str, str]:
        return {"expected.csv": int_expected_csv, "expected.yml": INT_SEED_TYPES_YML}


class TestTypeNumeric(SharedTypes, BaseTypeNumeric):
    def numeric_fixture_type(self) -> str:
        return "decimal(28,6)"


class TestTypeString(SharedTypes, BaseTypeString):
    pass


class TestTypeTimestamp(SharedTypes, BaseTypeTimestamp):
    pass


class TestTypeBoolean(SharedTypes, BaseTypeBoolean):
    pass


# --- The project's own answers ----------------------------------------------------------


class TestDateAndStringMacroAnswers(SharedUtils, BaseUtils):
    """dateadd in every datepart it takes (dates, month ends, leap days, negative intervals,
    sub-second parts, an interval from a column, null), last_day in every unit, split_part
    with negative, empty and missing parts and a two-character delimiter: each against its
    exact answer (dbt's assert_equal test on each model, run by `dbt build`).

    dbt's own tests take one interval of each datepart; on the embedded engine every answer
    of dateadd was in 1970, and split_part(..., -1) failed."""

    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {
            "dateadd_answers.sql": DATEADD_ANSWERS_SQL,
            "last_day_answers.sql": LAST_DAY_ANSWERS_SQL,
            "split_part_answers.sql": SPLIT_PART_ANSWERS_SQL,
            "answers.yml": MACRO_ANSWERS_YML,
        }

    def test_every_case_is_compared(self, project, shared_build) -> None:
        # The models hold one row per case.
        self.assert_built(shared_build)
        counts = {
            name: project.run_sql(
                f"select count(*) from {shared_build.relation(type(self), name)}", "one"
            )[0]
            for name in ("dateadd_answers", "last_day_answers", "split_part_answers")
        }
        assert counts == {"dateadd_answers": 13, "last_day_answers": 4, "split_part_answers": 8}


class TestDateaddUnknownDatepart:
    """A datepart dateadd does not know stops the model with one line naming it."""

    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {"fortnight.sql": "select {{ dbt.dateadd('fortnight', 1, 'current_date()') }} as d"}

    def test_unknown_datepart(self, project) -> None:
        with pytest.raises(CompilationError, match="dateadd: no datepart 'fortnight' on "):
            run_dbt(["run"])
