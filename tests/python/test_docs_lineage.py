"""`dbt docs serve` shows the whole lineage: loaded in headless Chromium, the graph holds
every model, the source, the seed and the functions of the manifest."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BIN_DIR, Project
from headless_browser import find_browser, headless_page
from weblogs.spark.server import free_port

pytestmark = pytest.mark.browser

# `make lineage-screenshot` sets this to refresh the picture in the README.
SCREENSHOT_ENV = "WEBLOGS_LINEAGE_SCREENSHOT"

# The docs site is an AngularJS app; its `graph` service holds the cytoscape graph it drew.
GRAPH_NODES_SCRIPT = """
(() => {
    const app = window.angular && angular.element(document.body).injector();
    if (!app) return null;
    const graph = app.get('graph');
    const drawn = graph.graph_element;
    if (!drawn || !graph.expanded || drawn.nodes().length === 0) return null;
    return drawn.nodes().map(node => node.id());
})()
"""


@pytest.fixture
def browser() -> str:
    found = find_browser()
    if found is None:
        # A failure under CI (conftest), where .ci/run installs Chromium.
        pytest.skip("no Chromium here: `make browser` installs Debian's chromium")
    return found


def lineage_nodes(docs_url: str, browser: str, screenshot: Path) -> list[str]:
    """Unique ids of the nodes the docs site draws in its full lineage graph (`?g_v=1`)."""
    with headless_page(browser) as page:
        page.goto(f"{docs_url}/#!/overview?g_v=1")
        nodes = page.wait_for(GRAPH_NODES_SCRIPT, what=f"the lineage graph of {docs_url}")
        time.sleep(2)  # let the layout settle before the picture
        page.screenshot(screenshot)
    return sorted(nodes)


def test_docs_site_draws_every_model(project: Project, browser: str, tmp_path: Path) -> None:
    project.dbt("docs", "generate")
    manifest = json.loads((project.workdir / "target" / "manifest.json").read_text())
    expected = {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed")
    }
    expected |= set(manifest["sources"]) | set(manifest["functions"])
    assert {"model.weblogs.network_filter", "source.weblogs.apache_logs.access_log_lines"} <= (
        expected
    )

    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN_DIR / "dbt"),
            "docs",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-browser",
        ],
        cwd=project.workdir,
        env=project.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, "dbt docs serve exited"
                assert time.monotonic() < deadline, "dbt docs serve did not listen"
                time.sleep(0.3)
        picture = Path(os.environ.get(SCREENSHOT_ENV) or tmp_path / "lineage.png")
        url = f"http://127.0.0.1:{port}"
        drawn = lineage_nodes(url, browser, picture)
    finally:
        server.terminate()
        server.wait(timeout=30)

    missing = expected - set(drawn)
    assert not missing, f"not in the lineage graph: {sorted(missing)}"
    assert picture.stat().st_size > 10_000  # a real picture of the graph, not a blank page
