{#
    dbt.dateadd for both adapters (Sail, and Apache Spark), with dbt-spark's answers.

    dbt-spark moves the date part with date_add or add_months, adds the clock time back as
    seconds and turns the epoch seconds into a timestamp with to_timestamp(<bigint>). Spark
    reads that number as seconds; Sail reads it as microseconds, so on the embedded engine
    dateadd('day', 1, '2023-09-07') came out as 1970-01-01 00:28:14, and date_spine and
    last_day, built on it, with it. timestamp_seconds() reads seconds on both engines.

    dbt-spark's millisecond and microsecond cast interval / 1000000 to int, which adds
    nothing for any interval under a million; here they are added as microseconds.
#}

{% macro session_functions__dateadd(datepart, interval, from_date_or_timestamp) %}
    {%- set date_of = assert_not_null('date', from_date_or_timestamp) -%}
    {%- set months = {'month': 1, 'quarter': 3, 'year': 12} -%}
    {%- set seconds = {'hour': 3600, 'minute': 60, 'second': 1} -%}
    {%- set microseconds = {'millisecond': 1000, 'microsecond': 1} -%}
    {%- if datepart in ('day', 'week') or datepart in months -%}
        {#- The date moves; its time of day (seconds since midnight) is added back. -#}
        {%- if datepart in months -%}
            {%- set moved = 'add_months(' ~ date_of ~ ', cast((' ~ interval ~ ') * ' ~ months[datepart] ~ ' as int))' -%}
        {%- else -%}
            {%- set moved = 'date_add(' ~ date_of ~ ', cast((' ~ interval ~ ') * ' ~ (7 if datepart == 'week' else 1) ~ ' as int))' -%}
        {%- endif -%}
        timestamp_seconds(
            to_unix_timestamp({{ moved }})
            + to_unix_timestamp({{ assert_not_null('to_timestamp', from_date_or_timestamp) }})
            - to_unix_timestamp({{ date_of }})
        )
    {%- elif datepart in seconds -%}
        timestamp_seconds(
            to_unix_timestamp({{ assert_not_null('to_timestamp', from_date_or_timestamp) }})
            + cast((({{ interval }}) * {{ seconds[datepart] }}) as int)
        )
    {%- elif datepart in microseconds -%}
        timestamp_micros(
            unix_micros({{ assert_not_null('to_timestamp', from_date_or_timestamp) }})
            + cast(({{ interval }}) * {{ microseconds[datepart] }} as bigint)
        )
    {%- else -%}
        {{ exceptions.raise_compiler_error("dateadd: no datepart '" ~ datepart ~ "' on " ~ target.type ~ " (one of day, week, month, quarter, year, hour, minute, second, millisecond, microsecond)") }}
    {%- endif -%}
{% endmacro %}
