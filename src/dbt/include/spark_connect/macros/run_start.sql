{% macro spark_connect__record_run_start() %}
    {#- on-run-start: the project's fingerprint and each source table's Delta version, which
        the build state keeps for a complete build (weblogs.build.up_to_date). -#}
    {% if execute %}
        {%- set sources = [] -%}
        {%- for source in graph.sources.values() -%}
            {%- do sources.append(source.schema ~ '.' ~ source.identifier) -%}
        {%- endfor -%}
        {% do adapter.record_run_start(invocation_id, sources) %}
    {% endif %}
    {{ return('') }}
{% endmacro %}
