{% test row_count_matches(model, compare_model) %}
{#- Fails when two relations hold different numbers of rows (one row with both counts).
    Where the model is read for its new rows only (new_rows_scope), so is the other. -#}
{%- set compare_scope = new_rows_scope(compare_model) if compare_model is not string else '' -%}
with

model_rows as (
    select count(*) as row_count from {{ model }}
),

compare_rows as (
    select count(*) as row_count from {{ compare_model }}
    {%- if compare_scope %}
    where {{ compare_scope }}
    {%- endif %}
)

select
    model_rows.row_count as model_row_count,
    compare_rows.row_count as compare_row_count
from model_rows
cross join compare_rows
where model_rows.row_count != compare_rows.row_count
{% endtest %}
