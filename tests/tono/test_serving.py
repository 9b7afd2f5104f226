"""`tono run` serves /healthz on a migrated database, as `make run` does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx

from tono import migrate


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_tono_run_serves_healthz_with_the_demo_loaded(tmp_path):
    env = {**os.environ, "TONO_DATABASE_URL": f"sqlite:///{tmp_path / 'tono.db'}",
           "TONO_KEYS_DIR": str(tmp_path / "keys")}
    tono = [sys.executable, "-m", "tono.cli"]
    subprocess.run([*tono, "db", "upgrade"], env=env, check=True, capture_output=True)
    seeded = subprocess.run([*tono, "seed-demo"], env=env, check=True, capture_output=True, text=True)
    port = _free_port()
    server = subprocess.Popen([*tono, "run", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        health = None
        deadline = time.monotonic() + 60  # a busy two-core machine can take a while to import everything
        while health is None and time.monotonic() < deadline and server.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            except httpx.TransportError:
                time.sleep(0.1)
        assert health is not None, "tono run never answered on /healthz"
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "sqlite", "revision": migrate.head_revision(),
                                 "programme": "best-foot-forward"}
        assert "login kaimahi" in seeded.stdout
    finally:
        server.terminate()
        server.wait(timeout=10)
