"""What a browser asks of a Tono on a machine with no internet: the web chat and both desks show Tono's favicon
(never a 404), and /docs shows the API description with Swagger UI's own files from this server, not a CDN."""

from __future__ import annotations

import re
import shutil

import httpx
import pytest

from tests.browser_support import chromium_page, running_tono, screenshot

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
PAGES = ["/chat/", "/provider/login", "/agency/login"]


@pytest.fixture
def base(seeded_url, tmp_path):
    database = tmp_path / "browser.db"
    shutil.copyfile(seeded_url.split("///", 1)[1], database)
    with running_tono(database, tmp_path) as served:
        yield served


def test_the_web_chat_and_both_desks_name_a_favicon_the_server_serves(base):
    for path in PAGES:
        page = httpx.get(base + path, timeout=10)
        icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page.text)
        assert page.status_code == 200 and icon, f"{path} names no favicon"

        served = httpx.get(base + icon.group(1), timeout=10)

        assert served.status_code == 200, path
        assert served.headers["content-type"].startswith("image/svg+xml")
        assert served.text.startswith("<svg ")


def test_a_browser_asking_for_favicon_ico_by_itself_gets_the_favicon(base):
    asked = httpx.get(f"{base}/favicon.ico", timeout=10, follow_redirects=True)

    assert asked.status_code == 200 and asked.headers["content-type"].startswith("image/svg+xml")


def test_docs_shows_the_api_in_a_browser_that_can_reach_nothing_but_this_server(base):
    outside, missing = [], []
    with chromium_page() as page:
        # No internet: every request for another host fails, as on a provider's server.
        page.route(re.compile(r"^(?!" + re.escape(base) + r")https?://.*"),
                   lambda route: (outside.append(route.request.url), route.abort())[1])
        page.on("response", lambda answer: missing.append(answer.url) if answer.status >= 400 else None)

        page.goto(f"{base}/docs")
        page.locator(".opblock-summary-path", has_text="/healthz").wait_for(timeout=30_000)
        page.locator(".opblock-summary-path", has_text="/healthz").click()
        page.get_by_text("Whether Tono is up and its database answers").first.wait_for(timeout=30_000)
        screenshot(page, "docs-offline")

    assert outside == []
    assert missing == []


def test_the_api_description_stays_at_openapi_json(base):
    described = httpx.get(f"{base}/openapi.json", timeout=10).json()

    assert "/healthz" in described["paths"]
    assert "/favicon.svg" not in described["paths"] and "/docs" not in described["paths"]


def test_the_web_chat_and_both_desks_load_in_a_browser_with_nothing_missing_and_nothing_from_outside(base):
    outside, missing = [], []
    with chromium_page() as page:
        page.route(re.compile(r"^(?!" + re.escape(base) + r")https?://.*"),
                   lambda route: (outside.append(route.request.url), route.abort())[1])
        page.on("response", lambda answer: missing.append(answer.url) if answer.status >= 400 else None)

        for path in PAGES:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            assert page.locator('link[rel="icon"]').get_attribute("href") == "/favicon.svg"

    assert outside == []
    assert missing == []
