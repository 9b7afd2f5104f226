"""The provider desk's JSON API for the programme's data: a person's rows of every holding, recording one row
(added, unchanged or corrected), and recording a consent given or withdrawn. A bearer token for changes; the
desk's cookie for reading. Values that do not fit answer 422 with every problem in `problems`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bot.desk import store
from bot.desk.api_models import ERRORS, ApiRoute
from bot.desk.context import DeskContext, not_found
from bot.desk.deps import BEARER, ApiCaller, DeskContextDep
from bot.desk.forms import Input
from bot.desk.routes_records import ConsentIn, save_consent, save_row
from bot.records.overview import ProgrammeData, programme_data
from bot.records.recording import RecordsProblem
from bot.records.tables import ProgrammeRecord
from deskkit.inputs import Text

router = APIRouter(prefix="/provider/api", tags=["provider desk API"], route_class=ApiRoute,
                   dependencies=[Depends(BEARER)], responses=ERRORS)


class RowIn(Input):
    values: dict[str, Any] = Field(description="Field name -> value: text, a number, or a date as YYYY-MM-DD.")
    reason: Text(500, required=False) = Field("", description="Why a value changes, kept with the correction.")


class CorrectionOut(BaseModel):
    revision: int
    old_values: dict
    new_values: dict
    reason: str
    changed_by: str
    changed_at: datetime


class RowOut(BaseModel):
    id: int
    holding: str
    values: dict
    revision: int
    recorded_by: str
    recorded_at: datetime
    updated_at: datetime
    corrections: list[CorrectionOut] = []

    @classmethod
    def of(cls, record: ProgrammeRecord, corrections: list | None = None) -> RowOut:
        return cls(id=record.id, holding=record.holding, values=record.values, revision=record.revision,
                   recorded_by=record.recorded_by, recorded_at=record.recorded_at, updated_at=record.updated_at,
                   corrections=[CorrectionOut.model_validate(c, from_attributes=True) for c in corrections or []])


class HoldingOut(BaseModel):
    holding: str
    rows: list[RowOut]


class ConsentEventOut(BaseModel):
    consent: str
    given: bool
    on: date
    how: str
    by: str | None  # the person reference of who gave it for the person, if not themselves
    recorded_by: str
    recorded_at: datetime
    agreement_version: str


class ConsentOut(BaseModel):
    consent: str
    given: bool  # what the newest event says; false when none is recorded
    history: list[ConsentEventOut]  # newest first


class RecordsOut(BaseModel):
    person_ref: str
    holdings: list[HoldingOut]
    consents: list[ConsentOut]


class RecordedOut(BaseModel):
    outcome: Literal["added", "unchanged", "corrected"]
    row: RowOut


def problems_response(problem: RecordsProblem) -> JSONResponse:
    return JSONResponse({"detail": " ".join(problem.problems), "problems": problem.problems},
                        status_code=problem.status)


def records_out(ref: str, data: ProgrammeData, people_refs: dict[int, str]) -> RecordsOut:
    return RecordsOut(
        person_ref=ref,
        holdings=[HoldingOut(holding=entry.holding.id, rows=[RowOut.of(r, entry.corrections.get(r.id))
                                                              for r in entry.rows]) for entry in data.holdings],
        consents=[ConsentOut(consent=state.consent.id, given=state.given, history=[
            ConsentEventOut(consent=e.consent, given=e.given, on=e.on, how=e.how, by=people_refs.get(e.by_person_id),
                            recorded_by=e.recorded_by, recorded_at=e.recorded_at,
                            agreement_version=e.agreement_version) for e in state.history])
            for state in data.consents])


async def person_records(ctx: DeskContext, ref: str) -> RecordsOut:
    async with ctx.sessions() as session:
        person = await store.person_by_ref(session, ref)
        if person is None:
            raise not_found("person", ref)
        data = await programme_data(session, ctx.agreement, person)
    return records_out(person.ref, data, {i: p.ref for i, p in data.people.items()})


@router.get("/people/{ref}/records", response_model=RecordsOut)
async def get_records(ctx: DeskContextDep, staff: ApiCaller, ref: str) -> RecordsOut:
    """A person's rows of every holding with their corrections, and their consents with their history."""
    return await person_records(ctx, ref)


@router.post("/people/{ref}/records/{holding}", response_model=RecordedOut,
             responses={422: {"description": "Every problem with the values, in `problems`."}})
async def record(ctx: DeskContextDep, staff: ApiCaller, ref: str, holding: str, body: RowIn):
    """Record one row of a holding for a person: added, unchanged, or a correction of the row with its key."""
    try:
        done = await save_row(ctx, ref, holding, body.values, by=f"api:{staff.login}", reason=body.reason)
    except RecordsProblem as problem:
        return problems_response(problem)
    return RecordedOut(outcome=done.outcome, row=RowOut.of(done.record))


@router.post("/people/{ref}/consents", response_model=RecordsOut, status_code=201)
async def consent(ctx: DeskContextDep, staff: ApiCaller, ref: str, body: ConsentIn):
    """Record that a person (or, for a child, someone with authority) gave or withdrew a consent on a day."""
    try:
        await save_consent(ctx, ref, body, by=f"api:{staff.login}")
    except RecordsProblem as problem:
        return problems_response(problem)
    return await person_records(ctx, ref)
