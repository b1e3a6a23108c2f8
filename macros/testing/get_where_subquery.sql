{#
    Overrides dbt's built-in get_where_subquery (macros/materializations/tests/
    where_subquery.sql in dbt's global project): the hook through which every data test,
    dbt's and ours, reads the relation it tests. dbt's applies the test's `where` config;
    this one also scopes the test to the relation's new rows (new_rows_scope.sql), unless
    the test's meta says `reads_rows: false`. Why an override: every test passes through
    it, so scoping there covers each one without a copy of every generic test. A
    root-project macro of this name replaces dbt's on every adapter (none of the adapters
    used here dispatches a version of its own).
#}

{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where') -%}
        {%- do conditions.append(config.get('where')) -%}
    {%- endif -%}
    {%- if (config.get('meta') or {}).get('reads_rows', true) -%}
        {%- set scope = new_rows_scope(relation) -%}
        {%- if scope -%}
            {%- do conditions.append(scope) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if not conditions -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set filtered -%}
        (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
    {%- endset -%}
    {{ return(filtered) }}
{%- endmacro %}
