"""The report page: one HTML file with its charts (Vega-Lite specifications from Altair,
drawn as SVG by the inlined Vega libraries), its tables and its styles inside it."""

from __future__ import annotations

import json
from html import escape

from weblogs.report import visitors
from weblogs.report.data import ReportData

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1180px;
       padding: 16px 24px; color: #1d2330; }
h1 { font-size: 22px; margin: 4px 0; } h2 { font-size: 17px; margin: 26px 0 6px; }
.meta { color: #5b6373; }
.totals { display: flex; gap: 28px; margin: 12px 0; }
.totals div { font-size: 12px; color: #5b6373; }
.totals b { display: block; font-size: 20px; color: #1d2330; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
.chart { width: 100%; min-height: 120px; }
table { border-collapse: collapse; margin: 6px 0; font-size: 13px; }
th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid #e3e6ec; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.ok, .pass { color: #1a7f37; } .warn { color: #9a6700; } .fail, .error { color: #cf222e; }
.note { color: #5b6373; font-style: italic; }
"""


WINDOW_TOOLTIP = (
    "request_count:Q", "bytes_sent:Q", "distinct_client_hosts:Q", "status_4xx_count:Q",
    "status_5xx_count:Q", "is_final:N",
)  # fmt: skip


def _json_for_script(value: object) -> str:
    """JSON that cannot end the <script> element it sits in."""
    return json.dumps(value, default=str).replace("</", "<\\/")


def _number(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return f"{value:,}" if isinstance(value, int) else escape(str(value))


def _cell(cell: object, verdict: bool) -> str:
    if cell is None:  # a monitor without a warn threshold has none to show, not "None"
        return "<td>—</td>"
    if verdict:  # ok, warn, fail, pass, error: coloured
        return f'<td class="{escape(str(cell))}">{escape(str(cell))}</td>'
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return f'<td class="n">{_number(cell)}</td>'
    return f"<td>{escape(str(cell))}</td>"


def _table(
    table_id: str, headers: list[str], rows: list[list[object]], verdict_column: int = -1
) -> str:
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    body = "".join(
        "<tr>"
        + "".join(_cell(cell, index == verdict_column) for index, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f'<table id="{table_id}"><tr>{head}</tr>{body}</table>'


def _zero_across_gaps(windows: list[dict]) -> list[dict]:
    """The windows of each site, with a count of zero where a gap between two of them starts.
    A window without requests has no row; the step line held the last window's count across
    the gap (31 years of it between a 1995 log and this year's)."""
    drawn: list[dict] = []
    ordered = sorted(windows, key=lambda window: (window["site"], window["window_start"]))
    for index, window in enumerate(ordered):
        drawn.append(window)
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        if (
            following is not None
            and following["site"] == window["site"]
            and following["window_start"] > window["window_end"]
        ):
            # The gap's windows end before the next window: final if that one is.
            drawn.append(
                {"site": window["site"], "window_start": window["window_end"],
                 "window_end": following["window_start"], "request_count": 0, "bytes_sent": 0,
                 "distinct_client_hosts": 0, "status_4xx_count": 0, "status_5xx_count": 0,
                 "is_final": following["is_final"]}
            )  # fmt: skip
    return drawn


def chart_specs(data: ReportData) -> dict[str, dict]:
    """Vega-Lite specifications of the four charts, by element id."""
    import altair as alt

    windows = [
        {**window, "window_start": window["window_start"].isoformat(),
         "window_end": window["window_end"].isoformat()}
        for window in _zero_across_gaps(data.windows)
    ]  # fmt: skip

    def counts(rows: list[dict], field: str) -> alt.Axis:
        """An axis of whole counts: up to 1 it had ticks 0.00, 0.10, ... 1.00. Below ten,
        every whole number is a tick (Vega's tickMinStep still drew 0.5)."""
        top = max((row[field] for row in rows), default=0)
        return alt.Axis(format=",d", values=list(range(top + 1)) if top < 10 else alt.Undefined)

    utc_time = {"scale": alt.Scale(type="utc")}
    traffic = (
        alt.Chart(alt.Data(values=windows))
        .mark_line(interpolate="step-after", point=len(windows) < 200)
        .encode(
            x=alt.X("window_start:T", title="window start (UTC)", **utc_time),
            y=alt.Y(
                "request_count:Q",
                title="requests per window",
                axis=counts(data.windows, "request_count"),
            ),
            color=alt.Color("site:N", title="site"),
            tooltip=[
                "site:N",
                alt.Tooltip("window_start:T", format="%Y-%m-%d %H:%M", formatType="utc"),
                *WINDOW_TOOLTIP,
            ],
        )
        .properties(width="container", height=260)
    )
    statuses = (
        alt.Chart(alt.Data(values=data.statuses))
        .mark_bar()
        .encode(
            y=alt.Y("response_code:N", title="status", sort="ascending"),
            x=alt.X(
                "request_count:Q", title="requests", axis=counts(data.statuses, "request_count")
            ),
            color=alt.Color("status_class:N", title="class"),
            tooltip=["response_code:N", "status_description:N", "request_count:Q"],
        )
        .properties(width="container")
    )

    def bars(rows: list[dict], label: str, count: str, title: str, colour: str) -> alt.Chart:
        return (
            alt.Chart(alt.Data(values=rows))
            .mark_bar(color=colour)
            .encode(
                y=alt.Y(f"{label}:N", title=title, sort="-x"),
                x=alt.X(f"{count}:Q", title=count.replace("_", " "), axis=counts(rows, count)),
                tooltip=[f"{label}:N", f"{count}:Q"],
            )
            .properties(width="container")
        )

    specs = {
        "chart-traffic": traffic,
        "chart-status-mix": statuses,
        "chart-top-endpoints": bars(
            data.top_endpoints, "endpoint", "request_count", "endpoint", "#4c78a8"
        ),
    }
    if data.quarantine_reasons:
        specs["chart-quarantine-reasons"] = bars(
            data.quarantine_reasons, "quarantine_reason", "line_count", "reason", "#e45756"
        )
    return {
        **{name: chart.to_dict() for name, chart in specs.items()},
        **visitors.chart_specs(data.audience),
    }


def _sections(data: ReportData) -> str:
    per_site = []
    for site in data.sites:
        rows = [window for window in data.windows if window["site"] == site]
        per_site.append(
            [site, len(rows), sum(w["is_final"] for w in rows),
             sum(w["request_count"] for w in rows), sum(w["bytes_sent"] for w in rows),
             sum(w["status_4xx_count"] for w in rows), sum(w["status_5xx_count"] for w in rows)]
        )  # fmt: skip
    freshness = [
        [row.table, row.loaded_at_field, f"{row.newest:%Y-%m-%d %H:%M:%S} UTC" if row.newest
         else "no rows yet", round(row.age_seconds) if row.age_seconds is not None else "",
         row.status]
        for row in data.freshness
    ]  # fmt: skip
    monitors = [
        [row["monitor_name"], row["status"], row["measured_value"], row["warn_threshold"],
         row["fail_threshold"], row["explanation"]]
        for row in sorted(data.monitors, key=lambda row: row["monitor_name"])
    ]  # fmt: skip
    quarantine = (
        '<div class="chart" id="chart-quarantine-reasons"></div>'
        if data.quarantine_reasons
        else '<p class="note">No line was quarantined.</p>'
    )
    thresholds = (
        f"warn after {data.thresholds.warn_after_minutes:g} min, "
        f"error after {data.thresholds.error_after_minutes:g} min"
        if data.thresholds
        else ""
    )
    audience = visitors.sections(data.audience, _table, _number)
    return f"""
<h2>Traffic per window and site</h2>
<div class="chart" id="chart-traffic"></div>
{_table("traffic-sites", ["site", "windows", "final", "requests", "bytes sent", "4xx", "5xx"],
        per_site)}
<div class="pair"><div>
<h2>Status mix</h2>
<div class="chart" id="chart-status-mix"></div>
{_table("status-mix", ["status", "description", "requests"],
        [[r["response_code"], r["status_description"], r["request_count"]] for r in data.statuses])}
</div><div>
<h2>Top endpoints</h2>
<div class="chart" id="chart-top-endpoints"></div>
{_table("top-endpoints", ["endpoint", "requests"],
        [[r["endpoint"], r["request_count"]] for r in data.top_endpoints])}
</div></div>
{audience}
<h2>Quarantine reasons</h2>
{quarantine}
{_table("quarantine-reasons", ["reason", "lines"],
        [[r["quarantine_reason"], r["line_count"]] for r in data.quarantine_reasons])}
<h2>Data-quality monitors</h2>
{_table("monitors", ["monitor", "status", "measured", "warn above", "fail above", "what"],
        monitors, verdict_column=1)}
<h2>Freshness</h2>
<p class="meta">{escape(thresholds)} (as <code>dbt source freshness</code>)</p>
{_table("freshness", ["table", "loaded at field", "newest", "age (s)", "status"], freshness,
        verdict_column=4)}
"""  # fmt: skip


def render(data: ReportData, vega_script: str) -> str:
    """The whole page: nothing in it is fetched from anywhere."""
    totals = [
        ("requests", data.request_count),
        ("network_filter rows", data.network_filter_count),
        ("quarantined lines", data.quarantined_count),
        ("visitors", data.audience.total("visitors")),
        ("sites", len(data.sites)),
        ("windows", len(data.windows)),
    ]
    totals_html = "".join(
        f'<div id="total-{escape(name.split()[0])}"><b>{value:,}</b>{escape(name)}</div>'
        for name, value in totals
    )
    sections = _sections(data)
    script = vega_script.replace("</script", "<\\/script")
    embed = (
        "const specs = " + _json_for_script(chart_specs(data)) + ";\n"
        "for (const [id, spec] of Object.entries(specs)) {\n"
        "  vegaEmbed('#' + id, spec, {renderer: 'svg', actions: false})\n"
        "    .then(() => document.getElementById(id).dataset.rendered = 'true')\n"
        "    .catch(error => console.error(id, error));\n"
        "}\n"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>weblogs: what the traffic looks like</title>
<style>{STYLE}</style>
<script>{script}</script>
</head><body>
<h1>What the traffic looks like</h1>
<p class="meta">warehouse {escape(str(data.warehouse))}, made
{data.generated_at:%Y-%m-%d %H:%M:%S} UTC</p>
<div class="totals">{totals_html}</div>
{sections}
<script>{embed}</script>
</body></html>
"""
