{% macro record_run_start() %}
    {{ return(adapter.dispatch('record_run_start')()) }}
{% endmacro %}


{% macro default__record_run_start() %}
    {{ return('') }}
{% endmacro %}


{% macro record_run_log(results) %}
    {{ return(adapter.dispatch('record_run_log')(results)) }}
{% endmacro %}


{% macro default__record_run_log(results) %}
    {#- Other engines: the run log is written by the embedded engine's adapter only. -#}
    {{ return('') }}
{% endmacro %}
