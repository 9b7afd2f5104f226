"""Going live, run through the real `tono` command on a fresh SQLite file: `tono setup` makes the agreement's units
and nothing of the demo, `tono login …` makes desk logins that sign in to the real app, each refusal is one
sentence with nothing written, and a disabled login neither signs in nor keeps an open session."""

from __future__ import annotations

import fcntl
import hashlib
import os
import pty
import select
import shutil
import sqlite3
import subprocess
import sys
import termios
import time
from pathlib import Path

import httpx
import pytest

from protocol.agreement import load_agreement
from tests.tono.test_first_hour_failures import one_sentence as the_one_line
from tono import migrate

SECRET = "going-live-tests-secret-0123456789-abcdefghijklmnop"
HTML = {"Accept": "text/html,application/xhtml+xml"}
WRONG = "That login and password do not match. Check them and try again."
STAFF = ("mere.smith", "kūmara and puha for tea")  # macrons and spaces: a passphrase, as the guide suggests
OFFICER = ("tama.rangi", "tama's evaluation passphrase")
UNITS = [unit.id for unit in load_agreement().units]
DEMO_TABLES = ("provider_family", "provider_person", "provider_authority", "provider_staff", "agency_officer",
               "agency_record")


def _env() -> dict[str, str]:
    # Nothing from the developer's shell may change what the command does; stdin, not a terminal, unless asked.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TONO_", "TELEGRAM_")) and k != "MAKELEVEL"}
    return {**env, "TONO_SECRET_KEY": SECRET, "PYTHONUNBUFFERED": "1"}


def tono(folder: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """`tono ARGS` in `folder` (its tono.db), with `stdin` as standard input: a script, not a person at a terminal."""
    return subprocess.run([sys.executable, "-m", "tono.cli", *args], cwd=folder, env=_env(), input=stdin,
                          capture_output=True, text=True, timeout=120)


def _take_the_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # standard input becomes the controlling terminal: where getpass reads


def tono_at_a_terminal(folder: Path, *args: str, typed: list[str]) -> tuple[subprocess.CompletedProcess, str]:
    """`tono ARGS` with a terminal as standard input, typing each of `typed` once its prompt has appeared; the
    finished command, and what it wrote on the terminal (its prompts)."""
    terminal, child_end = pty.openpty()
    command = subprocess.Popen([sys.executable, "-m", "tono.cli", *args], cwd=folder, env=_env(), stdin=child_end,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=_take_the_terminal)
    os.close(child_end)
    shown = ""
    try:
        for number, line in enumerate(typed, start=1):
            deadline = time.monotonic() + 60
            while shown.count(": ") < number:  # each prompt ends in ": "; typed text is not echoed
                assert time.monotonic() < deadline, f"no prompt number {number}; the terminal shows {shown!r}"
                if select.select([terminal], [], [], 0.5)[0]:
                    try:
                        shown += os.read(terminal, 1024).decode()
                    except OSError:  # the command has ended and closed the terminal
                        break
                if command.poll() is not None and not select.select([terminal], [], [], 0)[0]:
                    break
            os.write(terminal, (line + "\n").encode())
        out, err = command.communicate(timeout=120)
    finally:
        command.kill()
        os.close(terminal)
    return subprocess.CompletedProcess(args, command.returncode, out, err), shown


def one_sentence(done: subprocess.CompletedProcess) -> str:
    """The one line a refused command said (checked as every first-hour failure is), without `tono: `."""
    return the_one_line(done).removeprefix("tono: ")


def succeeded(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    return done.stdout


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(folder: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(folder / "tono.db") as db:
        return db.execute(sql).fetchall()


def _checkpointed(path: Path) -> None:
    with sqlite3.connect(path) as db:  # everything in the one file, so a copy carries it and a fingerprint sees it
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@pytest.fixture(scope="module")
def live_template(tmp_path_factory) -> Path:
    """A migrated tono.db after `tono setup`, with one staff login and one officer login added by the command."""
    folder = tmp_path_factory.mktemp("live")
    migrate.upgrade(f"sqlite+aiosqlite:///{folder / 'tono.db'}")
    succeeded(tono(folder, "setup"))
    succeeded(tono(folder, "login", "add", STAFF[0], "--desk", "provider", "--display-name", "Mere Smith",
                   stdin=STAFF[1] + "\n"))
    succeeded(tono(folder, "login", "add", OFFICER[0], "--desk", "agency", "--unit", "evaluation",
                   stdin=OFFICER[1] + "\n"))
    _checkpointed(folder / "tono.db")
    return folder / "tono.db"


@pytest.fixture
def live(tmp_path, live_template) -> Path:
    """A folder whose tono.db is set up and has the two logins, ready for changes."""
    shutil.copyfile(live_template, tmp_path / "tono.db")
    return tmp_path


# ---- the app, as a browser sees it ------------------------------------------------------------------------------

class Desks:
    """The real app on a folder's tono.db, and a cookie-keeping browser for it."""

    def __init__(self, folder: Path) -> None:
        from tono.app import create_app
        from tono.settings import load_settings

        settings = load_settings(TONO_DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'tono.db'}",
                                 TONO_KEYS_DIR=str(folder / "keys"), TONO_SECRET_KEY=SECRET, TONO_ROLE="both",
                                 TONO_PEER_URL="", TELEGRAM_BOT_TOKEN=None, TONO_PUBLIC_URL=None)
        self.app = create_app(settings, load_agreement(), start_telegram=False, run_loops=False)

    def browser(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app, client=("192.0.2.30", 50000)),
                                 base_url="http://desk.test")

    async def close(self) -> None:
        await self.app.state.engine.dispose()


async def sign_in(browser: httpx.AsyncClient, desk: str, login: str, password: str) -> httpx.Response:
    form = await browser.get(f"/{desk}/login", headers=HTML)
    csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    return await browser.post(f"/{desk}/login", headers=HTML, data={"login": login, "password": password, "csrf": csrf})


@pytest.fixture
async def desks(live):
    app = Desks(live)
    yield app
    await app.close()


# ---- tono setup -------------------------------------------------------------------------------------------------

def test_setup_on_a_fresh_database_makes_the_agreements_units_and_nothing_of_the_demo(tmp_path):
    succeeded(tono(tmp_path, "db", "upgrade"))

    said = succeeded(tono(tmp_path, "setup"))

    assert sorted(_rows(tmp_path, "SELECT id FROM agency_unit")) == sorted((unit,) for unit in UNITS)
    assert {table: _rows(tmp_path, f"SELECT count(*) FROM {table}")[0][0] for table in DEMO_TABLES} == dict.fromkeys(
        DEMO_TABLES, 0)
    assert all(f"agency unit {unit}: added" in said for unit in UNITS)
    assert "tono login add NAME --desk provider" in said


def test_setup_run_again_changes_nothing_and_says_the_units_are_there(live):
    before = _fingerprint(live / "tono.db")

    said = succeeded(tono(live, "setup"))

    _checkpointed(live / "tono.db")
    assert _fingerprint(live / "tono.db") == before
    assert all(f"agency unit {unit}: already there" in said for unit in UNITS)
    assert "demo" not in said


def test_seed_demo_makes_its_units_through_setup_so_setup_afterwards_finds_them_there_and_names_the_demo_logins(
        tmp_path):
    succeeded(tono(tmp_path, "db", "upgrade"))
    succeeded(tono(tmp_path, "seed-demo"))

    said = succeeded(tono(tmp_path, "setup"))

    assert all(f"agency unit {unit}: already there" in said for unit in UNITS)
    assert "still has demo logins" in said and "kaimahi" in said and "tono login remove-demo" in said


# ---- tono login add: each desk, then signing in ---------------------------------------------------------------

async def test_a_staff_login_added_by_a_script_signs_in_to_the_provider_desk(desks):
    async with desks.browser() as browser:
        signed = await sign_in(browser, "provider", *STAFF)
        page = await browser.get("/provider/", headers=HTML)

    assert signed.status_code == 303, signed.text
    assert page.status_code == 200
    assert "Mere Smith" in page.text


async def test_an_officer_login_added_at_a_terminal_signs_in_to_its_units_queue(live):
    done, shown = tono_at_a_terminal(live, "login", "add", "hemi", "--desk", "agency", "--unit", "evaluation",
                                     typed=["hemi's own passphrase", "hemi's own passphrase"])
    app = Desks(live)
    try:
        async with app.browser() as browser:
            signed = await sign_in(browser, "agency", "hemi", "hemi's own passphrase")
            page = await browser.get("/agency/", headers=HTML)
    finally:
        await app.close()

    assert "Added hemi (hemi) to the agency desk, in the evaluation unit" in succeeded(done)
    assert "New password for hemi (at least 12 characters): " in shown and "The same password again: " in shown
    assert "hemi's own passphrase" not in shown  # typed unseen
    assert signed.status_code == 303, signed.text
    assert "Evaluation team: tasks to do" in page.text


def test_the_stored_password_is_an_argon2_hash_of_what_was_typed(live):
    from deskkit.passwords import verify_password

    [(stored,)] = _rows(live, f"SELECT password_hash FROM provider_staff WHERE login = '{STAFF[0]}'")

    assert stored.startswith("$argon2")
    assert verify_password(stored, STAFF[1])
    assert not verify_password(stored, STAFF[1] + " ")


# ---- refusals: one sentence each, nothing written --------------------------------------------------------------

REFUSALS = [
    pytest.param(["login", "add", STAFF[0], "--desk", "provider"], "a long enough password",
                 f"There is already a login {STAFF[0]} (on the provider desk): choose another name, or give it a new "
                 f"password with `tono login password {STAFF[0]}`.", id="name taken"),
    pytest.param(["login", "add", OFFICER[0], "--desk", "provider"], "a long enough password",
                 f"There is already a login {OFFICER[0]} (on the agency desk)", id="name taken on the other desk"),
    pytest.param(["login", "add", "aroha", "--desk", "agency", "--unit", "housing"], "a long enough password",
                 f"There is no unit 'housing' in the agreement: use one of {', '.join(UNITS)}.", id="unknown unit"),
    pytest.param(["login", "add", "aroha", "--desk", "agency"], "a long enough password",
                 f"An agency desk login belongs to one unit: add --unit with one of {', '.join(UNITS)}.",
                 id="agency login without a unit"),
    pytest.param(["login", "add", "aroha", "--desk", "provider", "--unit", "evaluation"], "a long enough password",
                 "A provider desk login belongs to no unit (units are the agency's): leave out --unit.",
                 id="provider login with a unit"),
    pytest.param(["login", "add", "aroha", "--desk", "provider"], "eleven char",
                 "The password is too short: use at least 12 characters (a few words make a good one); nothing was "
                 "changed.", id="short password"),
    pytest.param(["login", "add", "aroha", "--desk", "provider"], "",
                 "No password came on standard input: run this at a terminal, or give the password as one line on "
                 "standard input.", id="no password"),
    pytest.param(["login", "add", "Aroha Parata", "--desk", "provider"], "a long enough password",
                 "'Aroha Parata' cannot be a login: use 1 to 64 lower-case letters, digits, dots, hyphens, "
                 "underscores or @, starting with a letter or digit (e.g. mere.smith).", id="not a login name"),
    pytest.param(["login", "password", STAFF[0]], "too short",
                 "The password is too short: use at least 12 characters (a few words make a good one); nothing was "
                 "changed.", id="short new password"),
    pytest.param(["login", "disable", "nobody"], "", "There is no login nobody: `tono login list` shows them all.",
                 id="unknown login"),
]


@pytest.mark.parametrize(("args", "password", "sentence"), REFUSALS)
def test_a_refused_login_command_is_one_sentence_and_writes_nothing(live, args, password, sentence):
    before = _fingerprint(live / "tono.db")

    done = tono(live, *args, stdin=password + "\n" if password else "")

    assert one_sentence(done).startswith(sentence)
    _checkpointed(live / "tono.db")
    assert _fingerprint(live / "tono.db") == before


def test_two_different_passwords_at_the_terminal_are_refused_and_nothing_is_written(live):
    before = _fingerprint(live / "tono.db")

    done, _shown = tono_at_a_terminal(live, "login", "add", "aroha", "--desk", "provider",
                                      typed=["the first passphrase", "the other passphrase"])

    assert one_sentence(done) == "The two passwords differ; nothing was changed: run the command again."
    _checkpointed(live / "tono.db")
    assert _fingerprint(live / "tono.db") == before


def test_a_unit_in_the_agreement_but_not_yet_set_up_asks_for_tono_setup(tmp_path):
    succeeded(tono(tmp_path, "db", "upgrade"))

    done = tono(tmp_path, "login", "add", "aroha", "--desk", "agency", "--unit", "evaluation", stdin="long enough "
                "password\n")

    assert one_sentence(done) == ("The unit evaluation is in the agreement but not yet in this database: run "
                                  "`tono setup` first.")
    assert _rows(tmp_path, "SELECT count(*) FROM agency_officer") == [(0,)]


# ---- disable, enable, a new password -------------------------------------------------------------------------

@pytest.mark.parametrize(("desk", "who"), [("provider", STAFF), ("agency", OFFICER)])
async def test_a_disabled_login_is_refused_like_a_wrong_password_and_its_open_session_ends(desks, live, desk, who):
    async with desks.browser() as signed_in, desks.browser() as later:
        assert (await sign_in(signed_in, desk, *who)).status_code == 303
        assert (await signed_in.get(f"/{desk}/", headers=HTML)).status_code == 200

        succeeded(tono(live, "login", "disable", who[0]))
        open_session = await signed_in.get(f"/{desk}/", headers=HTML)
        disabled = await sign_in(later, desk, *who)
        wrong = await sign_in(later, desk, who[0], who[1] + "?")

        succeeded(tono(live, "login", "enable", who[0]))
        again = await sign_in(later, desk, *who)

    assert open_session.status_code == 303
    assert open_session.headers["location"].startswith(f"/{desk}/login")
    assert disabled.status_code == wrong.status_code == 401
    assert WRONG in disabled.text and WRONG in wrong.text
    assert again.status_code == 303


async def test_a_new_password_replaces_the_old_one(desks, live):
    succeeded(tono(live, "login", "password", STAFF[0], stdin="a brand new passphrase\n"))

    async with desks.browser() as browser:
        old = await sign_in(browser, "provider", *STAFF)
        new = await sign_in(browser, "provider", STAFF[0], "a brand new passphrase")

    assert old.status_code == 401
    assert new.status_code == 303


@pytest.mark.parametrize(("desk", "who"), [("provider", STAFF), ("agency", OFFICER)])
async def test_a_new_password_ends_every_session_signed_in_with_the_old_one_copied_cookies_too(desks, live, desk,
                                                                                               who):
    async with desks.browser() as first, desks.browser() as second:
        assert (await sign_in(first, desk, *who)).status_code == 303
        assert (await sign_in(second, desk, *who)).status_code == 303
        copied = first.cookies[f"tono_{desk}"]

        succeeded(tono(live, "login", "password", who[0], stdin="a brand new passphrase\n"))
        pages = [await first.get(f"/{desk}/", headers=HTML), await second.get(f"/{desk}/", headers=HTML)]
        async with desks.browser() as elsewhere:
            elsewhere.cookies.set(f"tono_{desk}", copied, domain="desk.test", path=f"/{desk}")
            pages.append(await elsewhere.get(f"/{desk}/", headers=HTML))
            new = await sign_in(elsewhere, desk, who[0], "a brand new passphrase")
            after = await elsewhere.get(f"/{desk}/", headers=HTML)

    assert [page.status_code for page in pages] == [303, 303, 303]
    assert all(page.headers["location"].startswith(f"/{desk}/login") for page in pages)
    assert new.status_code == 303 and after.status_code == 200


@pytest.mark.parametrize(("desk", "who"), [("provider", STAFF), ("agency", OFFICER)])
async def test_a_session_open_when_a_login_was_disabled_stays_ended_when_it_is_enabled_again(desks, live, desk, who):
    async with desks.browser() as signed_in:
        assert (await sign_in(signed_in, desk, *who)).status_code == 303

        succeeded(tono(live, "login", "disable", who[0]))
        succeeded(tono(live, "login", "enable", who[0]))
        page = await signed_in.get(f"/{desk}/", headers=HTML)

    assert page.status_code == 303
    assert page.headers["location"].startswith(f"/{desk}/login")


def test_login_list_shows_each_login_its_desk_unit_and_state_and_never_a_hash(live):
    succeeded(tono(live, "login", "disable", OFFICER[0]))

    listed = succeeded(tono(live, "login", "list"))

    rows = {line.split()[0]: line.split() for line in listed.splitlines()[1:]}
    assert rows[STAFF[0]][:4] == [STAFF[0], "provider", "-", "enabled"]
    assert rows[OFFICER[0]][:4] == [OFFICER[0], "agency", "evaluation", "disabled"]
    assert "Mere Smith" in listed
    hashes = [h for (h,) in _rows(live, "SELECT password_hash FROM provider_staff UNION "
                                        "SELECT password_hash FROM agency_officer")]
    assert hashes and "$argon2" not in listed
    for salt_and_digest in (h.split("$")[-2:] for h in hashes):
        assert not any(part in listed for part in salt_and_digest)


# ---- a server that was once a demo -----------------------------------------------------------------------------

async def test_remove_demo_disables_the_demo_logins_that_still_have_the_readmes_passwords(live):
    succeeded(tono(live, "seed-demo"))
    succeeded(tono(live, "login", "password", "kaimahi", stdin="kaimahi's real passphrase\n"))

    said = succeeded(tono(live, "login", "remove-demo"))

    states = dict(_rows(live, "SELECT login, active FROM provider_staff UNION "
                              "SELECT login, active FROM agency_officer"))
    assert [states[f"officer-{unit}"] for unit in UNITS] == [0] * len(UNITS)
    assert states["kaimahi"] == 1 and states[STAFF[0]] == 1 and states[OFFICER[0]] == 1
    assert "Left the demo login kaimahi (provider desk) enabled" in said
    app = Desks(live)
    try:
        async with app.browser() as browser:
            refused = await sign_in(browser, "agency", "officer-evaluation", "demo-evaluation-2026")
    finally:
        await app.close()
    assert refused.status_code == 401
