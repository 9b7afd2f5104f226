"""Flood: does Tono keep serving a family and its staff while someone floods it? (issue 17, [hardening-2])

A real `tono run` (the provider's side, TONO_ROLE=provider, so its inbox is open to the network; its agency is
not running, so relayed messages wait in its outbox) on a fresh SQLite database. While these run at once:

- junk: `--inbox` POSTs of random bytes to /protocol/inbox, `--drawings` requests for the PDF and picture
  routes from one attacker's web chat (which has a request of its own to draw), and `--new-chats` fresh web
  chats, each `--concurrency` at a time;
- a family completes a journey in the web chat: a request, then "where is my request?" until it has gone to the
  agency; a staff member signs in to the desk and approves and relays that request;
- /healthz is asked every 100 ms.

    python -m benchmarks.flood --inbox 2000 --drawings 2000 --new-chats 200 --json

It reports the journey's time, /healthz's slowest answer (target: the journey finishes, /healthz within 1 s
throughout), and what each flood got back (status codes). All traffic goes to 127.0.0.1; every flood is
bounded in count and in time (`--seconds`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.deskkit.desk_app import csrf_in
from tests.tono.serving import free_port

HTML = {"Accept": "text/html,application/xhtml+xml"}
CHAT = {"X-Tono-Chat": "1"}
REF = re.compile(r"[A-Z]{1,6}-\d{4}-\d{6}")
REQUEST_STEPS = ("What do you hold about me?", "Mine", "The agency", "Skip", "A copy here", "No")
RELAYED = "has passed your request to the agency"


@contextmanager
def provider_served(folder: Path):
    """`tono run` as the provider alone, seeded with the demo, its agency's address a closed port."""
    from protocol.agreement import load_agreement
    from tests.tono.test_startup import _agreement_with_keys
    from tono import migrate
    from tono.demo import seed_demo
    from tono.keys import generate_key_files
    from tono.settings import load_settings

    publics = {party: generate_key_files(folder / where, party)[1]
               for party, where in (("ccss", "keys"), ("agency", "agency-keys"))}
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("TONO_", "TELEGRAM_"))},
           "TONO_ROLE": "provider", "TONO_PEER_URL": f"http://127.0.0.1:{free_port()}",
           "TONO_DATABASE_URL": f"sqlite:///{folder / 'tono.db'}", "TONO_KEYS_DIR": str(folder / "keys"),
           "TONO_AGREEMENT": str(_agreement_with_keys(folder, publics)), "TONO_SECRET_KEY": secrets.token_hex(32),
           "TONO_LINK_MAX_BACKOFF_SECONDS": "5"}
    settings = load_settings(**{k: v for k, v in env.items() if k.startswith("TONO_")})
    migrate.upgrade(settings.database_url)
    asyncio.run(seed_demo(settings, load_agreement(env["TONO_AGREEMENT"])))
    code = asyncio.run(_enrolment_code(settings.database_url, "P-0001"))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tono.cli", "run", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise RuntimeError("tono run never answered on /healthz")
        yield f"http://127.0.0.1:{port}", code, settings.database_url
    finally:
        server.terminate()
        server.wait(timeout=20)


async def _enrolment_code(database_url: str, person_ref: str) -> str:
    """A one-time code staff would give the family (the demo's Aroha): her chat is then linked to her."""
    from sqlmodel import select

    from bot.models import Person
    from bot.people.enrolment import issue_code
    from tono.database import make_engine, make_sessionmaker

    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            person = (await session.exec(select(Person).where(Person.ref == person_ref))).one()
            return await issue_code(session, person)
    finally:
        await engine.dispose()


async def _turn(chat: httpx.AsyncClient, **body) -> dict:
    answer = await chat.post("/chat/turn", json=body, headers=CHAT)
    answer.raise_for_status()
    return answer.json()


async def _press(chat: httpx.AsyncClient, said: dict, label: str) -> dict:
    for button in (b for m in said["messages"] for row in m["buttons"] for b in row):
        if label in button["label"]:
            screen, action = button["token"].split(":", 1)
            return await _turn(chat, kind="button", screen=int(screen), action=action)
    raise AssertionError(f"no button {label!r} in {said}")


async def opens(chat: httpx.AsyncClient, code: str = "") -> dict:
    """A new web chat: the page, then /start (with the family's enrolment code, if it has one)."""
    await chat.get("/chat/", params={"start": code} if code else None)
    return await _press(chat, await _turn(chat, kind="command", command="start", text=code), "Not now")


async def asks(chat: httpx.AsyncClient, name: str, said: dict | None = None) -> str:
    """A web chat (opened now unless `said` is where it is) makes an access request about itself to CCSS;
    returns its reference."""
    said = said or await opens(chat)
    for label in REQUEST_STEPS:
        said = await _press(chat, said, label)
    if name:  # a chat not linked to a person says who is asking
        said = await _turn(chat, kind="text", text=name)
    said = await _press(chat, said, "Send my request")
    return REF.search(" ".join(m["html"] for m in said["messages"])).group(0)


async def journey(family: httpx.AsyncClient, opened: dict, staff_login: str, staff_password: str,
                  timeout: float) -> dict:
    """A family (its chat `opened`) asks; staff approve and relay on the desk; the family sees it has gone to
    the agency."""
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=str(family.base_url), timeout=timeout) as staff:
        ref = await asks(family, "", opened)
        page = await staff.get("/provider/login", headers=HTML)
        signed = await staff.post("/provider/login", headers=HTML, data={
            "login": staff_login, "password": staff_password, "csrf": csrf_in(page)})
        assert signed.status_code == 303, f"staff could not sign in: {signed.status_code}"
        csrf = csrf_in(await staff.get("/provider/", headers=HTML))
        for step, fields in (("approve", {"identity_checked": "id_seen"}), ("relay", {})):
            done = await staff.post(f"/provider/requests/{ref}/steps/{step}", headers=HTML,
                                    data={"csrf": csrf, **fields})
            assert done.status_code == 303, f"staff could not {step} {ref}: {done.status_code}"
        while time.perf_counter() - started < timeout:
            said = await _turn(family, kind="command", command="status")
            if RELAYED in " ".join(m["html"] for m in said["messages"]):
                return {"ref": ref, "journey_s": round(time.perf_counter() - started, 2), "journey_completed": True}
            await asyncio.sleep(0.5)
    return {"ref": ref, "journey_s": None, "journey_completed": False}


def _watch(base: str, pipe) -> None:
    """Ask /healthz every 100 ms until told to stop; send back how long each answer took (inf: none came)."""
    took = []
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/healthz")
        pipe.send("ready")
        while not pipe.poll():
            began = time.perf_counter()
            try:
                ok = client.get("/healthz").status_code == 200
            except httpx.HTTPError:
                ok = False
            took.append(time.perf_counter() - began if ok else float("inf"))
            time.sleep(0.1)
    pipe.send(took)


def _watch_in_process(base: str):
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_watch, args=(base, theirs), daemon=True)
    process.start()
    return process, ours


async def _bounded(count: int, concurrency: int, seconds: float, one) -> Counter:
    """`count` calls of `one`, `concurrency` at a time, stopped after `seconds`: what they got back."""
    got, queue, stop = Counter(), iter(range(count)), time.monotonic() + seconds

    async def worker():
        for n in queue:
            if time.monotonic() > stop:
                got["not sent (time up)"] += 1
                continue
            try:
                got[str(await one(n))] += 1
            except httpx.HTTPError as failed:
                got[type(failed).__name__] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return got


async def flood(base: str, code: str, *, inbox: int, drawings: int, new_chats: int, concurrency: int, seconds: float,
                staff: tuple[str, str] = ("kaimahi", "demo-kaimahi-2026")) -> dict:
    limits = httpx.Limits(max_connections=concurrency * 3 + 10)
    async with httpx.AsyncClient(base_url=base, timeout=seconds, limits=limits) as client, \
            httpx.AsyncClient(base_url=base, timeout=seconds) as attacker, \
            httpx.AsyncClient(base_url=base, timeout=seconds) as family:
        attacker_ref = await asks(attacker, "Flood Attacker")  # so its pictures are really drawn
        # Every client here is 127.0.0.1: the family's chat is opened first, or the new-chat flood would use up
        # the address's hour of new chats (a real family has an address of its own).
        opened = await opens(family, code)
        names = [f"{attacker_ref}-{lang}-{reg}" for lang in ("en", "mi") for reg in ("adult", "child")]

        async def junk(n):
            return (await client.post("/protocol/inbox", content=os.urandom(1024 * (1 + n % 64)),
                                      headers={"Content-Type": "application/json"})).status_code

        async def draw(n):
            kind = ("pictures", "png") if n % 2 else ("copies", "pdf")
            return (await attacker.get(f"/chat/{kind[0]}/{names[n % 4]}.{kind[1]}")).status_code

        async def new_chat(n):
            cookie = {"tono_chat": secrets.token_urlsafe(32)}
            async with httpx.AsyncClient(base_url=base, timeout=seconds, cookies=cookie) as chat:
                said = await _turn(chat, kind="command", command="start")
                return "refused" if "Many new chats" in said["messages"][0]["html"] else "opened"

        # /healthz is timed from a process of its own: this one's event loop is busy flooding, and its delays
        # would be counted as Tono's.
        watching, stop_watching = _watch_in_process(base)
        assert await asyncio.to_thread(stop_watching.recv) == "ready"
        floods = [asyncio.create_task(_bounded(total, concurrency, seconds, one))
                  for total, one in ((inbox, junk), (drawings, draw), (new_chats, new_chat))]
        try:
            result = await journey(family, opened, *staff, timeout=seconds)
        except (httpx.HTTPError, AssertionError) as failed:  # reported, not raised: the floods' figures still count
            result = {"ref": None, "journey_s": None, "journey_completed": False,
                      "journey_error": f"{type(failed).__name__}: {failed}"[:300]}
        got = await asyncio.gather(*floods)
        stop_watching.send("stop")
        health = await asyncio.to_thread(stop_watching.recv)
        watching.join(timeout=10)
    finite = sorted(h for h in health if h != float("inf"))
    return {**result, "healthz_max_ms": round(finite[-1] * 1000) if finite else None,
            "healthz_p50_ms": round(finite[len(finite) // 2] * 1000) if finite else None,
            "healthz_asked": len(health), "healthz_failed": len(health) - len(finite),
            "inbox": dict(got[0]), "drawings": dict(got[1]), "new_chats": dict(got[2]),
            "server_errors": sum(v for g in got for k, v in g.items() if k.startswith("5"))}


def measure(inbox: int, drawings: int, new_chats: int, concurrency: int, seconds: float) -> dict:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder, provider_served(Path(folder)) as (base, code, _database):
        figures = asyncio.run(flood(base, code, inbox=inbox, drawings=drawings, new_chats=new_chats,
                                    concurrency=concurrency, seconds=seconds))
    return {**figures, "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
            "cores": os.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inbox", type=int, default=2000, help="junk POSTs to /protocol/inbox")
    parser.add_argument("--drawings", type=int, default=2000, help="PDF and picture requests from one chat")
    parser.add_argument("--new-chats", type=int, default=200, help="fresh web chats started")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight per flood")
    parser.add_argument("--seconds", type=float, default=120.0, help="no flood goes on longer than this")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = measure(args.inbox, args.drawings, args.new_chats, args.concurrency, args.seconds)
    print(json.dumps(result) if args.json else "\n".join(f"{k:>20}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
