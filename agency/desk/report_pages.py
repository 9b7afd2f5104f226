"""The reports the officer's unit received from the provider, and the unit's own records added by upload.
Both are the unit's only: a report or record of another unit is never listed, counted or added to."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from agency.desk import report_store, store
from agency.desk.actions import Actions
from agency.desk.deps import CSRF, ActionsDep, CurrentOfficer, DeskDep
from agency.desk.record_import import COLUMNS, ImportRefused, read_records
from agency.desk.views import report_row
from agency.models import Officer
from agency.own_records import add_own_records
from deskkit.desk import Desk, Message

router = APIRouter(prefix="/agency", include_in_schema=False)
NO_FILE = "Choose a CSV file of your unit's records to import."


@router.get("/reports")
async def reports(request: Request, desk: DeskDep, actions: ActionsDep, officer: CurrentOfficer,
                  page: str = "1") -> Response:
    """The reports the unit received, newest first: which flow, which month, how many rows, named or not."""
    page_no = max(1, int(page) if page.isdigit() and len(page) < 7 else 1)
    async with actions.sessions() as session:
        rows, total = await report_store.reports_page(session, officer.unit_id, page_no)
    return desk.render(request, "reports.html", {
        "reports": [report_row(r) for r in rows], "total": total, "page": page_no,
        "pages": max(1, -(-total // store.PAGE_SIZE)), "officer": officer, "nav": "reports"})


async def import_page(request: Request, desk: Desk, officer: Officer, *, status: int = 200,
                      problems: list[str] | None = None) -> Response:
    messages = [Message("Nothing was imported. Put these lines right and import the file again.", "error")] \
        if problems else []
    return desk.render(request, "records_import.html", {
        "columns": COLUMNS, "problems": problems or [], "officer": officer, "nav": "import",
        "messages": messages}, status_code=status)


@router.get("/records/import")
async def import_form(request: Request, desk: DeskDep, officer: CurrentOfficer) -> Response:
    """The form to add records from the unit's own systems, as a CSV file."""
    return await import_page(request, desk, officer)


@router.post("/records/import", dependencies=CSRF)
async def import_records(request: Request, desk: DeskDep, actions: ActionsDep, officer: CurrentOfficer) -> Response:
    """Add every record in the file to the unit, or none of them and every problem by its line."""
    upload = (await request.form()).get("file")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    if not data:
        return await import_page(request, desk, officer, status=422, problems=[NO_FILE])
    try:
        records = read_records(data)
    except ImportRefused as refused:
        return await import_page(request, desk, officer, status=422, problems=refused.problems)
    await add_to_unit(actions, officer, records)
    response = RedirectResponse("/agency/records/import", status_code=303)
    desk.flash(response, f"Imported {len(records)} record{'' if len(records) == 1 else 's'} into your unit's "
                         "records.")
    return response


async def add_to_unit(actions: Actions, officer: Officer, records: list) -> list:
    """The records, added to the officer's own unit in one transaction."""
    async with actions.sessions.begin() as session:
        return await add_own_records(session, officer.unit_id, records)
