"""Smoke runs of the chat, pacing and memory benchmarks at tiny sizes: each runs end to end and reports
every figure it promises (their speed is measured by `make bench`, never asserted here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(module: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", module, *args, "--json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_chat_benchmark_drives_tono_and_the_echo_floor_and_reports_the_ratio():
    figures = run("benchmarks.chat_load", "--chats", "3", "--updates", "45")

    assert figures["failed_chats"] == 0, figures["failures"]
    assert figures["tono_updates_per_s"] > 0 and figures["echo_updates_per_s"] > 0
    assert figures["ratio"] > 0 and figures["p50_ms"] <= figures["p99_ms"]
    assert figures["database"] == "sqlite"
    assert figures["channel"] == "aiogram"


@pytest.mark.slow
def test_the_chat_benchmark_drives_tono_on_python_telegram_bot_and_its_echo_floor_and_reports_the_ratio():
    figures = run("benchmarks.chat_load", "--chats", "3", "--updates", "45", "--channel", "ptb")

    assert figures["failed_chats"] == 0, figures["failures"]
    assert figures["tono_updates_per_s"] > 0 and figures["echo_updates_per_s"] > 0
    assert figures["ratio"] > 0 and figures["p50_ms"] <= figures["p99_ms"]
    assert figures["channel"] == "ptb"


@pytest.mark.slow
def test_the_pacing_benchmark_delivers_every_notification_and_counts_429s():
    figures = run("benchmarks.pacing", "--notifications", "40")

    assert figures["arrived"] == 40
    assert figures["rate_limited"] == 0
    assert figures["fraction_of_allowed"] > 0


@pytest.mark.slow
def test_the_memory_benchmark_reports_the_bots_resident_memory_with_conversations_open():
    figures = run("benchmarks.memory", "--conversations", "5")

    assert figures["failed_chats"] == 0
    assert figures["rss_mb"] > figures["rss_before_mb"] > 0
