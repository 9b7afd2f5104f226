"""`tono agreement check` keeps names and study numbers apart: a unit that holds both kinds says, role by role,
what each role sees, and no role sees both (else one person there could match a name to a study number, and a
request would hand them both); a flow lands only in a unit that holds its kind. `units_may_link` lifts nothing."""

from __future__ import annotations

import copy

import pytest
import yaml

from protocol.agreement import DEFAULT_AGREEMENT_PATH, load_agreement
from tests.protocol.test_agreement import assert_reported, problems_in, write


@pytest.fixture
def data() -> dict:
    """A fresh copy of the bundled agreement's data, to change one thing in."""
    return copy.deepcopy(yaml.safe_load(DEFAULT_AGREEMENT_PATH.read_text(encoding="utf-8")))


def _evaluation(data: dict) -> dict:
    return next(unit for unit in data["units"] if unit["id"] == "evaluation")


def test_the_bundled_evaluators_see_only_study_numbers_and_the_lead_only_names():
    evaluation = load_agreement().unit("evaluation")

    assert evaluation.sight("evaluator") == frozenset({True})
    assert evaluation.sight("evaluation-lead") == frozenset({False})
    assert evaluation.sight("") == frozenset({False})  # a login made before roles sees named parts only


@pytest.mark.parametrize("may_link", [False, True])
def test_a_role_that_would_see_names_and_study_numbers_is_refused_even_when_units_may_link(tmp_path, data, may_link):
    _evaluation(data)["seen_by"][0]["sees"] = ["survey-answers", "consent"]
    data.setdefault("reporting", {})["units_may_link"] = may_link
    path = write(tmp_path, data)

    assert_reported(problems_in(path), path, "units[1].seen_by[0].sees", "'evaluator'", "both named records",
                    "study number")


def test_a_role_of_a_unit_holding_both_kinds_must_say_what_it_sees(tmp_path, data):
    del _evaluation(data)["seen_by"][1]["sees"]
    path = write(tmp_path, data)

    error = problems_in(path)
    assert_reported(error, path, "units[1].seen_by[1].sees", "each role must say which it sees")
    assert_reported(error, path, "units[1].seen_by", "no role sees the unit's named records")


def test_a_role_that_sees_a_holding_the_unit_does_not_have_is_reported(tmp_path, data):
    _evaluation(data)["seen_by"][0]["sees"] = ["survey-answer"]
    path = write(tmp_path, data)

    assert_reported(problems_in(path), path, "units[1].seen_by[0].sees[0]", "'survey-answer'")


def test_a_study_numbered_flow_to_a_unit_that_holds_nothing_under_study_numbers_is_reported(tmp_path, data):
    evaluation = _evaluation(data)
    evaluation["holds"] = [kind for kind in evaluation["holds"] if kind["identifiable"]]
    for role in evaluation["seen_by"]:
        role.pop("sees", None)
    path = write(tmp_path, data)

    assert_reported(problems_in(path), path, "units[1].holds", "'survey-answers'", "identifiable: false")


def test_a_named_request_goes_only_to_units_that_hold_names(tmp_path, data):
    evaluation = _evaluation(data)
    evaluation["holds"] = [kind for kind in evaluation["holds"] if not kind["identifiable"]]
    data["flows"] = [flow for flow in data["flows"] if not (flow["to"] == "evaluation" and flow["identifiable"])]
    for role in evaluation["seen_by"]:
        role.pop("sees", None)
    agreement = load_agreement(write(tmp_path, data, "valid.yaml"))

    assert [unit.id for unit in agreement.units_in_scope("access")] == ["service-reporting", "evaluation"]
    assert [unit.id for unit in agreement.units_for_named_requests("access")] == ["service-reporting"]
