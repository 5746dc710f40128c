"""Open a page in headless Chromium, wait until it has rendered, save a screenshot and the DOM.

Chromium's one-shot ``--screenshot``/``--dump-dom`` fire at the load event, and
``--virtual-time-budget`` does not wait for WebSocket traffic, so a Streamlit page
(which draws everything it receives over its WebSocket after load) comes out as an
empty skeleton. This drives the same headless Chromium over the DevTools protocol
on a pipe (``--remote-debugging-pipe``: no port, standard library only) and polls
the page until a condition holds.

    cd tests/python && ../../.venv/bin/python -m support.headless http://127.0.0.1:8501/ /tmp/page.png --min-charts 3
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
)

# Counted in the page: Plotly charts that drew their SVG, and Streamlit's "still running" marks.
_PROBE = """
(() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  const drawn = plots.filter(p => p.querySelector('svg.main-svg')).length;
  const skeletons = document.querySelectorAll('[data-testid="stSkeleton"]').length;
  const running = document.querySelectorAll('[data-testid="stStatusWidget"]').length;
  return JSON.stringify({plots: plots.length, drawn, skeletons, running,
                         text: document.body ? document.body.innerText.length : 0});
})()
"""


# Height of everything Streamlit laid out (its main area scrolls inside the viewport).
_CONTENT_HEIGHT = """
(() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const block = document.querySelector('[data-testid="stMainBlockContainer"]');
  const heights = [document.body.scrollHeight];
  if (main) heights.push(main.scrollHeight + main.getBoundingClientRect().top);
  if (block) heights.push(block.getBoundingClientRect().top + block.scrollHeight + 40);
  return Math.ceil(Math.max(...heights));
})()
"""


def find_chromium() -> str | None:
    """Path of a Chromium binary, or None."""
    for candidate in CHROMIUM_CANDIDATES:
        path = shutil.which(candidate) if not candidate.startswith("/") else (
            candidate if os.access(candidate, os.X_OK) else None)
        if path:
            return path
    return None


@dataclass
class Capture:
    """What the page looked like once it had rendered."""

    dom: str
    png: bytes
    plots: int
    drawn_plots: int
    seconds: float


class _DevTools:
    """A minimal DevTools-protocol client over Chromium's --remote-debugging-pipe (fds 3 and 4)."""

    def __init__(self, chromium: str, width: int, height: int, user_data_dir: Path) -> None:
        to_child_read, to_child_write = os.pipe()
        from_child_read, from_child_write = os.pipe()
        # Move the child's ends out of the way of 3 and 4 before dup2 puts them there.
        child_in = fcntl.fcntl(to_child_read, fcntl.F_DUPFD, 10)
        child_out = fcntl.fcntl(from_child_write, fcntl.F_DUPFD, 10)
        os.close(to_child_read)
        os.close(from_child_write)

        def _wire() -> None:  # runs in the child before exec
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        self.process = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--window-size={width},{height}",
             f"--user-data-dir={user_data_dir}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4, child_in, child_out), preexec_fn=_wire,
        )
        os.close(child_in)
        os.close(child_out)
        self._write = os.fdopen(to_child_write, "wb", buffering=0)
        self._read = os.fdopen(from_child_read, "rb", buffering=0)
        self._buffer = b""
        self._next_id = 0

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = self._read.read(65536)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe (did it crash?)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:
        self._next_id += 1
        request = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        self._write.write(json.dumps(request).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self._write, self._read):
            try:
                stream.close()
            except OSError:
                pass


class HeadlessPage:
    """One page in headless Chromium: ``with HeadlessPage(url) as page: page.wait_until_rendered(...)``."""

    def __init__(self, url: str, width: int = 1400, height: int = 3000, chromium: str | None = None) -> None:
        self.url, self.width, self.height = url, width, height
        self.chromium = chromium or find_chromium()
        if self.chromium is None:
            raise FileNotFoundError("Chromium not found: run scripts/install_browser.sh")
        self._profile: tempfile.TemporaryDirectory | None = None
        self._tools: _DevTools | None = None
        self._session = ""

    def __enter__(self) -> HeadlessPage:
        self._profile = tempfile.TemporaryDirectory(prefix="dashboard-chromium-")
        self._tools = _DevTools(self.chromium, self.width, self.height, Path(self._profile.name))
        try:
            target = self._tools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self._session = self._tools.call("Target.attachToTarget",
                                             {"targetId": target, "flatten": True})["sessionId"]
            self._resize(self.height)
            self._tools.call("Page.enable", session=self._session)
            self._tools.call("Page.navigate", {"url": self.url}, self._session)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self._tools is not None:
            self._tools.close()
            self._tools = None
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None

    def _resize(self, height: int) -> None:
        self._tools.call("Emulation.setDeviceMetricsOverride",
                         {"width": self.width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                         self._session)

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page."""
        result = self._tools.call("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                                  self._session)
        return result.get("result", {}).get("value")

    def state(self) -> dict:
        """Plotly charts present and drawn, skeleton placeholders left, length of the page text."""
        return json.loads(self.evaluate(_PROBE))

    def text(self) -> str:
        return self.evaluate("document.body ? document.body.innerText : ''") or ""

    def dom(self) -> str:
        return self.evaluate("document.documentElement.outerHTML") or ""

    def wait_until_rendered(self, min_charts: int = 1, must_contain: tuple[str, ...] = (),
                            timeout: float = 40.0, settle: float = 1.0) -> dict:
        """Wait until ``min_charts`` Plotly charts have drawn their SVG, no skeletons are left
        and the page text contains every ``must_contain`` string; then ``settle`` seconds more.

        Returns the final :meth:`state`; raises TimeoutError saying what was missing.
        """
        deadline = time.monotonic() + timeout
        state: dict = {}
        text = ""
        while True:
            state = self.state()
            if state["drawn"] >= min_charts and not state["skeletons"]:
                text = self.text()
                if all(s in text for s in must_contain):
                    break
            if time.monotonic() > deadline:
                missing = [s for s in must_contain if s not in text]
                raise TimeoutError(f"page not rendered after {timeout:.0f} s: {state}, missing text {missing}")
            time.sleep(0.25)
        time.sleep(settle)
        return self.state()

    def screenshot(self, full_page: bool = True, max_height: int = 12000) -> bytes:
        """A PNG of the page; ``full_page`` grows the viewport to the content's height first."""
        if full_page:
            height = self.evaluate(_CONTENT_HEIGHT) or self.height
            height = int(min(max(height, self.height), max_height))
            if height != self.height:
                self._resize(height)
                time.sleep(0.5)
        data = self._tools.call("Page.captureScreenshot", {"format": "png"}, self._session)["data"]
        if full_page and height != self.height:
            self._resize(self.height)
        return base64.b64decode(data)


def capture(url: str, min_charts: int = 1, must_contain: tuple[str, ...] = (), width: int = 1400,
            height: int = 3000, timeout: float = 40.0) -> Capture:
    """Load ``url``, wait until it has rendered, and return its DOM and a full-page PNG."""
    started = time.monotonic()
    with HeadlessPage(url, width, height) as page:
        state = page.wait_until_rendered(min_charts, must_contain, timeout)
        png = page.screenshot()
        dom = page.dom()
    return Capture(dom=dom, png=png, plots=state["plots"], drawn_plots=state["drawn"],
                   seconds=time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    """Command line: capture a page, write the PNG (and optionally the DOM)."""
    parser = argparse.ArgumentParser(prog="headless", description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("screenshot", type=Path)
    parser.add_argument("--dom", type=Path, help="also write the rendered DOM here")
    parser.add_argument("--min-charts", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=40.0)
    args = parser.parse_args(argv)
    try:
        result = capture(args.url, min_charts=args.min_charts, timeout=args.timeout)
    except (TimeoutError, FileNotFoundError, RuntimeError) as error:
        print(f"headless: error: {error}", file=sys.stderr)
        return 1
    args.screenshot.parent.mkdir(parents=True, exist_ok=True)
    args.screenshot.write_bytes(result.png)
    if args.dom:
        args.dom.write_text(result.dom, encoding="utf-8")
    print(f"headless: {result.drawn_plots} charts drawn in {result.seconds:.1f} s; screenshot {args.screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
