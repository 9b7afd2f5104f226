"""Outcomes of information use: the decisions, advice and reports the unit's information informed, each
recorded against the reports the unit received that informed it, and told to the provider (outcome.reported),
which tells the families whose information was in those reports. Its summary is a template (families read it
in their language and register from the provider's catalogues) or four versions the officer writes."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from agency.desk import inputs, store
from agency.desk.actions import Actions
from agency.desk.deps import CSRF, ActionsDep, CurrentOfficer, DeskDep
from agency.desk.inputs import OUTCOME_KINDS, OutcomeIn
from agency.models import Officer
from agency.outcomes import received_reports
from agency.report_rows import period_words
from deskkit.desk import Desk, Message
from deskkit.inputs import text_fields
from deskkit.problems import DeskProblem
from protocol.outcomes import TEMPLATES

VERSIONS = (("en", "adult", "In English, for a parent or caregiver"),
            ("en", "child", "In English, for a young person (short, plain words)"),
            ("mi", "adult", "In te reo Māori, for a parent or caregiver"),
            ("mi", "child", "In te reo Māori, for a young person"))
LABELS = {"kind": "The kind of outcome", "participant_id": "The participant id", "reports": "The reports",
          "template": "The template", **{f"summaries.{lang}.{reg}": f"The summary {label[0].lower()}{label[1:]}"
                                         for lang, reg, label in VERSIONS}}
KIND_WORDS = {"decision": "A decision", "advice": "Advice", "report": "A report"}

router = APIRouter(prefix="/agency", include_in_schema=False)


def template_text(template_id: str, unit_name: str) -> str:
    """A template as the officer reads it: its English adult version, with the unit's name."""
    return TEMPLATES[template_id].english.format(unit=unit_name)


async def render(request: Request, desk: Desk, actions: Actions, officer: Officer, page_no: int = 1,
                 status: int = 200, error: str = "", values: dict | None = None) -> Response:
    unit_name = actions.agreement.text(actions.agreement.unit(officer.unit_id).name, "en", "adult")
    async with actions.sessions() as session:
        rows, total = await store.outcomes_page(session, officer.unit_id, page_no)
        received = await received_reports(session, officer.unit_id, actions.agreement.provider.id)
    return desk.render(request, "outcomes.html", {
        "rows": rows, "total": total, "page": page_no, "pages": max(1, -(-total // store.PAGE_SIZE)),
        "kinds": OUTCOME_KINDS, "kind_words": KIND_WORDS, "values": values or {}, "nav": "outcomes",
        "received": received, "period_words": period_words, "versions": VERSIONS,
        "templates": [(t.id, KIND_WORDS[t.kind], template_text(t.id, unit_name)) for t in TEMPLATES.values()],
        "template_text": lambda t: template_text(t, unit_name) if t in TEMPLATES else t,
        "messages": [Message(error, "error")] if error else []}, status_code=status)


@router.get("/outcomes")
async def outcomes(request: Request, desk: DeskDep, actions: ActionsDep, officer: CurrentOfficer, page: str = "1",
                   participant: str = "") -> Response:
    """The unit's recorded outcomes, newest first, and the form to record one."""
    page_no = int(page) if page.isdigit() and len(page) < 7 else 1
    return await render(request, desk, actions, officer, max(1, page_no), values={"participant_id": participant[:32]})


def outcome_from_form(form) -> dict:
    """The form's fields as OutcomeIn's data: the ticked reports, one participant or everyone, and either the
    chosen template or the four written summaries."""
    values = text_fields(form, "kind", "participant_id", "about", "wording", "template",
                         *(f"summary_{lang}_{reg}" for lang, reg, _ in VERSIONS))
    data: dict = {k: values[k] for k in ("kind",) if k in values}
    data["reports"] = [ref for ref in form.getlist("report") if isinstance(ref, str)][:1000]
    if values.get("about") == "participant":
        data["participant_id"] = values.get("participant_id", "").strip()
    if values.get("wording") == "written":
        data["summaries"] = {lang: {reg: values.get(f"summary_{lang}_{reg}", "") for l2, reg, _ in VERSIONS
                                    if l2 == lang} for lang in ("en", "mi")}
    else:
        data["template"] = values.get("template", "")
    return data


@router.post("/outcomes", dependencies=CSRF)
async def record(request: Request, desk: DeskDep, actions: ActionsDep, officer: CurrentOfficer) -> Response:
    """Record an outcome of information use against the reports that informed it; the provider is told."""
    form = await request.form()
    data = outcome_from_form(form)
    shown = {**text_fields(form, *form.keys()), "reports": data["reports"]}
    try:
        if not data["reports"]:
            raise inputs.wrong("Tick at least one report your unit received that informed this outcome.")
        if data.get("template") == "":
            raise inputs.wrong("Choose a template, or choose to write the summary in four versions.")
        use = await actions.report_outcome(officer, inputs.parse(OutcomeIn, data, LABELS))
    except DeskProblem as refused:
        return await render(request, desk, actions, officer, status=refused.status, error=refused.sentence,
                            values=shown)
    response = RedirectResponse("/agency/outcomes", status_code=303)
    whom = use.participant_id or "everyone in those reports"
    desk.flash(response, f"Recorded: {KIND_WORDS[use.kind].lower()}, informed by {', '.join(use.reports)}, for "
                         f"{whom}. The provider is told, and tells the families.")
    return response
