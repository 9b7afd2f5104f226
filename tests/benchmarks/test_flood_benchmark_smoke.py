"""A smoke run of the flood benchmark at tiny sizes: it serves Tono, floods it, drives the family's journey and
the desk, and reports every figure it promises (how fast is measured by `make bench`, never asserted here)."""

from __future__ import annotations

import pytest

from tests.benchmarks.test_chat_benchmarks_smoke import run


@pytest.mark.slow
def test_the_flood_benchmark_reports_the_journey_healthz_and_what_each_flood_got():
    figures = run("benchmarks.flood", "--inbox", "10", "--drawings", "10", "--new-chats", "3", "--concurrency", "3",
                  "--seconds", "60")

    assert figures["journey_completed"] is True and figures["journey_s"] > 0
    assert figures["healthz_max_ms"] >= figures["healthz_p50_ms"] >= 0 and figures["healthz_asked"] > 0
    for flood in ("inbox", "drawings", "new_chats"):
        assert sum(figures[flood].values()) > 0, flood
    assert {"server_errors", "healthz_failed", "load_before", "load_after", "cores"} <= figures.keys()
