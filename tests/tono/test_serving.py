"""`tono run` serves /healthz on a migrated database, as `make run` does."""

from __future__ import annotations

from tests.tono.serving import tono_run
from tono import migrate


def test_tono_run_serves_healthz_with_the_demo_loaded(tmp_path):
    with tono_run(tmp_path) as served:
        assert served.health.status_code == 200
        health = served.health.json()
        link = health.pop("link")
        assert health == {"status": "ok", "database": "sqlite", "revision": migrate.head_revision(),
                          "programme": "best-foot-forward", "role": "both"}
        assert (link["peer"], link["healthy_here"]) == (None, True)
        assert link["provider"]["refused"] == link["agency"]["dead_letters"] == 0
        assert "login kaimahi" in served.seeded
