"""The programme agreement: what the provider and the agency agreed to share, when, how and why.

One YAML file per programme (agreements/best_foot_forward.yaml is the worked example). Tono checks it
at start-up, and the explanations families read about their information come from it.

The rules, in plain words:

- Names. The programme and each party have a short and a full name in English and in te reo Māori.
  The sentences a family reads take these names from here, never write them in, so another
  programme, provider or agency is another agreement file, not new sentences.
- Parties. Exactly one provider and one agency, each listed under its own id, with its names, a
  contact and a public key for checking its signed messages ('demo' means the demo makes one on first run and keeps
  it outside the repository).
- Units. The parts of the agency, each with its own purpose, the kinds of record it holds, the roles in
  it that see them, and the kinds of request (access, correction) it answers.
- Flows. Each flow says what goes from a party to a unit, when, why, and whether it names people.
  Every flow goes to a unit in the agreement, and every unit receives at least one flow.
- Service levels. How many working days the provider has to relay a request and the agency to
  acknowledge it, and how long before a due date officers are reminded.
- Every sentence a family may read is written in English and te reo Māori, adult and child
  (see protocol.texts); `translation_status` says whether a translator has checked the te reo.
- Each id is used once in its list; a misspelt or unknown field is an error, never ignored.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from protocol import agreement_checks as checks
from protocol import flow_checks
from protocol.agreement_checks import DEMO_KEY, AgreementError
from protocol.programme_data import (
    Condition,
    Consent,
    FieldName,
    HoldingField,
    Reporting,
    Schedule,
    generalisation_tables,
)
from protocol.texts import STRICT, Language, Name, Names, Register, Text, TranslationStatus

__all__ = ["DEFAULT_AGREEMENT_PATH", "DEMO_KEY", "REQUEST_KINDS", "Agreement", "AgreementError", "Contact",
           "Flow", "Holding", "HoldingField", "Name", "Names", "Party", "Programme", "RecordKind", "Role",
           "ServiceLevels", "Text", "Unit",
           "check_agreement", "load_agreement"]

DEFAULT_AGREEMENT_PATH = Path(__file__).parent / "agreements" / "best_foot_forward.yaml"

RequestKind = Literal["access", "correction"]  # Information Privacy Principles 6 and 7
REQUEST_KINDS: tuple[RequestKind, ...] = ("access", "correction")

Id = Annotated[str, AfterValidator(checks.an_id)]


class Programme(BaseModel):
    """The programme this agreement covers, and the languages and registers families may choose."""

    model_config = STRICT

    id: Id
    names: Names
    description: Text
    languages: Annotated[list[Language], Field(min_length=1), AfterValidator(checks.listed_once)]
    registers: Annotated[list[Register], Field(min_length=1), AfterValidator(checks.listed_once)]

    @property
    def name(self) -> str:
        """The programme's full name in English, as staff and logs read it ('Best foot forward')."""
        return self.names.en.full


class Contact(BaseModel):
    """Who at a party the other party contacts about this agreement."""

    model_config = STRICT

    person: str = Field(min_length=1)
    email: Annotated[str, AfterValidator(checks.an_email)]
    phone: str | None = None


class NextKey(BaseModel):
    """A party's next signing key while it changes keys: from `takes_over` the party signs with it; while it is
    listed, both keys verify (so messages signed before the change still arrive). Retired by moving it to
    `public_key` in both organisations' agreements (docs/two-organisations.md, "Changing a key")."""

    model_config = STRICT

    public_key: Annotated[str, AfterValidator(checks.a_real_public_key)]
    takes_over: date


class Party(BaseModel):
    """One of the two organisations that signed the agreement. Its id is its key under `parties`."""

    model_config = STRICT

    id: Id
    role: Literal["provider", "agency"]
    names: Names
    contact: Contact
    public_key: Annotated[str, AfterValidator(checks.a_public_key)]
    next_key: NextKey | None = None

    @property
    def name(self) -> str:
        """The party's full name in English, as staff and logs read it ('City Centre Social Services')."""
        return self.names.en.full

    @property
    def public_key_bytes(self) -> bytes | None:
        """The raw 32-byte Ed25519 public key, or None while the key is the demo's ('demo')."""
        return None if self.public_key == DEMO_KEY else base64.b64decode(self.public_key)


class RecordKind(BaseModel):
    """A kind of record someone holds, described for the family."""

    model_config = STRICT

    id: Id
    what: Text
    identifiable: bool


class Holding(RecordKind):
    """A kind of record the provider keeps; with `fields`, rows of it are recorded and flows are built from it."""

    fields: list[HoldingField] = Field(default_factory=list)
    key: list[FieldName] = Field(default_factory=list)  # the fields that tell one of a person's rows from another

    def field(self, name: str) -> HoldingField:
        """The field with this name."""
        for field in self.fields:
            if field.name == name:
                return field
        raise KeyError(f"The holding {self.id!r} has no field {name!r}.")

    @property
    def field_names(self) -> list[str]:
        return [field.name for field in self.fields]


class Role(BaseModel):
    """A role in a unit whose holders see the unit's records: all of them, or only the holdings in `sees`.

    A unit that holds both named records and records under a study number keeps them apart by role: no role
    sees both, so nobody at the unit is ever shown a person's name beside their study number (see
    agreement_checks.named_and_study_numbered_apart)."""

    model_config = STRICT

    id: Id
    name: Text
    sees: Annotated[list[Id], Field(min_length=1), AfterValidator(checks.listed_once)] | None = None


class Unit(BaseModel):
    """A part of the agency that holds information for one purpose, and never mixes it with another's."""

    model_config = STRICT

    id: Id
    name: Text
    purpose: Text
    holds: list[RecordKind] = Field(min_length=1)
    seen_by: list[Role] = Field(min_length=1)
    in_scope_for: Annotated[list[RequestKind], Field(min_length=1), AfterValidator(checks.listed_once)]

    def holds_seen_by(self, role_id: str) -> list[RecordKind]:
        """The unit's holdings that a role sees (every one, for a role without `sees`; none for an unknown role)."""
        for role in self.seen_by:
            if role.id == role_id:
                return [kind for kind in self.holds if role.sees is None or kind.id in role.sees]
        return []

    @property
    def holds_named(self) -> bool:
        """Whether the unit holds anything that names people: only then is it asked a named request."""
        return any(kind.identifiable for kind in self.holds)

    @property
    def holds_study_numbered(self) -> bool:
        """Whether the unit holds anything under a study number instead of a name."""
        return any(not kind.identifiable for kind in self.holds)

    def sight(self, role_id: str) -> frozenset[bool]:
        """Which parts of requests a role's holders see: False in it for named parts, True for study-numbered
        parts. A role without a role id, or not in the agreement, sees named parts only."""
        kinds = self.holds_seen_by(role_id) if role_id else []
        if not kinds:
            return frozenset({False})
        return frozenset(not kind.identifiable for kind in kinds)


class Flow(BaseModel):
    """Information that goes from a party to a unit: what, when, why, and whether it names people."""

    model_config = STRICT

    id: Id
    what: Text
    from_party: Id = Field(alias="from")
    to_unit: Id = Field(alias="to")
    when: Text
    why: Text
    identifiable: bool
    holding: Id  # the provider's holding the flow draws from
    fields: Annotated[list[FieldName], Field(min_length=1), AfterValidator(checks.listed_once)]
    schedule: Schedule
    condition: Condition | None = None


class ServiceLevels(BaseModel):
    """What the two parties promise each other, in working days (on top of the Privacy Act's limits)."""

    model_config = STRICT

    provider_relays_within_working_days: int = Field(ge=1)
    agency_acknowledges_within_working_days: int = Field(ge=1)
    reminder_before_due_working_days: int = Field(ge=1)


class YoungPeople(BaseModel):
    """Who is a young person for this programme, and from what age they are told when someone asks for their
    information. A young person is spoken with in the child register from their first message."""

    model_config = STRICT

    under_age: int = Field(ge=1, le=25)  # a young person: younger than this
    told_from_age: int = Field(ge=1, le=25)  # from this age, told when someone asks for their information

    @model_validator(mode="after")
    def _told_while_young(self) -> YoungPeople:
        if self.told_from_age > self.under_age:
            raise ValueError(f"told_from_age ({self.told_from_age}) is above under_age ({self.under_age}): no young "
                             "person would ever be told")
        return self


class Agreement(BaseModel):
    """The whole agreement for one programme."""

    model_config = STRICT

    translation_status: TranslationStatus
    programme: Programme
    parties: dict[str, Party]
    units: list[Unit] = Field(min_length=1)
    provider_holds: list[Holding] = Field(min_length=1)
    flows: list[Flow] = Field(min_length=1)
    consents: list[Consent] = Field(default_factory=list)
    generalisations: Annotated[dict[str, dict[str, str]], AfterValidator(generalisation_tables)] = Field(
        default_factory=dict)
    reporting: Reporting = Field(default_factory=Reporting)
    service_levels: ServiceLevels
    young_people: YoungPeople = Field(default_factory=lambda: YoungPeople(under_age=18, told_from_age=12))

    @field_validator("parties", mode="before")
    @classmethod
    def _ids_from_keys(cls, parties: Any) -> Any:
        # Each party is written under its id (parties: {ccss: ...}); the id is copied in, not written twice.
        if not isinstance(parties, dict):
            return parties
        return {key: {"id": key, **value} if isinstance(value, dict) else value
                for key, value in parties.items()}

    @model_validator(mode="after")
    def _references_hold(self, info: ValidationInfo) -> Agreement:
        # load_agreement reports these problems itself, each with its own field path.
        if not (info.context or {}).get(_PROBLEMS_REPORTED_SEPARATELY):
            problems = consistency_problems(self)
            if problems:
                raise ValueError("; ".join(f"{path}: {message}" for path, message in problems))
        return self

    def text(self, text: Text, lang: str, register: str) -> str:
        """The sentence in a language and register this programme offers; never another one instead."""
        if lang not in self.programme.languages:
            raise ValueError(f"{self.programme.name} is not offered in {lang!r}.")
        if register not in self.programme.registers:
            raise ValueError(f"{self.programme.name} has no {register!r} register.")
        return text.variant(lang, register)

    def party(self, party_id: str) -> Party:
        """The party with this id."""
        if party_id not in self.parties:
            raise KeyError(f"No party has the id {party_id!r}; the parties are {', '.join(self.parties)}.")
        return self.parties[party_id]

    @property
    def provider(self) -> Party:
        """The party that runs the programme and talks with families (CCSS in Best foot forward)."""
        return next(party for party in self.parties.values() if party.role == "provider")

    @property
    def agency(self) -> Party:
        """The government agency whose units hold the information the provider sends them."""
        return next(party for party in self.parties.values() if party.role == "agency")

    def unit(self, unit_id: str) -> Unit:
        """The agency unit with this id."""
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        known = ", ".join(unit.id for unit in self.units)
        raise KeyError(f"No unit has the id {unit_id!r}; the units are {known}.")

    def units_in_scope(self, kind: str) -> list[Unit]:
        """The units that answer a request of this kind ('access' or 'correction'), in agreement order."""
        if kind not in REQUEST_KINDS:
            raise ValueError(f"Unknown request kind {kind!r}: the kinds are {', '.join(REQUEST_KINDS)}.")
        return [unit for unit in self.units if kind in unit.in_scope_for]

    def units_for_named_requests(self, kind: str) -> list[Unit]:
        """The units a named request of this kind goes to: those in scope that hold anything naming people. A
        unit that holds only study-numbered data is asked only the study-numbered part of a request, on its own,
        so its people never see a name."""
        return [unit for unit in self.units_in_scope(kind) if unit.holds_named]

    def holding(self, holding_id: str) -> Holding:
        """The provider's holding with this id."""
        for holding in self.provider_holds:
            if holding.id == holding_id:
                return holding
        known = ", ".join(holding.id for holding in self.provider_holds)
        raise KeyError(f"No holding has the id {holding_id!r}; the provider's holdings are {known}.")

    def flow(self, flow_id: str) -> Flow:
        """The flow with this id."""
        for flow in self.flows:
            if flow.id == flow_id:
                return flow
        raise KeyError(f"No flow has the id {flow_id!r}; the flows are {', '.join(f.id for f in self.flows)}.")

    @cached_property
    def version(self) -> str:
        """The agreement's version: the SHA-256 of its canonical form (hex). Every report and ledger row
        carries it. Two files that say the same things (comments, order of keys, layout aside) have one
        version; any change to what they say makes another."""
        canonical = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True,
                               separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def flows_to(self, unit_id: str) -> list[Flow]:
        """The flows of information that reach this unit, in agreement order."""
        unit = self.unit(unit_id)
        return [flow for flow in self.flows if flow.to_unit == unit.id]


_PROBLEMS_REPORTED_SEPARATELY = "problems reported separately"


# ---- Checks across fields ----

def consistency_problems(agreement: Agreement) -> list[tuple[str, str]]:
    """What is wrong across fields (repeated ids, references to nothing), as (field path, message)."""
    problems = _repeated_ids("units", (unit.id for unit in agreement.units))
    for i, unit in enumerate(agreement.units):
        problems += _repeated_ids(f"units[{i}].holds", (kind.id for kind in unit.holds))
        problems += _repeated_ids(f"units[{i}].seen_by", (role.id for role in unit.seen_by))
    problems += _repeated_ids("provider_holds", (kind.id for kind in agreement.provider_holds))
    problems += _repeated_ids("flows", (flow.id for flow in agreement.flows))

    roles = [party.role for party in agreement.parties.values()]
    for role in ("provider", "agency"):
        if roles.count(role) != 1:
            problems.append(("parties", f"should have exactly one party whose role is '{role}', "
                                        f"not {roles.count(role)}"))
    for key, party in agreement.parties.items():
        if party.id != key:
            problems.append((f"parties.{key}.id", f"is {party.id!r}, but the party is listed under {key!r}"))

    unit_ids = [unit.id for unit in agreement.units]
    for i, flow in enumerate(agreement.flows):
        if flow.from_party not in agreement.parties:
            problems.append((f"flows[{i}].from", f"no party has the id {flow.from_party!r} "
                                                 f"(the parties are {', '.join(agreement.parties)})"))
        if flow.to_unit not in unit_ids:
            problems.append((f"flows[{i}].to", f"no unit has the id {flow.to_unit!r} "
                                               f"(the units are {', '.join(unit_ids)})"))
    problems += _repeated_ids("consents", (consent.id for consent in agreement.consents))
    problems += flow_checks.problems(agreement)
    problems += checks.named_and_study_numbered_apart(agreement)
    receiving = {flow.to_unit for flow in agreement.flows}
    for i, unit in enumerate(agreement.units):
        if unit.id not in receiving:
            problems.append((f"units[{i}]", f"no flow goes to the unit {unit.id!r}; a unit that receives "
                                            "nothing from the programme does not belong in the agreement"))
    return problems


def _repeated_ids(path: str, ids: Iterable[str]) -> list[tuple[str, str]]:
    first_at: dict[str, int] = {}
    problems = []
    for i, an_id in enumerate(ids):
        if an_id in first_at:
            problems.append((f"{path}[{i}].id", f"{an_id!r} is already the id of {path}[{first_at[an_id]}]"))
        first_at.setdefault(an_id, i)
    return problems


def load_agreement(path: str | Path | None = None) -> Agreement:
    """Read and check a programme agreement (by default the bundled Best foot forward one)."""
    path = DEFAULT_AGREEMENT_PATH if path is None else Path(path)
    data = checks.read_yaml(path)
    try:
        agreement = Agreement.model_validate(data, context={_PROBLEMS_REPORTED_SEPARATELY: True})
    except ValidationError as error:
        raise AgreementError(path, [checks.where(problem) for problem in error.errors()]) from None
    problems = consistency_problems(agreement)
    if problems:
        raise AgreementError(path, problems)
    return agreement


def check_agreement(path: str | Path | None = None) -> list[str]:
    """The problems with an agreement file, one line each ('FILE: field.path: message'); empty if valid."""
    try:
        load_agreement(path)
    except AgreementError as error:
        return error.lines()
    return []

