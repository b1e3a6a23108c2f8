"""The report page with awkward values: a value too long for a page, a monitor without a
threshold, a chart of one line, and traffic with a gap of years."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import BIN_DIR
from weblogs.report.bundle import vega_lite_version
from weblogs.report.data import ReportData
from weblogs.report.page import chart_specs, render

WINDOW = timedelta(minutes=5)


def window(site: str, start: datetime, requests: int) -> dict:
    return {
        "site": site, "window_start": start, "window_end": start + WINDOW,
        "request_count": requests, "bytes_sent": 100 * requests, "distinct_client_hosts": 1,
        "status_4xx_count": 0, "status_5xx_count": 0, "is_final": True,
    }  # fmt: skip


def report(**values) -> ReportData:
    return ReportData(warehouse=Path("/w"), generated_at=datetime(2026, 1, 1, tzinfo=UTC), **values)


def test_a_long_endpoint_is_cut_on_the_page_and_whole_one_option_away() -> None:
    """One 1 MB request line made a 3 MB page and pushed the endpoint table off it."""
    from weblogs.report.data import cut_endpoints

    long_endpoint = "/" + "a" * 1_000_000
    counted = [
        {"endpoint": long_endpoint, "request_count": 3},
        {"endpoint": "/", "request_count": 2},
    ]
    short = render(report(top_endpoints=cut_endpoints([dict(counted[1])], 100)), "")
    page = render(report(top_endpoints=cut_endpoints([dict(row) for row in counted], 100)), "")
    assert len(page) - len(short) < 2_000
    assert "/" + "a" * 98 + "…" in page
    whole = render(report(top_endpoints=cut_endpoints([dict(row) for row in counted], 0)), "")
    assert long_endpoint in whole


def test_the_report_has_the_option_with_its_default() -> None:
    shown = subprocess.run(
        [str(BIN_DIR / "weblogs"), "report", "--help"], capture_output=True, text=True
    ).stdout
    assert "--max-chars" in shown and "(default: 100" in " ".join(shown.split())


def test_a_monitor_without_a_threshold_shows_no_none() -> None:
    monitor = {
        "monitor_name": "new_methods", "status": "ok", "measured_value": 0.0,
        "warn_threshold": None, "fail_threshold": 1.0, "explanation": "methods not seen before",
    }  # fmt: skip
    page = render(report(monitors=[monitor]), "")
    table = re.search(r'<table id="monitors">.*?</table>', page, re.S).group(0)
    assert "None" not in table
    assert "<td>—</td>" in table


def svg_tick_labels(spec: dict, axis_title: str) -> list[str]:
    """The tick labels Vega draws on the axis titled `axis_title`, the chart given a width
    as the page's container gives it."""
    import vl_convert

    svg = vl_convert.vegalite_to_svg({**spec, "width": 400}, vl_version=vega_lite_version())
    axis = re.search(f"aria-label=\"[XY]-axis titled '{axis_title}'.*?role-axis-label.*?</g>", svg)
    assert axis, f"no axis titled {axis_title!r}"
    return re.findall(r">([^<>]+)</text>", axis.group(0))


def test_counts_of_one_have_whole_ticks() -> None:
    """A quarantine of one line had ticks 0.00, 0.10, ... 1.00 on its count axis."""
    specs = chart_specs(
        report(
            quarantine_reasons=[{"quarantine_reason": "blank_line", "line_count": 1}],
            top_endpoints=[{"endpoint": "/", "request_count": 1}],
            statuses=[
                {
                    "response_code": "200",
                    "status_description": "OK",
                    "status_class": "2xx",
                    "request_count": 1,
                }
            ],
        )
    )
    for chart, title in (
        ("chart-quarantine-reasons", "line count"),
        ("chart-top-endpoints", "request count"),
        ("chart-status-mix", "requests"),
    ):
        labels = svg_tick_labels(specs[chart], title)
        assert labels and all(label.replace(",", "").isdigit() for label in labels), (chart, labels)


def test_the_traffic_line_does_not_hold_its_count_across_a_gap() -> None:
    """Windows of 1995 and of 2026: the step line held 1995's last count for 31 years."""
    old = datetime(1995, 7, 1, tzinfo=UTC)
    new = datetime(2026, 1, 1, tzinfo=UTC)
    windows = [window("nasa", old, 7), window("nasa", old + WINDOW, 9), window("nasa", new, 4)]
    points = chart_specs(report(windows=windows))["chart-traffic"]["data"]["values"]
    nasa = sorted(
        (datetime.fromisoformat(point["window_start"]), point["request_count"])
        for point in points
        if point["site"] == "nasa"
    )

    def drawn_at(moment: datetime) -> int:
        # A step-after line shows, at any moment, the count of the last point before it.
        return [count for start, count in nasa if start <= moment][-1]

    assert drawn_at(old + WINDOW) == 9
    assert drawn_at(old + 2 * WINDOW) == 0  # the first window without a request
    assert drawn_at(datetime(2010, 1, 1, tzinfo=UTC)) == 0
    assert drawn_at(new) == 4
    # Back to back windows have nothing between them.
    assert [count for start, count in nasa if old <= start <= old + WINDOW] == [7, 9]
