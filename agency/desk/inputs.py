"""What an officer may send, checked the same way for the desk's forms and its JSON API: the fields, their
lengths and kinds, and an answer that accounts for the unit's records. Every refusal is one sentence."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, model_validator

from agency.answering import Answer
from agency.models import AgencyRecord
from deskkit.inputs import Text, checked, where
from deskkit.problems import DeskProblem
from deskkit.text import CONTROL_CHARACTERS
from protocol.grounds import ITEM_GROUNDS, NCND_GROUNDS, ExtensionGround
from protocol.messages import FREE_TEXT, MAX_ITEMS, RECORD_TEXT, ROW_VALUE_TEXT, SHORT_TEXT

# An item that was found exists, so "does not exist" is never a ground for withholding it: say "not held".
OUTCOME_KINDS = ("decision", "advice", "report")
PARTICIPANT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,31}$"  # protocol.messages.IDENTIFIER, as the table allows


def wrong(sentence: str) -> DeskProblem:
    """Input the desk will not act on (422); the sentence says what to change."""
    return DeskProblem(422, sentence)


ShortText, FreeText, RecordText, OptionalText = Text(SHORT_TEXT), Text(FREE_TEXT), Text(RECORD_TEXT), \
    Text(FREE_TEXT, required=False)
RecordId = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]
Ground = Literal[ITEM_GROUNDS]  # type: ignore[valid-type]
# A field of a record a report brought, and a value for it (as report rows carry them: text, a number, nothing).
FieldKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
FieldValue = Annotated[str, StringConstraints(min_length=1, max_length=ROW_VALUE_TEXT)] | int | float | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Withheld(_Strict):
    record_id: RecordId
    ground: Ground = Field(description="A ground from the Privacy Act 2020, ss 49-53 (see WITHHOLDING_GROUNDS).")
    explanation: FreeText = Field(description="Why, in a sentence the family will read.")


class Corrected(_Strict):
    """A corrected record: its new text, or, for a record a report brought, its fields' new values (the
    provider then corrects its own row too)."""

    record_id: RecordId
    new_text: RecordText | None = None
    values: dict[FieldKey, FieldValue] | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _text_or_values(self) -> Corrected:
        if (self.new_text is None) == (self.values is None):
            raise ValueError("give the corrected text, or the corrected values of a record a report brought")
        return self


class NotCorrected(_Strict):
    record_id: RecordId
    reason: FreeText = Field(description="Why it is not corrected; the family may then ask for a statement.")


NcndGround = Literal[NCND_GROUNDS]  # type: ignore[valid-type]


class NeitherConfirmNorDeny(_Strict):
    ground: NcndGround = Field(description="A ground on which s 47 lets an agency neither confirm nor deny.")
    explanation: OptionalText = Field("", description="Anything more the family should read; it must not say "
                                                      "whether the unit holds anything.")


class AnswerIn(_Strict):
    """The unit's answer. For an access request every record the unit holds about the person is either
    released or withheld; for a correction, the records the correction is about are corrected or not."""

    release: list[RecordId] = Field(default_factory=list, max_length=MAX_ITEMS)
    withhold: list[Withheld] = Field(default_factory=list, max_length=MAX_ITEMS)
    not_held: list[FreeText] = Field(default_factory=list, max_length=MAX_ITEMS,
                                     description="What was asked for that the unit does not hold.")
    corrected: list[Corrected] = Field(default_factory=list, max_length=MAX_ITEMS)
    not_corrected: list[NotCorrected] = Field(default_factory=list, max_length=MAX_ITEMS)
    note: OptionalText = ""
    neither_confirm_nor_deny: NeitherConfirmNorDeny | None = Field(
        None, description="An access request: the unit will not say whether it holds anything (s 47). The whole "
                          "answer: nothing is released, withheld or said to be not held beside it.")
    not_ours: bool = Field(False, description="A correction request about information your unit does not hold: "
                                              "the whole answer.")


class ClarifyIn(_Strict):
    question: FreeText = Field(description="The question the family is asked, in plain words.")


class ExtendIn(_Strict):
    ground: ExtensionGround = Field(description="large_quantity, consultations or complexity (s 48; s 65).")
    new_due: date = Field(description="The new due date, a working day after the original one.")
    reasons: FreeText = Field(description="The reasons, which the family is told.")


class TransferIn(_Strict):
    to_agency: ShortText = Field(description="The agency that holds the information.")
    reason: FreeText = Field(description="Why it goes there; the family is told.")


class Versions(_Strict):
    adult: FreeText = Field(description="For a parent or caregiver.")
    child: FreeText = Field(description="For a young person: short, plain words.")


class Summaries(_Strict):
    en: Versions = Field(description="In English.")
    mi: Versions = Field(description="In te reo Māori.")


class OutcomeIn(_Strict):
    kind: Literal[OUTCOME_KINDS]  # type: ignore[valid-type]
    reports: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        max_length=MAX_ITEMS, description="The refs of the reports your unit received that informed it (at least "
                                          "one; see GET /agency/api/reports).")
    participant_id: Annotated[str, StringConstraints(pattern=PARTICIPANT_PATTERN)] | None = Field(
        None, description="One participant a named report carried, when it is about them only; leave out (null) "
                          "for everyone the reports carried.")
    template: str | None = Field(None, max_length=64, description="The id of a template (GET /agency/api/outcomes/"
                                                                  "templates), or leave out and give `summaries`.")
    summaries: Summaries | None = Field(None, description="The summary in four versions, all required, when no "
                                                          "template is chosen: families read it.")


class OwnRecordIn(_Strict):
    """A record from the unit's own systems, for the unit's own person."""

    participant_id: Annotated[str, StringConstraints(pattern=PARTICIPANT_PATTERN)] = Field(
        description="The participant the record is about, e.g. BFF-P-1001.")
    title: ShortText = Field(description="What the record is, in a few words.")
    body: RecordText = Field(description="The record's text, as the family would read it if it is released.")
    record_date: date = Field(description="The day the record is about, as YYYY-MM-DD.")


OWN_RECORD_LABELS = {"participant_id": "The participant id", "title": "The title", "body": "The text",
                     "record_date": "The record date"}


# ---- one sentence from pydantic's errors --------------------------------------------------------------------

_PROBLEMS = {
    "missing": "is missing", "string_too_short": "is empty", "string_type": "must be text",
    "int_type": "must be a whole number", "list_type": "must be a list", "date_from_datetime_parsing":
    "must be a date written as YYYY-MM-DD", "date_parsing": "must be a date written as YYYY-MM-DD",
    "date_type": "must be a date written as YYYY-MM-DD", "extra_forbidden": "is not a field this takes",
    "string_pattern_mismatch": "must be a participant id such as BFF-P-1001", "model_type": "must be an object",
    "model_attributes_type": "must be an object", "dict_type": "must be an object",
"greater_than_equal": "must be 1 or more",
    "less_than_equal": "is too large to be an id",
    CONTROL_CHARACTERS: "has a control character (such as NUL) that cannot be kept: remove it and try again",
}


def _where(error: dict, labels: dict[str, str]) -> str:
    path = ".".join(where(error))
    return labels.get(path) or (f"'{path}'" if path else "The request body")


def explain(errors: list[dict], labels: dict[str, str] | None = None) -> str:
    """The first problem as one sentence, e.g. "'withhold.0.ground' must be one of: safety, harassment."."""
    error = errors[0]
    kind, context = error.get("type", ""), error.get("ctx") or {}
    if kind in ("string_too_long", "too_long"):
        most = context.get("max_length")
        problem = f"is too long: at most {most} {'characters' if kind == 'string_too_long' else 'entries'}"
    elif kind in ("literal_error", "enum"):
        problem = f"must be one of: {context.get('expected', '').replace(chr(39), '')}"
    else:
        problem = _PROBLEMS.get(kind, str(error.get("msg", "is not right")).lower())
    if kind == "json_invalid":
        return "The request body is not valid JSON."
    field = _where(error, labels or {})
    return f"{field[0].upper()}{field[1:]} {problem}."


def parse(model: type[BaseModel], data: dict, labels: dict[str, str] | None = None):
    """The model, or DeskProblem(422) with the first problem; `labels` name form fields as the page shows them."""
    return checked(model, data, lambda errors: explain(list(errors), labels))


# ---- an answer the unit can send ----------------------------------------------------------------------------


def to_answer(given: AnswerIn, records: list[AgencyRecord], kind: str) -> Answer:
    """The Answer agency.answering sends, once it accounts for the unit's records as the request needs."""
    titles = {r.id: r.title for r in records}
    if kind == "access" and (given.corrected or given.not_corrected):
        raise wrong("This is an access request: release or withhold records; corrections answer correction "
                         "requests.")
    chosen = [*given.release, *(w.record_id for w in given.withhold), *(c.record_id for c in given.corrected),
              *(n.record_id for n in given.not_corrected)]
    if unknown := sorted({i for i in chosen if i not in titles}):
        raise wrong(f"Record {', '.join(map(str, unknown))} is not one of your unit's records about this "
                         "person.")
    if twice := sorted(i for i, n in Counter(chosen).items() if n > 1):
        raise wrong(f"Choose one thing to do with '{titles[twice[0]]}': it was given more than one answer.")
    alone = given.neither_confirm_nor_deny is not None or given.not_ours
    if alone and (chosen or given.not_held):
        raise wrong("Neither confirm nor deny, or not ours, is the whole answer: choose nothing else for the records "
                    "and say nothing about what is not held.")
    if given.neither_confirm_nor_deny is not None and kind != "access":
        raise wrong("Neither confirm nor deny answers an access request; a correction is corrected or not.")
    if given.not_ours and kind != "correction":
        raise wrong("Not ours answers a correction request; for an access request, say what your unit does not "
                    "hold.")
    if not alone and kind == "access" and (undecided := [r for r in records if r.id not in chosen]):
        raise wrong(f"Release or withhold every record: nothing was chosen for '{undecided[0].title}'.")
    if not alone and not chosen and not given.not_held:
        raise wrong("Release, withhold or correct at least one record, or say what your unit does not hold.")
    ncnd = given.neither_confirm_nor_deny
    return Answer(release=list(given.release),
                  withhold={w.record_id: (w.ground, w.explanation) for w in given.withhold},
                  not_held=list(given.not_held),
                  corrected={c.record_id: c.new_text for c in given.corrected if c.values is None},
                  corrected_values={c.record_id: dict(c.values) for c in given.corrected if c.values is not None},
                  not_corrected={n.record_id: n.reason for n in given.not_corrected}, note=given.note,
                  neither_confirm_nor_deny=(ncnd.ground, ncnd.explanation) if ncnd else None,
                  not_ours=given.not_ours)


def _field(form, key: str) -> str:
    value = form.get(key, "")
    return value if isinstance(value, str) else ""


DECISIONS = {"access": ("release", "withhold"), "correction": ("keep", "correct", "not_correct")}


def _changed_values(form, record: AgencyRecord) -> dict:
    """The fields of a report-derived record whose value the form changed; a number stays a number."""
    changed = {}
    for name, old in record.values.items():
        key = f"value-{record.id}-{name}"
        if key not in form:
            continue
        typed = _field(form, key).strip()
        was = "" if old is None else str(old)
        if typed == was:
            continue
        if isinstance(old, int | float) and not isinstance(old, bool):
            try:
                changed[name] = int(typed) if typed.lstrip("-").isdigit() else float(typed)
                continue
            except ValueError:
                raise wrong(f"{name.replace('_', ' ').capitalize()} of '{record.title}' must be a number.") from None
        changed[name] = typed or None
    return changed


def answer_from_form(form, records: list[AgencyRecord], kind: str) -> AnswerIn:
    """The answer form (one decision-ID radio per record, with its ground, explanation, new text or reason)
    as an AnswerIn; field problems are named by the record's title."""
    titles = {str(r.id): r.title for r in records}
    by_id = {str(r.id): r for r in records}
    if stray := [k.removeprefix("decision-") for k in form if k.startswith("decision-")
                 and k.removeprefix("decision-") not in titles]:
        raise wrong(f"Record {stray[0][:20]} is not one of your unit's records about this person.")
    data: dict = {"release": [], "withhold": [], "corrected": [], "not_corrected": [], "note": _field(form, "note"),
                  "not_held": [line for line in _field(form, "not_held").splitlines() if line.strip()]}
    if _field(form, "whole") == "neither_confirm_nor_deny":  # the whole answer, whatever else the form holds
        return parse(AnswerIn, {"neither_confirm_nor_deny": {"ground": _field(form, "ncnd_ground"),
                                                             "explanation": _field(form, "ncnd_explanation")},
                                "note": data["note"]},
                     {"neither_confirm_nor_deny.ground": "The ground for neither confirming nor denying",
                      "neither_confirm_nor_deny.explanation": "The explanation", "note": "The note"})
    if _field(form, "whole") == "not_ours":
        return parse(AnswerIn, {"not_ours": True, "note": data["note"]}, {"note": "The note"})
    labels = {f"not_held.{n}": f"Line {n + 1} of what your unit does not hold" for n in range(len(data["not_held"]))}
    labels |= {"not_held": "The list of what your unit does not hold", "note": "The note"}
    for record_id, title in titles.items():
        choice = _field(form, f"decision-{record_id}")
        if choice and choice not in DECISIONS[kind]:
            raise wrong(f"Choose {' or '.join(DECISIONS[kind])} for '{title}'.")
        if choice == "release":
            data["release"].append(int(record_id))
        elif choice == "withhold":
            if not _field(form, f"ground-{record_id}"):
                raise wrong(f"Choose the ground for withholding '{title}'.")
            labels |= {f"withhold.{len(data['withhold'])}.{k}": f"The {k} for withholding '{title}'"
                       for k in ("ground", "explanation")}
            data["withhold"].append({"record_id": int(record_id), "ground": _field(form, f"ground-{record_id}"),
                                     "explanation": _field(form, f"explanation-{record_id}")})
        elif choice == "correct" and by_id[record_id].report_id is not None and by_id[record_id].values:
            changed = _changed_values(form, by_id[record_id])
            if not changed:
                raise wrong(f"Change at least one value of '{title}' to correct it, or leave it as it is.")
            labels[f"corrected.{len(data['corrected'])}.values"] = f"The corrected values of '{title}'"
            data["corrected"].append({"record_id": int(record_id), "values": changed})
        elif choice == "correct":
            labels[f"corrected.{len(data['corrected'])}.new_text"] = f"The corrected text of '{title}'"
            data["corrected"].append({"record_id": int(record_id), "new_text": _field(form, f"new_text-{record_id}")})
        elif choice == "not_correct":
            labels[f"not_corrected.{len(data['not_corrected'])}.reason"] = f"The reason for not correcting '{title}'"
            data["not_corrected"].append({"record_id": int(record_id), "reason": _field(form, f"reason-{record_id}")})
    return parse(AnswerIn, data, labels)

