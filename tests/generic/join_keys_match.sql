{#
    Join-key contract between a column and the key of another relation it is joined to
    through a cast. Fails with one row per broken promise:
    - type_mismatch: the column's type differs from the type of the cast key;
    - uncastable_key: a key of the other relation that the cast turns into null;
    - low_coverage: less than min_coverage of the column's non-null values find a key.
#}
{% test join_keys_match(model, column_name, to, field, cast_to, min_coverage) %}

with

left_values as (
    select {{ column_name }} as join_value from {{ model }}
    where {{ column_name }} is not null
),

right_keys as (
    select
        {{ field }} as original_key,
        try_cast({{ field }} as {{ cast_to }}) as join_key
    from {{ to }}
),

left_type as (
    select typeof({{ column_name }}) as data_type from {{ model }} limit 1
),

right_type as (
    select typeof(join_key) as data_type from right_keys limit 1
),

type_problems as (
    select
        'type_mismatch' as problem,
        left_type.data_type || ' vs ' || right_type.data_type as detail
    from left_type
    cross join right_type
    where left_type.data_type != right_type.data_type
),

uncastable_keys as (
    select
        'uncastable_key' as problem,
        cast(original_key as string) as detail
    from right_keys
    where original_key is not null and join_key is null
),

coverage as (
    select
        count(*) as value_count,
        count(right_keys.join_key) as matched_count
    from left_values
    left join (select distinct join_key from right_keys) as right_keys
        on left_values.join_value = right_keys.join_key
),

coverage_problems as (
    select
        'low_coverage' as problem,
        cast(matched_count as string) || ' of ' || cast(value_count as string)
        || ' matched, below {{ min_coverage }}' as detail
    from coverage
    where value_count > 0 and matched_count < value_count * {{ min_coverage }}
)

select * from type_problems
union all
select * from uncastable_keys
union all
select * from coverage_problems

{% endtest %}
