{#
    The incremental strategies Sail can run, checked before any statement.

    dbt-spark's insert_overwrite into partitions (and microbatch, which is built on it)
    first sets spark.sql.sources.partitionOverwriteMode = DYNAMIC and then runs INSERT
    OVERWRITE ... PARTITION (...). Sail 0.7 parses neither (the model failed on "found
    DYNAMIC ... expected string"), so such a model stops here with what to use instead.
    dbt-spark does not dispatch this check: the macro of the same name here takes its place
    in the sail_delta chain, and makes dbt-spark's checks too.
#}

{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
    {%- set strategies = ['append', 'merge', 'insert_overwrite', 'microbatch'] -%}
    {%- if raw_strategy not in strategies -%}
        {{ exceptions.raise_compiler_error("Invalid incremental strategy provided: " ~ raw_strategy ~ ". Expected one of: " ~ strategies | join(', ')) }}
    {%- endif -%}
    {%- if raw_strategy == 'merge' and file_format not in ['delta', 'iceberg', 'hudi'] -%}
        {{ exceptions.raise_compiler_error("Invalid incremental strategy provided: merge. It needs file_format delta, iceberg or hudi, got " ~ file_format) }}
    {%- endif -%}
    {%- if raw_strategy == 'microbatch' -%}
        {{ exceptions.raise_compiler_error("incremental_strategy microbatch is not available on sail_delta: dbt-spark builds it on INSERT OVERWRITE ... PARTITION, which Sail cannot run. Use merge with a unique_key instead") }}
    {%- endif -%}
    {%- if raw_strategy == 'insert_overwrite' and config.get('partition_by') -%}
        {{ exceptions.raise_compiler_error("incremental_strategy insert_overwrite with partition_by is not available on sail_delta: Sail cannot run INSERT OVERWRITE ... PARTITION. Use merge with a unique_key instead") }}
    {%- endif -%}
    {{ return(raw_strategy) }}
{% endmacro %}
