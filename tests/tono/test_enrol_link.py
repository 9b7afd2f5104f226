"""`tono enrol` prints a web chat link that works for the server that is running, run as the operator runs it:
after `make run PORT=8123` (here: any free port, on every address as HOST=0.0.0.0 serves) the link names that
port; --url and TONO_PUBLIC_URL say otherwise when the server is reached another way."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.tono.serving import free_port

LINK = re.compile(r"Web chat: (\S+)/chat/\?start=([A-Za-z0-9_-]+)")


class Operator:
    """The `tono` command in a fresh folder with a migrated, seeded SQLite database and no other settings."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TONO_", "TELEGRAM_"))}
        self.env |= {"TONO_DATABASE_URL": f"sqlite:///{folder / 'tono.db'}", "TONO_KEYS_DIR": str(folder / "keys")}

    def __call__(self, *args: str, **settings: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tono.cli", *args], cwd=self.folder,
                              env={**self.env, **settings}, capture_output=True, text=True, timeout=120)

    def link(self, *args: str, **settings: str) -> tuple[str, str]:
        done = self("enrol", "P-0001", *args, **settings)
        assert done.returncode == 0, done.stderr
        found = LINK.search(done.stdout)
        assert found, done.stdout
        return found.group(1), found.group(2)

    def codes(self) -> int:
        with sqlite3.connect(self.folder / "tono.db") as db:
            return db.execute("SELECT count(*) FROM provider_enrolment_code").fetchone()[0]


@pytest.fixture(scope="module")
def operator(tmp_path_factory) -> Operator:
    tono = Operator(tmp_path_factory.mktemp("operator"))
    assert tono("db", "upgrade").returncode == 0
    assert tono("seed-demo").returncode == 0
    return tono


def test_before_tono_run_has_served_the_link_names_its_default_address(operator):
    base, _code = operator.link()

    assert base == "http://127.0.0.1:8000"


def test_the_link_names_the_port_a_running_tono_serves_on_and_opens_its_web_chat(operator):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tono.cli", "run", "--host", "0.0.0.0", "--port", str(port)],
                              cwd=operator.folder, env=operator.env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while server.poll() is None and time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)

        base, code = operator.link()

        assert base == f"http://127.0.0.1:{port}"  # 0.0.0.0 is every address; this machine opens its own
        page = httpx.get(f"{base}/chat/?start={code}", timeout=10)
        assert page.status_code == 200 and "<html" in page.text.lower()
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_url_says_where_the_web_chat_is_reached_before_anything_else(operator):
    assert operator.link("--url", "https://tono.example.org/")[0] == "https://tono.example.org"
    assert operator.link("--url", "http://10.0.0.5:8123/chat/")[0] == "http://10.0.0.5:8123"
    assert operator.link("--url", "https://tono.example.org", TONO_PUBLIC_URL="https://other.example.org")[0] == (
        "https://tono.example.org")


def test_tono_public_url_is_used_when_no_url_is_given(operator):
    assert operator.link(TONO_PUBLIC_URL="https://tono.example.org/")[0] == "https://tono.example.org"


@pytest.mark.parametrize("wrong", ["ftp://tono.example.org",
                                   "http://127.0.0.1:port"])
def test_a_wrong_url_is_one_sentence_and_makes_no_code(operator, wrong):
    before = operator.codes()

    done = operator("enrol", "P-0001", "--url", wrong)

    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("tono: --url must be the web address Tono is reached at, e.g. "
                                  "http://127.0.0.1:8123 or https://tono.example.org, not ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert operator.codes() == before
