import ast
import base64
import copy
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from protocol import agreement as agreement_module
from protocol import agreement_checks, texts
from protocol.agreement import (
    DEFAULT_AGREEMENT_PATH,
    Agreement,
    AgreementError,
    check_agreement,
    load_agreement,
)

FOUR_VERSIONS = [("en", "adult"), ("en", "child"), ("mi", "adult"), ("mi", "child")]


@pytest.fixture(scope="module")
def bundled() -> dict:
    return yaml.safe_load(DEFAULT_AGREEMENT_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def data(bundled) -> dict:
    """A fresh copy of the bundled agreement's data, to break one thing in."""
    return copy.deepcopy(bundled)


def write(tmp_path: Path, data: dict, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def problems_in(path: Path) -> AgreementError:
    with pytest.raises(AgreementError) as caught:
        load_agreement(path)
    return caught.value


def assert_reported(error: AgreementError, path: Path, field_path: str, *words: str) -> None:
    """The problem is in .errors under its exact field path, and one line of the message names both the
    file and the field path."""
    messages = [message for where, message in error.errors if where == field_path]
    assert messages, f"no problem reported at {field_path}: {error.errors}"
    for word in words:
        assert any(word in message for message in messages), (word, messages)
    assert any(line.startswith(f"{path}: {field_path}: ") for line in str(error).splitlines()), str(error)


# ---- The bundled agreement ----

def test_the_bundled_best_foot_forward_agreement_is_valid():
    agreement = load_agreement()

    assert check_agreement(DEFAULT_AGREEMENT_PATH) == []
    assert check_agreement() == []
    assert agreement.programme.id == "best-foot-forward"
    assert agreement.programme.name == "Best foot forward"
    assert agreement.programme.languages == ["en", "mi"]
    assert agreement.programme.registers == ["adult", "child"]


def test_the_bundled_agreement_names_the_provider_and_the_agency_with_demo_keys():
    agreement = load_agreement()

    assert agreement.provider.id == "ccss"
    assert agreement.provider.name == "City Centre Social Services"
    assert agreement.agency.id == "agency"
    assert agreement.party("agency") is agreement.agency
    assert agreement.provider.public_key == agreement.agency.public_key == "demo"
    assert agreement.provider.public_key_bytes is None


def test_the_bundled_agreement_has_an_evaluation_unit_and_a_service_reporting_unit_each_fed_by_flows():
    agreement = load_agreement()

    assert {unit.id for unit in agreement.units} >= {"evaluation", "service-reporting"}
    assert {flow.to_unit for flow in agreement.flows} == {unit.id for unit in agreement.units}
    assert agreement.service_levels.provider_relays_within_working_days == 2
    assert agreement.service_levels.agency_acknowledges_within_working_days == 1


def test_evaluation_receives_survey_answers_without_names_but_consent_forms_with_them():
    agreement = load_agreement()

    identifiable = {flow.id: flow.identifiable for flow in agreement.flows_to("evaluation")}

    assert identifiable == {"evaluation-consent": True, "survey-answers": False}


def test_the_te_reo_in_the_bundled_agreement_is_marked_as_a_draft_until_a_translator_checks_it():
    agreement = load_agreement()

    assert agreement.translation_status == "draft"
    assert "DRAFT" in DEFAULT_AGREEMENT_PATH.read_text(encoding="utf-8").split("translation_status:")[0]


# ---- Looking things up ----

@pytest.mark.parametrize(("lang", "register"), FOUR_VERSIONS)
def test_a_sentence_is_looked_up_in_each_of_the_four_versions(bundled, lang, register):
    agreement = load_agreement()
    purpose = agreement.unit("evaluation").purpose

    text = agreement.text(purpose, lang, register)

    written = next(unit for unit in bundled["units"] if unit["id"] == "evaluation")["purpose"]
    assert text == written[lang][register].strip()
    assert text == purpose.variant(lang, register)


def test_the_four_versions_of_a_sentence_are_four_different_sentences():
    agreement = load_agreement()
    purpose = agreement.unit("service-reporting").purpose

    versions = {agreement.text(purpose, lang, register) for lang, register in FOUR_VERSIONS}

    assert len(versions) == 4


def test_asking_for_a_language_or_register_that_does_not_exist_is_an_error_not_a_fallback():
    agreement = load_agreement()
    purpose = agreement.unit("evaluation").purpose

    with pytest.raises(ValueError, match="'fr'"):
        agreement.text(purpose, "fr", "adult")
    with pytest.raises(ValueError, match="'teen'"):
        agreement.text(purpose, "en", "teen")


def test_a_language_the_programme_does_not_offer_is_not_shown_even_though_the_text_has_it(tmp_path, data):
    data["programme"]["languages"] = ["en"]
    agreement = load_agreement(write(tmp_path, data))
    purpose = agreement.unit("evaluation").purpose

    with pytest.raises(ValueError, match="'mi'"):
        agreement.text(purpose, "mi", "adult")
    assert agreement.text(purpose, "en", "adult")


def test_access_and_correction_requests_fan_out_to_both_units_in_agreement_order():
    agreement = load_agreement()

    for kind in ("access", "correction"):
        assert [unit.id for unit in agreement.units_in_scope(kind)] == ["service-reporting", "evaluation"]


def test_a_unit_in_scope_only_for_access_gets_no_correction_requests(tmp_path, data):
    data["units"][1]["in_scope_for"] = ["access"]
    agreement = load_agreement(write(tmp_path, data))

    assert [unit.id for unit in agreement.units_in_scope("access")] == ["service-reporting", "evaluation"]
    assert [unit.id for unit in agreement.units_in_scope("correction")] == ["service-reporting"]


def test_an_unknown_request_kind_unit_or_party_is_an_error():
    agreement = load_agreement()

    with pytest.raises(ValueError, match="'complaint'"):
        agreement.units_in_scope("complaint")
    with pytest.raises(KeyError, match="'finance'"):
        agreement.unit("finance")
    with pytest.raises(KeyError, match="'ird'"):
        agreement.party("ird")


def test_the_bundled_agreement_gives_a_short_and_a_full_name_in_each_language_for_the_parties_and_the_programme():
    agreement = load_agreement()

    assert agreement.provider.names.in_language("en").short == "CCSS"
    assert agreement.provider.names.in_language("mi").full == "City Centre Social Services"
    assert agreement.agency.names.in_language("mi").short == "te Manatū"
    assert agreement.agency.names.in_language("en").full == "Ministry for Whānau Wellbeing"
    assert agreement.programme.names.in_language("mi").short == "Best foot forward"


# ---- Each kind of problem, reported with the file and the exact field path ----

def test_a_missing_child_version_in_te_reo_is_reported_at_its_field_path(tmp_path, data):
    del data["units"][1]["purpose"]["mi"]["child"]
    path = write(tmp_path, data)

    error = problems_in(path)

    assert error.errors == [("units[1].purpose.mi.child", error.errors[0][1])]
    assert_reported(error, path, "units[1].purpose.mi.child", "is missing", "mi.child")


def test_a_name_missing_in_te_reo_is_reported_at_its_field_path_saying_what_a_name_needs(tmp_path, data):
    del data["parties"]["ccss"]["names"]["mi"]
    del data["programme"]["names"]["en"]["full"]
    path = write(tmp_path, data)

    error = problems_in(path)

    assert_reported(error, path, "parties.ccss.names.mi", "is missing", "short", "full", "en", "mi")
    assert_reported(error, path, "programme.names.en.full", "is missing", "short and a full name")
    assert len(check_agreement(path)) == 2


def test_a_party_named_the_old_way_with_one_name_is_told_to_write_its_names(tmp_path, data):
    data["parties"]["agency"]["name"] = data["parties"]["agency"].pop("names")["en"]["full"]
    path = write(tmp_path, data)

    error = problems_in(path)

    assert_reported(error, path, "parties.agency.name", "names:")
    assert_reported(error, path, "parties.agency.names", "is missing")


def test_a_name_written_as_one_line_instead_of_names_in_each_language_is_reported(tmp_path, data):
    data["programme"]["names"] = "Best foot forward"
    path = write(tmp_path, data)

    assert_reported(problems_in(path), path, "programme.names", "should be names", "en: and mi:")


def test_an_empty_version_of_a_sentence_is_reported(tmp_path, data):
    data["flows"][0]["why"]["en"]["child"] = "   "
    path = write(tmp_path, data)

    assert_reported(problems_in(path), path, "flows[0].why.en.child", "empty")


def test_a_flow_to_a_unit_that_does_not_exist_is_reported(tmp_path, data):
    data["flows"][3]["to"] = "evalution"
    path = write(tmp_path, data)

    assert_reported(problems_in(path), path, "flows[3].to", "'evalution'", "evaluation")


def test_a_flow_from_a_party_that_does_not_exist_is_reported(tmp_path, data):
    data["flows"][0]["from"] = "cccs"
    path = write(tmp_path, data)

    assert_reported(problems_in(path), path, "flows[0].from", "'cccs'")


def test_a_unit_that_no_flow_reaches_is_reported(tmp_path, data):
    data["units"].append({**copy.deepcopy(data["units"][1]), "id": "finance"})
    path = write(tmp_path, data)

    assert_reported(problems_in(path), path, "units[2]", "'finance'")


def test_a_repeated_id_is_reported_where_it_is_repeated(tmp_path, data):
    data["flows"][4]["id"] = "enrolment"
    data["units"][0]["holds"][2]["id"] = "attendance"
    path = write(tmp_path, data)

    error = problems_in(path)

    assert_reported(error, path, "flows[4].id", "flows[0]")
    assert_reported(error, path, "units[0].holds[2].id", "units[0].holds[1]")


@pytest.mark.parametrize("key", [
    "not base64 at all!",
    "AAAA",  # base64, but 3 bytes
    base64.b64encode(bytes(33)).decode(),  # one byte too many
    base64.b64encode(bytes(32)).decode()[:-1],  # 32 bytes with its padding cut off
])
def test_a_public_key_that_is_not_a_base64_ed25519_key_is_reported(tmp_path, data, key):
    data["parties"]["agency"]["public_key"] = key
    path = write(tmp_path, data)

    assert_reported(problems_in(path), path, "parties.agency.public_key", "Ed25519", "44 characters")


def test_a_base64_ed25519_public_key_is_accepted_and_decoded(tmp_path, data):
    raw = bytes(range(32))
    data["parties"]["ccss"]["public_key"] = base64.b64encode(raw).decode()

    agreement = load_agreement(write(tmp_path, data))

    assert len(agreement.party("ccss").public_key) == 44
    assert agreement.party("ccss").public_key_bytes == raw


def test_a_misspelt_field_is_reported_under_its_misspelt_name(tmp_path, data):
    data["units"][0]["purpos"] = data["units"][0].pop("purpose")
    path = write(tmp_path, data)

    error = problems_in(path)

    assert_reported(error, path, "units[0].purpos", "misspelt")
    assert_reported(error, path, "units[0].purpose", "missing")


def test_wrong_types_are_reported_rather_than_quietly_converted(tmp_path, data):
    data["units"][0]["holds"][0]["identifiable"] = "yes"
    data["service_levels"]["provider_relays_within_working_days"] = "2"
    data["units"][0]["name"] = "Reporting"
    path = write(tmp_path, data)

    error = problems_in(path)

    assert_reported(error, path, "units[0].holds[0].identifiable", "true or false")
    assert_reported(error, path, "service_levels.provider_relays_within_working_days", "integer")
    assert_reported(error, path, "units[0].name", "four versions")


def test_the_translation_status_is_draft_or_checked_and_nothing_else(tmp_path, data):
    data["translation_status"] = "done"
    path = write(tmp_path, data)

    assert_reported(problems_in(path), path, "translation_status", "'draft' or 'checked'")


def test_a_common_word_without_its_macron_is_reported(tmp_path, data):
    data["units"][1]["purpose"]["mi"]["adult"] = "Ka āwhina tēnei rōpū i ngā whanau."
    path = write(tmp_path, data)

    assert_reported(problems_in(path), path, "units[1].purpose.mi.adult", "whānau")


def test_a_yaml_syntax_error_is_reported_with_its_line_number(tmp_path):
    lines = DEFAULT_AGREEMENT_PATH.read_text(encoding="utf-8").splitlines()
    broken_at = lines.index("  id: best-foot-forward")
    lines[broken_at] = "  id: best-foot: forward"
    path = tmp_path / "broken.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")

    error = problems_in(path)

    assert len(error.errors) == 1
    assert str(error).startswith(f"{path}: line {broken_at + 1}, column ")
    assert "not valid YAML" in str(error)


def test_a_key_written_twice_is_reported_instead_of_the_last_one_silently_winning(tmp_path):
    source = DEFAULT_AGREEMENT_PATH.read_text(encoding="utf-8")
    path = tmp_path / "twice.yaml"
    path.write_text(source + "translation_status: checked\n", encoding="utf-8")

    error = problems_in(path)

    assert f"line {source.count(chr(10)) + 1}" in str(error)
    assert "'translation_status' is written twice" in str(error)


def test_a_missing_file_is_reported_with_its_name(tmp_path):
    path = tmp_path / "no-such-agreement.yaml"

    error = problems_in(path)

    assert error.errors == [("", "there is no such file")]
    assert str(error) == f"{path}: there is no such file"


@pytest.mark.parametrize(("source", "said"), [("", "is empty"), ("- a list\n", "not a list")])
def test_a_file_that_is_not_a_mapping_of_fields_is_reported(tmp_path, source, said):
    path = tmp_path / "odd.yaml"
    path.write_text(source, encoding="utf-8")

    assert said in str(problems_in(path))


def test_check_agreement_gives_one_line_per_problem_each_naming_the_file_and_field(tmp_path, data):
    del data["units"][0]["purpose"]["en"]["child"]
    data["flows"][1]["identifiable"] = "no"
    path = write(tmp_path, data, "two-problems.yaml")

    lines = check_agreement(path)

    assert lines == [
        f"{path}: units[0].purpose.en.child: is missing: every sentence a family may read needs "
        "en.adult, en.child, mi.adult, mi.child",
        f"{path}: flows[1].identifiable: should be true or false, not 'no'",
    ]


def test_an_agreement_built_in_code_is_checked_as_strictly_as_one_loaded_from_a_file(data):
    data["flows"][0]["to"] = "nowhere"

    with pytest.raises(ValidationError, match=r"flows\[0\]\.to"):
        Agreement.model_validate(data)


# ---- The contract stays pure ----

@pytest.mark.parametrize("module", [agreement_module, agreement_checks, texts])
def test_the_agreement_modules_import_only_the_standard_library_pydantic_and_yaml(module):
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}

    allowed = set(sys.stdlib_module_names) | {"__future__", "pydantic", "pydantic_core", "yaml", "protocol"}
    assert {name.split(".")[0] for name in imported} <= allowed
