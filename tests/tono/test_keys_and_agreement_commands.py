"""`tono keys generate`, the demo's own keys, and `tono agreement check` as a person runs them."""

from __future__ import annotations

import stat

import pytest
import yaml

from protocol.agreement import DEFAULT_AGREEMENT_PATH, load_agreement
from protocol.signing import public_key_to_b64
from tono.cli import main
from tono.keys import SigningKeyError, load_keys


def test_keys_generate_writes_a_private_key_only_its_owner_can_read(tmp_path, capsys):
    assert main(["keys", "generate", "ccss", "--dir", str(tmp_path)]) == 0

    key_file = tmp_path / "ccss.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "parties.ccss.public_key" in capsys.readouterr().out


def test_keys_generate_refuses_to_overwrite_a_key(tmp_path, capsys):
    main(["keys", "generate", "ccss", "--dir", str(tmp_path)])

    assert main(["keys", "generate", "ccss", "--dir", str(tmp_path)]) == 2

    assert "already exists" in capsys.readouterr().err


def test_the_demo_generates_its_keys_on_first_run_and_reuses_them(tmp_path):
    agreement = load_agreement()

    first_ring, first_private = load_keys(agreement, tmp_path)
    second_ring, _ = load_keys(agreement, tmp_path)

    assert set(first_private) == set(agreement.parties)
    assert all(public_key_to_b64(first_ring[p]) == public_key_to_b64(second_ring[p]) for p in agreement.parties)


def _agreement_with_keys(tmp_path, keys: dict[str, str]):
    data = yaml.safe_load(DEFAULT_AGREEMENT_PATH.read_text(encoding="utf-8"))
    for party, key in keys.items():
        data["parties"][party]["public_key"] = key
    path = tmp_path / "agreement.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_agreement(path)


def test_a_private_key_that_does_not_match_the_agreement_is_refused(tmp_path, capsys):
    main(["keys", "generate", "ccss", "--dir", str(tmp_path / "other")])
    other_public = capsys.readouterr().out.rsplit(": ", 1)[1].strip()
    main(["keys", "generate", "ccss", "--dir", str(tmp_path / "mine")])
    agreement = _agreement_with_keys(tmp_path, {"ccss": other_public})

    with pytest.raises(SigningKeyError, match="does not match"):
        load_keys(agreement, tmp_path / "mine")


def test_agreement_check_passes_the_bundled_agreement(capsys):
    assert main(["agreement", "check"]) == 0

    assert "is valid" in capsys.readouterr().out


def test_agreement_check_exits_1_naming_the_file_and_field(tmp_path, capsys):
    data = yaml.safe_load(DEFAULT_AGREEMENT_PATH.read_text(encoding="utf-8"))
    del data["units"][0]["purpose"]["mi"]["child"]
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    assert main(["agreement", "check", str(broken)]) == 1

    err = capsys.readouterr().err
    assert "broken.yaml" in err
    assert "units[0].purpose.mi.child" in err


def test_agreement_check_says_which_name_is_missing_and_what_a_name_needs(tmp_path, capsys):
    data = yaml.safe_load(DEFAULT_AGREEMENT_PATH.read_text(encoding="utf-8"))
    del data["parties"]["agency"]["names"]["mi"]["short"]
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    assert main(["agreement", "check", str(broken)]) == 1

    err = capsys.readouterr().err
    assert f"{broken}: parties.agency.names.mi.short: is missing: " in err
    assert "a short and a full name in each language" in err


@pytest.fixture
def demo_database(tmp_path, monkeypatch, capsys):
    """TONO_DATABASE_URL names a migrated database with the demo loaded (its output already read)."""
    import asyncio

    from tono import migrate
    from tono.demo import seed_demo
    from tono.settings import load_settings

    url = f"sqlite+aiosqlite:///{tmp_path / 'tono.db'}"
    monkeypatch.setenv("TONO_DATABASE_URL", url)
    migrate.upgrade(url)
    asyncio.run(seed_demo(load_settings(), load_agreement()))
    capsys.readouterr()


def test_enrol_prints_a_one_time_deep_link_and_writes_a_qr_code(demo_database, tmp_path, capsys):

    assert main(["enrol", "P-0001", "--bot", "TonoDemoBot", "--qr", str(tmp_path / "link.png")]) == 0

    out = capsys.readouterr().out
    code = out.split("https://t.me/TonoDemoBot?start=")[1].split()[0]
    assert 32 <= len(code) <= 64
    assert set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    assert (tmp_path / "link.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["enrol", "P-9999", "--bot", "TonoDemoBot"]) == 2
    assert "There is no person 'P-9999'" in capsys.readouterr().err


def test_enrol_takes_the_bots_username_with_or_without_its_at_sign(demo_database, capsys):

    assert main(["enrol", "P-0001", "--bot", "@TonoDemoBot"]) == 0

    assert "https://t.me/TonoDemoBot?start=" in capsys.readouterr().out
