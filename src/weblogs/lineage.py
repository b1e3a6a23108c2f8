"""The lineage graph of the dbt docs site, as a browser shows it.

Headless Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
JSON messages ended by a NUL byte on file descriptors 3 and 4), so no browser driver or
network port is needed. The docs page opens with its full lineage graph (`?g_v=1`); the
graph's nodes are read from the page's own graph service, and a screenshot can be saved.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
WINDOW = (1600, 900)

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


class BrowserError(RuntimeError):
    """The browser could not be started or the page did not show its graph."""


def find_browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class DevToolsPipe:
    """One headless browser and the DevTools session of its single page."""

    process: subprocess.Popen[bytes]
    commands: Any  # writable binary file: fd 3 of the browser
    events: Any  # readable binary file: fd 4 of the browser
    session_id: str = ""
    last_id: int = 0

    def send(self, method: str, params: dict | None = None, session: bool = True) -> dict:
        self.last_id += 1
        message: dict[str, Any] = {"id": self.last_id, "method": method, "params": params or {}}
        if session and self.session_id:
            message["sessionId"] = self.session_id
        self.commands.write(json.dumps(message).encode() + b"\0")
        self.commands.flush()
        while True:
            reply = self._read()
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _read(self) -> dict:
        chunks = []
        while True:
            byte = self.events.read(1)
            if not byte:
                raise BrowserError("the browser closed its DevTools pipe")
            if byte == b"\0":
                return json.loads(b"".join(chunks))
            chunks.append(byte)

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")


def _high_fd(fd: int) -> int:
    """The same pipe end on a descriptor above 9, so redirecting onto 3 and 4 cannot
    overwrite the other end before it is copied."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


def open_browser(binary: str, profile_dir: Path) -> DevToolsPipe:
    command_read, command_write = map(_high_fd, os.pipe())
    event_read, event_write = map(_high_fd, os.pipe())
    arguments = [
        "--headless",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--remote-debugging-pipe",
        f"--user-data-dir={profile_dir}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "about:blank",
    ]
    # bash (dash takes no descriptor above 9) puts the pipe ends on the descriptors the
    # protocol expects, then becomes the browser.
    process = subprocess.Popen(
        ["bash", "-c", f'exec "$0" "$@" 3<&{command_read} 4>&{event_write}', binary, *arguments],
        pass_fds=(command_read, event_write),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(command_read)
    os.close(event_write)
    return DevToolsPipe(
        process=process,
        commands=os.fdopen(command_write, "wb"),
        events=os.fdopen(event_read, "rb", buffering=1 << 16),
    )


def close_browser(browser: DevToolsPipe) -> None:
    with contextlib.suppress(BrowserError, OSError):
        browser.send("Browser.close", session=False)
    try:
        browser.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        browser.process.kill()
        browser.process.wait()
    for stream in (browser.commands, browser.events):
        with contextlib.suppress(OSError):
            stream.close()


def lineage_nodes(
    docs_url: str, screenshot: Path | None = None, timeout: float = 60.0, binary: str = ""
) -> list[str]:
    """Unique ids of the nodes the docs site draws in its full lineage graph."""
    binary = binary or find_browser() or ""
    if not binary:
        raise BrowserError(f"no browser found (looked for {', '.join(BROWSERS)})")
    with tempfile.TemporaryDirectory(prefix="weblogs-browser-") as profile_dir:
        browser = open_browser(binary, Path(profile_dir))
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"}, session=False)
            attached = browser.send(
                "Target.attachToTarget",
                {"targetId": target["targetId"], "flatten": True},
                session=False,
            )
            browser.session_id = attached["sessionId"]
            browser.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": WINDOW[0], "height": WINDOW[1], "deviceScaleFactor": 1, "mobile": False},
            )
            browser.send("Page.navigate", {"url": f"{docs_url.rstrip('/')}/#!/overview?g_v=1"})
            deadline = time.monotonic() + timeout
            nodes = None
            while nodes is None:
                if time.monotonic() > deadline:
                    raise BrowserError(f"{docs_url} showed no lineage graph within {timeout:.0f} s")
                time.sleep(0.5)
                nodes = browser.evaluate(GRAPH_NODES_SCRIPT)
            if screenshot is not None:
                time.sleep(2)  # let the layout settle before the picture
                image = browser.send("Page.captureScreenshot", {"format": "png"})["data"]
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                screenshot.write_bytes(base64.b64decode(image))
            return sorted(nodes)
        finally:
            close_browser(browser)
