{#
    The models of visitors, agents and referrers count per site and UTC day. A run
    recomputes only the days that the batches it takes in touch, each from all its requests
    (a distinct count cannot be added up from counts), and merges the days' rows over the
    stored ones; a day no new request falls on is left as it is.
#}

{% macro oldest_touched_event_date(requests_relation) %}
    {#- The oldest event date among the requests of batches this model has not taken in yet,
        as a date literal for a filter the engine can skip files by (no subquery), or none
        before execution or when the run reads every day. With no new request, a date past
        any, so nothing is read. -#}
    {%- if not execute or not reads_stored_rows() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select cast(min(event_date) as string)
        from {{ requests_relation }}
        where {{ is_after_last_merged_batch('ingest_batch_id') }}
    {%- endset -%}
    {%- set oldest = run_query(query).columns[0].values()[0] -%}
    {{ return("date'" ~ (oldest or '9999-12-31') ~ "'") }}
{% endmacro %}


{% macro self_referral_hosts() %}
    {#- var('site_hosts'): per site, the host names it is served under. A referrer on one
        of them (or on the site's own name) is the site itself. -#}
    {%- set site_hosts = var('site_hosts') -%}
    {%- if site_hosts is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "var site_hosts must map each site to a list of its host names, e.g. "
            ~ "{shop: [shop.example.com]}, not " ~ site_hosts
        ) }}
    {%- endif -%}
    {{ return(site_hosts) }}
{% endmacro %}


{% macro is_self_referral(site_column, host_column) -%}
    {#- Whether a referring host (lower case) is the site itself: the site's name, or one of
        its var('site_hosts'), compared without case and without a leading `www.`. -#}
    {%- set bare_host = "regexp_replace(" ~ host_column ~ ", '^www[.]', '')" -%}
    (
        {{ bare_host }} = regexp_replace(lower({{ site_column }}), '^www[.]', '')
        {%- for site, hosts in self_referral_hosts().items() %}
            {%- set bare = [] -%}
            {%- for host in ([hosts] if hosts is string else hosts) -%}
                {%- set host = host | lower | replace("'", "") -%}
                {%- do bare.append("'" ~ (host[4:] if host.startswith('www.') else host) ~ "'") -%}
            {%- endfor %}
            {%- if bare %}
        or ({{ site_column }} = '{{ site | replace("'", "") }}' and {{ bare_host }} in ({{ bare | join(', ') }}))
            {%- endif %}
        {%- endfor %}
    )
{%- endmacro %}
