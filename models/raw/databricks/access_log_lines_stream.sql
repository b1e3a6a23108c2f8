{#
    The bronze table on Databricks: a streaming table over the landing volume (Auto Loader
    through read_files), published as the relation the source `apache_logs.access_log_lines`
    names. Files are read as bytes, so each line keeps its exact text the way `weblogs
    ingest` keeps it: UTF-8 where valid, else latin-1. Each file is one row until its lines
    are numbered; the micro-batch time is the ingest batch.
#}
{{
    config(
        materialized='streaming_table',
        alias='access_log_lines',
        schema=var('raw_schema'),
    )
}}

with

landed_files as (
    select
        path as source_file,
        -- latin-1 maps each byte to one character: the bytes survive the split into lines.
        decode(content, 'ISO-8859-1') as file_bytes_text,
        current_timestamp() as ingested_at
    from stream read_files(
        '{{ var("landing_path") }}',
        format => 'binaryFile'
    )
),

file_lines as (
    select
        source_file,
        ingested_at,
        -- As `weblogs ingest` splits: LF ends a line, a CR before it belongs to the ending,
        -- the last line needs no newline, and an empty file has no line.
        transform(
            split(regexp_replace(file_bytes_text, '\r?\n?\\z', ''), '\r?\n'),
            byte_line -> case
                when is_valid_utf8(encode(byte_line, 'ISO-8859-1'))
                    then named_struct(
                        'line', decode(encode(byte_line, 'ISO-8859-1'), 'UTF-8'),
                        'line_encoding', 'utf-8'
                    )
                else named_struct('line', byte_line, 'line_encoding', 'latin-1')
            end
        ) as decoded_lines
    from landed_files
    where file_bytes_text != ''
),

numbered_files as (
    select
        *,
        {{ function('line_occurrences') }}(
            transform(decoded_lines, decoded -> decoded.line)
        ) as occurrences
    from file_lines
),

lines as (
    select
        numbered_files.source_file,
        ltrim('/', substr(
            numbered_files.source_file,
            instr(numbered_files.source_file, '{{ var("landing_path") }}')
            + length('{{ var("landing_path") }}')
        )) as relative_path,
        numbered_files.ingested_at,
        numbered_files.occurrences,
        exploded.line_index,
        exploded.decoded
    from numbered_files
    lateral view posexplode(numbered_files.decoded_lines) exploded as line_index, decoded
),

final as (
    select
        decoded.line as line,
        decoded.line_encoding as line_encoding,
        source_file,
        cast(line_index + 1 as bigint) as line_number,
        cast(occurrences[line_index] as bigint) as line_occurrence,
        unix_micros(ingested_at) as ingest_batch_id,
        ingested_at,
        -- landing/<site>/...: the first folder below the landing path; files directly in
        -- it belong to the default site, as with `weblogs run`.
        case
            when size(split(relative_path, '/')) > 1 then split(relative_path, '/')[0]
            else 'default'
        end as site
    from lines
)

select * from final
