"""`tono seed-demo` prints only logins that work: each login it prints signs in, on the desk it is printed for,
at the `tono run` of the same database, whichever organisations the server runs as (TONO_ROLE)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.tono.serving import free_port

PRINTED = re.compile(r"^\s+(provider|agency) desk\s+login (\S+)\s+password (\S+)", re.MULTILINE)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
HTML = {"Accept": "text/html"}
SECRET = "a-long-random-secret-for-the-seed-demo-logins-test-0123"


def _environment(folder: Path, role: str) -> dict[str, str]:
    """A fresh folder's settings for one role; one organisation alone gets real keys, as it must to run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TONO_", "TELEGRAM_"))}
    env |= {"TONO_DATABASE_URL": f"sqlite:///{folder / 'tono.db'}", "TONO_KEYS_DIR": str(folder / "keys"),
            "TONO_SECRET_KEY": SECRET, "TONO_ROLE": role}
    if role != "both":
        from tests.tono.test_startup import _agreement_with_keys
        from tono.keys import generate_key_files

        mine = "ccss" if role == "provider" else "agency"
        publics = {party: generate_key_files(folder / ("keys" if party == mine else "theirs"), party)[1]
                   for party in ("ccss", "agency")}
        env |= {"TONO_AGREEMENT": str(_agreement_with_keys(folder, publics)),
                "TONO_PEER_URL": f"http://127.0.0.1:{free_port()}"}  # the other server is not running
    return env


def _tono(env: dict[str, str], folder: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "tono.cli", *args], env=env, cwd=folder, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, f"tono {' '.join(args)}: {done.stderr}"
    return done.stdout


def _signs_in(base: str, desk: str, login: str, password: str) -> bool:
    with httpx.Client(base_url=base, follow_redirects=False, timeout=20) as browser:
        form = browser.get(f"/{desk}/login", headers=HTML)
        csrf = CSRF.search(form.text)
        assert csrf, form.text[:500]
        signed = browser.post(f"/{desk}/login", headers=HTML,
                              data={"login": login, "password": password, "csrf": csrf.group(1)})
        return signed.status_code == 303 and browser.get(f"/{desk}/", headers=HTML).status_code == 200


@pytest.mark.slow
@pytest.mark.parametrize("role", ["both", "provider", "agency"])
def test_every_login_seed_demo_prints_signs_in_on_the_desk_it_is_printed_for(tmp_path, role):
    env = _environment(tmp_path, role)
    _tono(env, tmp_path, "db", "upgrade")
    printed = PRINTED.findall(_tono(env, tmp_path, "seed-demo"))
    assert printed, "seed-demo printed no login"
    assert {desk for desk, _, _ in printed} == ({"provider", "agency"} if role == "both" else {role})

    assert _refused_at_the_server(env, tmp_path, printed) == []


@pytest.mark.slow
def test_a_demo_login_disabled_or_given_its_own_password_is_not_printed_again(tmp_path):
    env = _environment(tmp_path, "both")
    _tono(env, tmp_path, "db", "upgrade")
    _tono(env, tmp_path, "seed-demo")
    done = subprocess.run([sys.executable, "-m", "tono.cli", "login", "password", "kaimahi"], env=env, cwd=tmp_path,
                          input="a password of her own, 2026\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    _tono(env, tmp_path, "login", "disable", "officer-evaluation")

    said = _tono(env, tmp_path, "seed-demo")

    printed = PRINTED.findall(said)
    assert {login for _, login, _ in printed} == {"officer-service-reporting", "evaluator"}
    assert "  Not printed: kaimahi (provider desk) has a password of its own now, not the demo's." in said
    assert "  Not printed: officer-evaluation (agency desk) is disabled" in said
    assert _refused_at_the_server(env, tmp_path, printed) == []


def _refused_at_the_server(env: dict[str, str], folder: Path, printed: list[tuple[str, str, str]]) -> list:
    """The printed logins that `tono run` on the same database refuses, as (desk, login)."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tono.cli", "run", "--port", str(port)], env=env, cwd=folder,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while server.poll() is None and time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert server.poll() is None, server.stdout.read()

        return [(desk, login) for desk, login, password in printed if not _signs_in(base, desk, login, password)]
    finally:
        server.terminate()
        server.wait(timeout=15)
