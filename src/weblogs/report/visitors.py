"""The report's audience sections: visitors per day (people and crawlers), browsers and
operating systems, bots' share, referring sites and missing pages, read from the models
visitors_by_day, requests_by_agent, referring_sites and not_found_paths.

Visitors over several days are the days' unique visitors added up, as GoAccess and AWStats
total them: a host and agent seen on two days counts twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

TOP_ROWS = 10
COLUMNS = {
    "visitors_by_day": [
        "site", "event_date", "visitors", "requests", "human_visitors", "human_requests",
        "crawler_visitors", "crawler_requests",
    ],
    "requests_by_agent": ["browser_family", "os_family", "is_bot", "requests", "visitors"],
    "referring_sites": ["referring_host", "referrer_kind", "requests", "visitors"],
    "not_found_paths": ["site", "endpoint", "requests", "visitors", "last_seen_at"],
}  # fmt: skip


@dataclass
class VisitorData:
    days: list[dict] = field(default_factory=list)
    browsers: list[dict] = field(default_factory=list)
    systems: list[dict] = field(default_factory=list)
    crawlers: list[dict] = field(default_factory=list)
    referrers: list[dict] = field(default_factory=list)
    not_found: list[dict] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(day[name] for day in self.days)

    @property
    def crawler_share(self) -> float | None:
        """Share of requests made by crawlers; None before any request."""
        requests = self.total("requests")
        return self.total("crawler_requests") / requests if requests else None


def _top(table, keys: list[str], order: str = "requests") -> list[dict]:
    """Requests and visitors summed per value of `keys`, most requests first (ties by the
    keys), the first TOP_ROWS."""
    summed = table.group_by(keys).aggregate([("requests", "sum"), ("visitors", "sum")])
    rows = [
        {**{key: row[key] for key in keys}, "requests": row["requests_sum"],
         "visitors": row["visitors_sum"]}
        for row in summed.to_pylist()
    ]  # fmt: skip
    rows.sort(key=lambda row: (-row[order], *(str(row[key]) for key in keys)))
    return rows[:TOP_ROWS]


def collect(read) -> VisitorData:
    """`read(name, columns)` gives a model's table (pyarrow) at its current version."""
    import pyarrow.compute as pc

    data = VisitorData()
    days = read("visitors_by_day", COLUMNS["visitors_by_day"]).to_pylist()
    data.days = sorted(days, key=lambda day: (day["event_date"], day["site"]))
    agents = read("requests_by_agent", COLUMNS["requests_by_agent"])
    people = agents.filter(pc.invert(agents["is_bot"]))
    data.browsers = _top(people, ["browser_family"], "visitors")
    data.systems = _top(people, ["os_family"], "visitors")
    data.crawlers = _top(agents.filter(agents["is_bot"]), ["browser_family"])
    referrers = read("referring_sites", COLUMNS["referring_sites"])
    external = referrers.filter(pc.equal(referrers["referrer_kind"], "external"))
    data.referrers = _top(external, ["referring_host"])
    not_found = read("not_found_paths", COLUMNS["not_found_paths"]).to_pylist()
    not_found.sort(key=lambda row: (-row["requests"], row["site"], row["endpoint"]))
    data.not_found = not_found[:TOP_ROWS]
    return data


def chart_specs(data: VisitorData) -> dict:
    """Altair charts of the audience sections, by element id (drawn only when they have rows)."""
    import altair as alt

    per_day: dict[str, dict[str, int]] = {}
    for day in data.days:
        counts = per_day.setdefault(day["event_date"].isoformat(), {"people": 0, "crawlers": 0})
        counts["people"] += day["human_visitors"]
        counts["crawlers"] += day["crawler_visitors"]
    visitors = [
        {"event_date": date, "kind": kind, "visitors": count}
        for date, counts in per_day.items()
        for kind, count in counts.items()
    ]
    specs = {}
    if visitors:
        specs["chart-visitors"] = (
            alt.Chart(alt.Data(values=visitors))
            .mark_bar()
            .encode(
                # One band per day: a log of one day is one bar, not the width of the axis.
                x=alt.X("event_date:O", title="day (UTC)",
                        axis=alt.Axis(labelOverlap="greedy", labelAngle=0)),
                y=alt.Y("visitors:Q", title="visitors", stack="zero"),
                color=alt.Color(
                    "kind:N", title="", scale=alt.Scale(domain=["people", "crawlers"],
                                                        range=["#4c78a8", "#f58518"])
                ),
                tooltip=["event_date:N", "kind:N", "visitors:Q"],
            )
            .properties(width="container", height=220)
        )  # fmt: skip

    def bars(rows: list[dict], label: str, measure: str, colour: str) -> alt.Chart:
        return (
            alt.Chart(alt.Data(values=rows))
            .mark_bar(color=colour)
            .encode(
                y=alt.Y(f"{label}:N", title=None, sort="-x"),
                x=alt.X(f"{measure}:Q", title=measure),
                tooltip=[f"{label}:N", "requests:Q", "visitors:Q"],
            )
            .properties(width="container")
        )

    # A path of two sites is two bars: named with its site when there are several.
    several_sites = len({row["site"] for row in data.not_found}) > 1
    not_found = [
        {**row, "path": f"{row['site']} {row['endpoint']}" if several_sites else row["endpoint"],
         "last_seen_at": row["last_seen_at"].isoformat()}
        for row in data.not_found
    ]  # fmt: skip
    for chart_id, rows, label, measure, colour in (
        ("chart-browsers", data.browsers, "browser_family", "visitors", "#4c78a8"),
        ("chart-systems", data.systems, "os_family", "visitors", "#54a24b"),
        ("chart-crawlers", data.crawlers, "browser_family", "requests", "#f58518"),
        ("chart-referrers", data.referrers, "referring_host", "requests", "#72b7b2"),
        ("chart-not-found", not_found, "path", "requests", "#e45756"),
    ):
        if rows:
            specs[chart_id] = bars(rows, label, measure, colour)
    return {name: chart.to_dict() for name, chart in specs.items()}


def sections(data: VisitorData, table, number) -> str:
    """The HTML of the audience sections; `table` and `number` are the page's helpers."""

    def chart(chart_id: str, rows: list, empty: str) -> str:
        if rows:
            return f'<div class="chart" id="{chart_id}"></div>'
        return f'<p class="note">{escape(empty)}</p>'

    per_site: dict[str, list[int]] = {}
    for day in data.days:
        site = per_site.setdefault(day["site"], [0, 0, 0, 0, 0])
        for index, name in enumerate(
            ("visitors", "human_visitors", "crawler_visitors", "requests", "crawler_requests")
        ):
            site[index] += day[name]
    summary = [
        [site, sum(day["site"] == site for day in data.days), *counts,
         f"{counts[4] / counts[3]:.1%}" if counts[3] else ""]
        for site, counts in sorted(per_site.items())
    ]  # fmt: skip
    share = data.crawler_share
    share_text = (
        f"Crawlers made {share:.1%} of the requests "
        f"({number(data.total('crawler_requests'))} of {number(data.total('requests'))}), "
        f"{number(data.total('crawler_visitors'))} of {number(data.total('visitors'))} visitors."
        if share is not None
        else "No request yet."
    )

    def rows(items: list[dict], label: str) -> list[list[object]]:
        return [[item[label], item["requests"], item["visitors"]] for item in items]

    return f"""
<h2>Visitors per day: people and crawlers</h2>
{chart("chart-visitors", data.days, "No visitor yet.")}
{table("visitors-sites", ["site", "days", "visitors", "people", "crawlers", "requests",
       "crawler requests", "crawler share"], summary)}
<div class="pair"><div>
<h2>Top browsers (people)</h2>
{chart("chart-browsers", data.browsers, "No browser seen.")}
{table("browsers", ["browser", "requests", "visitors"], rows(data.browsers, "browser_family"))}
</div><div>
<h2>Top operating systems (people)</h2>
{chart("chart-systems", data.systems, "No operating system seen.")}
{table("systems", ["operating system", "requests", "visitors"], rows(data.systems, "os_family"))}
</div></div>
<div class="pair"><div>
<h2>Bots' share</h2>
<p id="bot-share">{escape(share_text)}</p>
{chart("chart-crawlers", data.crawlers, "No crawler seen.")}
{table("crawlers", ["crawler", "requests", "visitors"], rows(data.crawlers, "browser_family"))}
</div><div>
<h2>Top referring sites</h2>
{chart("chart-referrers", data.referrers, "No request came from another site.")}
{table("referrers", ["referring site", "requests", "visitors"],
       rows(data.referrers, "referring_host"))}
</div></div>
<h2>Top missing pages (404)</h2>
{chart("chart-not-found", data.not_found, "No page was missing.")}
{table("not-found", ["site", "path", "requests", "visitors", "last asked for (UTC)"],
       [[item["site"], item["endpoint"], item["requests"], item["visitors"],
         f"{item['last_seen_at']:%Y-%m-%d %H:%M:%S}"] for item in data.not_found])}
"""  # fmt: skip
