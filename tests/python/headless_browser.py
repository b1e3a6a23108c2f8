"""Headless Chromium for tests: load a page, wait until a script finds what it waits for,
evaluate JavaScript, take a screenshot.

The browser is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
JSON messages ended by a NUL byte on file descriptors 3 and 4), so no browser driver or
network port is needed.
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
WINDOW = (1600, 900)


class BrowserError(RuntimeError):
    """The browser could not be started, or a page or script failed."""


def find_browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


class Page:
    """The one page of a headless browser, through its DevTools session."""

    def __init__(self, process: subprocess.Popen[bytes], commands: BinaryIO, events: BinaryIO):
        self.process, self.commands, self.events = process, commands, events
        self.session_id = ""
        self.last_id = 0
        # Every event the browser sent (console messages, requests...), in order.
        self.received: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: bool = True) -> dict:
        """One DevTools command, and its result once the browser answers it."""
        self.last_id += 1
        message: dict[str, Any] = {"id": self.last_id, "method": method, "params": params or {}}
        if session and self.session_id:
            message["sessionId"] = self.session_id
        self.commands.write(json.dumps(message).encode() + b"\0")
        self.commands.flush()
        while True:
            reply = self._read()
            if "method" in reply:
                self.received.append(reply)
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

    def goto(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-like values only)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60.0, what: str = "the page") -> Any:
        """Evaluate `expression` every half second until it is not null; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value is not None:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"{what} did not appear within {timeout:.0f} s")
            time.sleep(0.5)

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        """The window as a PNG; with `full_page`, the whole page, however long."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            # The document's own size: the layout metrics can lag behind a page that
            # has just drawn its charts.
            width, height = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
            params["captureBeyondViewport"] = True
        image = self.send("Page.captureScreenshot", params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(image))
        return path

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self.send("Browser.close", session=False)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.commands, self.events):
            with contextlib.suppress(OSError):
                stream.close()


def _high_fd(fd: int) -> int:
    """The same pipe end on a descriptor above 9, so redirecting onto 3 and 4 cannot
    overwrite the other end before it is copied."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


def _start(binary: str, profile_dir: Path, window: tuple[int, int]) -> Page:
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
        f"--window-size={window[0]},{window[1]}",
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
    return Page(process, os.fdopen(command_write, "wb"), os.fdopen(event_read, "rb", 1 << 16))


@contextlib.contextmanager
def headless_page(binary: str, window: tuple[int, int] = WINDOW) -> Iterator[Page]:
    """A new headless browser with one blank page of the given size, closed afterwards."""
    with tempfile.TemporaryDirectory(prefix="weblogs-browser-") as profile_dir:
        page = _start(binary, Path(profile_dir), window)
        try:
            target = page.send("Target.createTarget", {"url": "about:blank"}, session=False)
            attached = page.send(
                "Target.attachToTarget",
                {"targetId": target["targetId"], "flatten": True},
                session=False,
            )
            page.session_id = attached["sessionId"]
            page.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": window[0], "height": window[1], "deviceScaleFactor": 1, "mobile": False},
            )
            yield page
        finally:
            page.close()
