{% test matches_pattern(model, column_name, pattern) %}
{#- Rows whose value does not match a regular expression (nulls are not_null's business). -#}
select {{ column_name }} as unmatched_value
from {{ model }}
where
    {{ column_name }} is not null
    and not {{ column_name }} rlike '{{ pattern }}'
{% endtest %}
