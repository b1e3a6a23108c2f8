{{ depends_on_raw_layer() }}
{#
    Parsing is the costly step (a regex and a Python UDF per line): it runs once per line,
    when its batch arrives, and every model and test downstream reads the stored result.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
    )
}}

with

access_log_lines as (
    select * from {{ source('apache_logs', 'access_log_lines') }}
    -- Only batches not parsed yet (a full build parses every batch), up to the slice's
    -- last one when a long backlog is built in slices.
    where
        {{ is_after_last_merged_batch('ingest_batch_id') }}
        and {{ is_up_to_batch_ceiling('ingest_batch_id') }}
),

common_shape as (
    select
        *,
        -- Nearly every line has the common shape, split by a cheaper pattern; the full
        -- grammar runs only on the lines that pattern leaves whole.
        {{ split_access_log_line('line', access_log_common_pattern()) }} as common_fields
    from access_log_lines
),

split_lines as (
    select
        *,
        case
            when size(common_fields) = {{ access_log_field_count() }} then common_fields
            else {{ split_access_log_line('line') }}
        end as split_fields,
        -- The field separator cannot be told apart from one inside a line.
        instr(line, '\u0001') > 0 as has_field_separator
    from common_shape
),

matched as (
    select
        *,
        size(split_fields) = {{ access_log_field_count() }}
        and not has_field_separator as is_matched
    from split_lines
),

parsed_fields as (
    select
        *,
        -- A line the pattern rejects comes back whole: it has no fields.
        case when is_matched then split_fields end as request_fields
    from matched
),

extracted as (
    select
        -- ids: the digest's 32 bytes, not its 64 hex characters, which no encoding
        -- compresses and which made this id most of the bytes every later model reads
        unhex(sha2(concat(site, ':', cast(line_occurrence as string), ':', line), 256)) as line_id,

        -- request fields (null where the line did not match)
        try_element_at(request_fields, 1) as client_host,
        nullif(try_element_at(request_fields, 2), '-') as client_identity,
        nullif(try_element_at(request_fields, 3), '-') as client_user,
        try_element_at(request_fields, 4) as timestamp_text,
        try_element_at(request_fields, 5) as http_method,
        nullif(try_element_at(request_fields, 6), '') as endpoint,
        nullif(try_element_at(request_fields, 7), '') as protocol,
        try_element_at(request_fields, 8) as response_code_text,
        try_element_at(request_fields, 9) as content_size_text,
        nullif(nullif(try_element_at(request_fields, 10), ''), '-') as referer,
        nullif(nullif(try_element_at(request_fields, 11), ''), '-') as user_agent,

        -- lineage
        site,
        line,
        line_encoding,
        source_file,
        line_number,
        line_occurrence,
        ingest_batch_id,
        ingested_at,
        is_matched,
        has_field_separator
    from parsed_fields
),

typed as (
    select
        *,
        cast(response_code_text as int) as response_code,
        -- Apache writes "-" for a response without a body: zero bytes sent.
        case
            when content_size_text = '-' then cast(0 as bigint)
            when length(content_size_text) <= 18 then cast(content_size_text as bigint)
        end as content_size_bytes,
        {{ function('parse_state') }}(timestamp_text) as event_epoch_seconds
    from extracted
),

reasoned as (
    select
        *,
        case
            -- Any white space, tabs included, not only spaces as trim() would.
            when line rlike '^\\s*$' then 'blank_line'
            when has_field_separator then 'contains_control_character_u0001'
            when not is_matched then {{ access_log_rejection_reason('line') }}
            when content_size_bytes is null then 'content_size_out_of_range'
            when event_epoch_seconds is null then 'invalid_timestamp'
        end as quarantine_reason
    from typed
),

final as (
    select
        -- ids
        line_id,

        -- request
        client_host,
        client_identity,
        client_user,
        http_method,
        endpoint,
        protocol,
        response_code,
        content_size_bytes,
        referer,
        user_agent,

        -- timestamps
        timestamp_text,
        event_epoch_seconds,
        timestamp_seconds(event_epoch_seconds) as event_at,
        to_date(timestamp_seconds(event_epoch_seconds)) as event_date,

        -- quality
        quarantine_reason,

        -- lineage; the text only where the line is quarantined (bronze keeps every line,
        -- and a second copy of each would double what this table writes and is read for)
        site,
        case when quarantine_reason is not null then line end as line,
        line_encoding,
        source_file,
        line_number,
        line_occurrence,
        ingest_batch_id,
        ingested_at
    from reasoned
)

select * from final
