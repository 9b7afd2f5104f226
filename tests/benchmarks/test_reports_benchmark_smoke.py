"""The reports benchmark still runs, on each transport, with a tiny size: it checks what it prints, never how
fast (the figures are in BENCHMARKS.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("transport", ["sql", "http"])
def test_the_reports_benchmark_sends_a_whole_report_and_says_how_long_and_how_much_memory(transport):
    ran = subprocess.run([sys.executable, "-m", "benchmarks.reports", "--participants", "130", "--transport",
                          transport, "--json"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)

    assert ran.returncode == 0, ran.stderr[-3000:]
    figures = json.loads(ran.stdout.strip().splitlines()[-1])
    assert (figures["benchmark"], figures["transport"], figures["participants"]) == ("reports", transport, 130)
    assert figures["rows"] == 130 * 8 and figures["parts"] == 2  # 1,040 rows: parts of at most 1,000
    assert 0 < figures["prepared_s"] <= figures["approved_and_signed_s"] <= figures["end_to_end_s"]
    assert figures["memory_above_baseline_mb"] >= 0
