"""`tono run` as a real subprocess on a migrated, seeded database in a fresh folder, as `make run` runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

TONO = [sys.executable, "-m", "tono.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    base: str
    seeded: str  # what `tono seed-demo` printed
    server: subprocess.Popen
    health: httpx.Response

    def output(self) -> str:
        """Everything the server printed, once it has stopped."""
        return self.server.stdout.read() if self.server.poll() is not None else ""


@contextmanager
def tono_run(tmp_path: Path) -> Iterator[Served]:
    """A served Tono, up (it answered /healthz); stopped on leaving, its output then in `output()`."""
    env = {**os.environ, "TONO_DATABASE_URL": f"sqlite:///{tmp_path / 'tono.db'}",
           "TONO_KEYS_DIR": str(tmp_path / "keys")}
    subprocess.run([*TONO, "db", "upgrade"], env=env, check=True, capture_output=True)
    seeded = subprocess.run([*TONO, "seed-demo"], env=env, check=True, capture_output=True, text=True)
    port = free_port()
    server = subprocess.Popen([*TONO, "run", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    served = None
    try:
        health = None
        deadline = time.monotonic() + 60  # a busy two-core machine can take a while to import everything
        while health is None and time.monotonic() < deadline and server.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            except httpx.TransportError:
                time.sleep(0.1)
        assert health is not None, "tono run never answered on /healthz"
        served = Served(f"http://127.0.0.1:{port}", seeded.stdout, server, health)
        yield served
    finally:
        server.terminate()
        server.wait(timeout=10)
