"""A small client for headless Chromium over the DevTools protocol, for the tests that check a page as it is
rendered: Debian's `chromium`, run as the tests' user (with --no-sandbox, as root needs), on 127.0.0.1 only.

websocket-client carries the protocol's messages; it is a pure-Python package with no dependencies, where Selenium
would add a driver binary and a larger library for the four commands used here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
]


def chromium_path() -> str | None:
    """The Chromium to use: TRACKER_CHROMIUM, else `chromium` (Debian) or `chromium-browser` on the PATH."""
    named = os.environ.get("TRACKER_CHROMIUM")
    if named:
        return named
    return shutil.which("chromium") or shutil.which("chromium-browser")


def print_to_pdf(page: Path, pdf: Path) -> subprocess.CompletedProcess[str]:
    """Print `page` to `pdf` with Chromium's own --print-to-pdf, as a person's 'Print to PDF' would."""
    binary = chromium_path()
    assert binary is not None
    profile = tempfile.mkdtemp(prefix="tracker-chromium-")
    try:
        return subprocess.run(
            [
                binary,
                *FLAGS,
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        remove_profile(profile)


def remove_profile(profile: str) -> None:
    """Remove a Chromium profile folder. Chromium's helper processes may still write into it for a moment after
    the browser exits, so removal is tried again for a few seconds before the folder is left to the system."""
    for _ in range(25):
        try:
            shutil.rmtree(profile)
            return
        except OSError:
            if not os.path.exists(profile):
                return
            time.sleep(0.2)
    shutil.rmtree(profile, ignore_errors=True)


class Browser:
    """One headless Chromium with one page, driven over the DevTools protocol."""

    def __init__(self) -> None:
        binary = chromium_path()
        assert binary is not None, "no Chromium"
        self.profile = tempfile.mkdtemp(prefix="tracker-chromium-")
        self.process = subprocess.Popen(
            [
                binary,
                *FLAGS,
                f"--user-data-dir={self.profile}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.socket: Any = None
        self.counter = 0
        self.events: list[dict[str, Any]] = []
        try:
            self._connect()
        except BaseException:
            self.close()
            raise

    def _connect(self) -> None:
        import websocket

        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as answer:
            targets = json.load(answer)
        page = next(target for target in targets if target["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a protocol method and return its result (events that arrive meanwhile are kept)."""
        self.counter += 1
        self.socket.send(json.dumps({"id": self.counter, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.counter:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})  # type: ignore[no-any-return]
            self.events.append(message)

    def wait_for(self, event: str) -> None:
        """Wait for a protocol event (or find it among those already received)."""
        while not any(message.get("method") == event for message in self.events):
            self.events.append(json.loads(self.socket.recv()))
        self.events = [message for message in self.events if message.get("method") != event]

    def open(self, page: Path, width: int, height: int = 900) -> None:
        """Load `page` in a window `width` CSS pixels wide (a phone's, with touch, under 500)."""
        self.send(
            "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=width < 500
        )
        self.send("Page.enable")
        self.events.clear()
        self.send("Page.navigate", url=page.as_uri())
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page: the tests' own measuring code, sent over the
        protocol, never written into the page."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        """A PNG of the whole page at the current width."""
        import base64

        height = int(self.evaluate("Math.ceil(document.documentElement.scrollHeight)"))
        width = int(self.evaluate("window.innerWidth"))
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        remove_profile(self.profile)

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
