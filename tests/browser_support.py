"""A real Tono server and a real headless Chromium for browser tests (DESIGN.md §11).

Chromium comes from Debian (`apt-get install chromium`; .ci/run does it); Playwright only drives it.
Where there is no Chromium the browser tests are skipped and say so, except when TONO_REQUIRE_BROWSER
is set (CI), where that is a failure. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CHROMIUM = os.environ.get("TONO_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_tono(database_file: Path, workdir: Path, extra_env: dict[str, str] | None = None):
    """`tono run` in its own process on a free loopback port; yields the base URL."""
    port = _free_port()
    env = {**os.environ, "TONO_DATABASE_URL": f"sqlite:///{database_file}", "TONO_KEYS_DIR": str(workdir / "keys"),
           "TONO_SECRET_KEY": "browser-test-secret-at-least-32-characters-long", **(extra_env or {})}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    log = (workdir / "tono.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "tono.cli", "run", "--port", str(port)], env=env,
                              stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # a busy two-core machine can take a while to import everything
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"tono run did not start: {(workdir / 'tono.log').read_text()[-2000:]}")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


def chromium_or_skip() -> None:
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    if os.environ.get("TONO_REQUIRE_BROWSER"):
        pytest.fail(f"TONO_REQUIRE_BROWSER is set but there is no Chromium at {CHROMIUM}")
    pytest.skip(f"browser tests skipped: no Chromium at {CHROMIUM} (apt-get install chromium)")


@contextmanager
def chromium_page(viewport: dict | None = None):
    """A fresh headless Chromium page (sync Playwright API)."""
    from playwright.sync_api import sync_playwright

    chromium_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=viewport or {"width": 1100, "height": 800}, locale="en-NZ")
            yield context.new_page()
        finally:
            browser.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
