"""The benchmarks still run: each one once, with tiny sizes, checking what it prints, never how fast."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_scale_benchmark_prints_every_wait_at_every_size():
    sizes = [100, 200]

    ran = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", "--sizes", ",".join(map(str, sizes)), "--database", "sqlite",
         "--repeat", "2", "--warmup", "1", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)

    assert ran.returncode == 0, ran.stderr[-3000:]
    report = json.loads(ran.stdout)
    assert report["benchmark"] == "scale" and report["database"] == "sqlite"
    assert report["machine"]["nproc"] >= 1
    assert [run["requests"] for run in report["sizes"]] == sizes
    names = [q["name"] for q in report["sizes"][0]["queries"]]
    assert len(names) >= 12 and len(set(names)) == len(names)
    for run in report["sizes"]:
        assert run["rows"]["provider_request"] == run["requests"]
        assert run["rows"]["provider_request_event"] > run["requests"]  # several events per request
        assert run["rows"]["agency_record"] > 0 and run["rows"]["agency_task"] > 0
        assert [q["name"] for q in run["queries"]] == names
        for query in run["queries"]:
            assert 0 < query["median_ms"] <= query["p95_ms"], query
            assert query["statements"] >= 1, query
    for name in names:  # a line in each size's table and in the growth table
        assert len(re.findall(rf"^{re.escape(name)}\s+\d", ran.stderr, re.MULTILINE)) == len(sizes) + 1, name
