{#
    Project logic of the merge models, called by the adapters' shared merge
    (session_functions__get_merge_sql) when a model sets `merge_lower_bound_column`: the
    bound on the target rows the merge reads, and the late-arrival log against
    var('late_arrival_lookback_days'). It lives here, beside the other incremental helpers,
    because the watermark and what counts as late belong to this project, not to an engine.
#}
{% macro merge_lower_bound_predicate(target, source, column) %}
    {#- `DBT_INTERNAL_DEST.<column> >= <oldest incoming value>`, or `false` when nothing comes
        in. Logs incoming rows older than the watermark: the newest stored value minus
        var('late_arrival_lookback_days'). -#}
    {%- set bounds = run_query(
        'select cast(min(' ~ column ~ ') as string) as oldest, '
        ~ 'cast(date_sub((select max(' ~ column ~ ') from ' ~ target ~ '), '
        ~ var('late_arrival_lookback_days') ~ ') as string) as watermark from ' ~ source
    ) -%}
    {%- set oldest = bounds.columns[0].values()[0] -%}
    {%- set watermark = bounds.columns[1].values()[0] -%}
    {%- if oldest is none -%}
        {{ return('false') }}
    {%- endif -%}
    {%- if watermark is not none and oldest < watermark -%}
        {{ log('late arrivals in ' ~ target ~ ': incoming ' ~ column ~ ' from ' ~ oldest
            ~ ', older than the watermark ' ~ watermark ~ '; merged by a wider pass', info=True) }}
    {%- endif -%}
    {{ return('DBT_INTERNAL_DEST.' ~ column ~ " >= cast('" ~ oldest ~ "' as date)") }}
{% endmacro %}
