"""Assessments rendered from instrument definitions, with scores, bands and trends;
the pages that administer instruments (add, upload a version, preview, publish,
retire) without code."""

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.cases import access
from rehsos.cases.instruments import scoring
from rehsos.cases.instruments import versions as instrument_versions
from rehsos.cases.instruments.forms import AnswersForm, AssessmentMetaForm, initial_from_answers
from rehsos.cases.instruments.schema import Definition
from rehsos.cases.models import Assessment, CaseStatus, Instrument, InstrumentVersion
from rehsos.cases.services import assessments as services
from rehsos.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from rehsos.core.permissions import can, requires

# --- the case page's section -----------------------------------------------------------


def section_context(request, case) -> dict | None:
    user = request.user
    if not can(user, "cases.view"):
        return None
    trends = services.trends(case)
    return {
        "trends": [_trend_summary(t) for t in trends],
        "can_add": can(user, "cases.edit") and case.status == CaseStatus.OPEN,
    }


def _trend_summary(trend: services.Trend) -> dict:
    latest = trend.latest.assessment
    definition = services.definition_of(latest.instrument_version)
    return {
        "instrument": trend.instrument,
        "latest": latest,
        "count": len(trend.points),
        "change": trend.latest.change,
        "band": scoring.band_label(definition, latest.band) if latest.band else None,
        "chart": chart(trend),
    }


# --- a small inline SVG line chart (no scripts, no CDN) -----------------------------------

CHART_W, CHART_H, PAD = 240, 60, 6


def chart(trend: services.Trend) -> dict | None:
    """Points for a line chart of the scored assessments, or None under two scores."""
    scored = trend.scored
    if len(scored) < 2:
        return None
    values = [float(p.score) for p in scored]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (CHART_W - 2 * PAD) / (len(values) - 1)
    points = []
    for n, (point, value) in enumerate(zip(scored, values, strict=True)):
        x = PAD + n * step
        y = CHART_H - PAD - (value - low) / span * (CHART_H - 2 * PAD)
        points.append(
            {
                "x": round(x, 1),
                "y": round(y, 1),
                "score": point.score,
                "on": point.assessment.assessed_on,
            }
        )
    return {
        "width": CHART_W,
        "height": CHART_H,
        "points": points,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "low": low,
        "high": high,
    }


# --- a case's assessments ----------------------------------------------------------------


@requires("cases.view")
def case_assessments(request, public_id):
    case = access.get_case(request, public_id, "cases.view")
    trends = services.trends(case)
    return render(
        request,
        "cases/assessments/history.html",
        {
            "case": case,
            "trends": [{**_trend_summary(t), "points": list(reversed(t.points))} for t in trends],
            "can_add": can(request.user, "cases.edit") and case.status == CaseStatus.OPEN,
        },
    )


@requires("cases.edit")
def choose(request, public_id):
    case = access.get_case(request, public_id, "cases.edit")
    offered = services.instruments_for(case)
    return render(
        request,
        "cases/assessments/choose.html",
        {
            "case": case,
            "for_cluster": [v for v in offered if case.cluster in (v.instrument.clusters or [])],
            "others": [v for v in offered if case.cluster not in (v.instrument.clusters or [])],
        },
    )


def _forms(request, definition: Definition, *, initial_answers=None, meta_initial=None):
    data = request.POST if request.method == "POST" else None
    answers_form = AnswersForm(data, definition=definition, initial=initial_answers or {})
    meta_form = AssessmentMetaForm(data, prefix="meta", initial=meta_initial or {})
    return answers_form, meta_form


@requires("cases.edit")
def new(request, public_id, code):
    case = access.get_case(request, public_id, "cases.edit")
    version = services.current_version(code)
    if version is None:
        raise NotFound(_("No published instrument has this code."))
    definition = services.definition_of(version)
    answers_form, meta_form = _forms(
        request, definition, meta_initial={"assessed_on": timezone.localdate()}
    )
    error = ""
    if request.method == "POST" and _both_valid(answers_form, meta_form):
        try:
            assessment = services.record_assessment(
                request.user,
                case=case,
                instrument_version=version,
                assessed_on=meta_form.cleaned_data["assessed_on"],
                answers=answers_form.answers,
                note=meta_form.cleaned_data["note"],
            )
        except ValidationFailed as exc:
            error = _place_errors(exc, answers_form, meta_form)
        else:
            _saved_message(request, assessment)
            return redirect("cases:assessment", public_id=assessment.public_id)
    return render(
        request,
        "cases/assessments/form.html",
        {
            "case": case,
            "version": version,
            "definition": definition,
            "answers_form": answers_form,
            "meta_form": meta_form,
            "error": error,
        },
    )


def _both_valid(answers_form, meta_form) -> bool:
    answers_ok = answers_form.is_valid()
    return meta_form.is_valid() and answers_ok


def _place_errors(exc: ValidationFailed, answers_form, meta_form) -> str:
    leftover = []
    for name, message in exc.fields.items():
        if name.startswith("answers.") and name.removeprefix("answers.") in answers_form.fields:
            answers_form.add_error(name.removeprefix("answers."), str(message))
        elif name in ("assessed_on", "note"):
            meta_form.add_error(name, str(message))
        else:
            leftover.append(str(message))
    return " ".join(leftover)


def _saved_message(request, assessment: Assessment) -> None:
    if assessment.is_complete:
        messages.success(request, _("The assessment is saved and scored."))
    else:
        messages.warning(
            request,
            _("The assessment is saved but not scored: %(count)s required item(s) are unanswered.")
            % {"count": len(assessment.missing_items)},
        )


def _assessment(request, public_id, action: str):
    found = (
        Assessment.objects.select_related("case", "instrument_version__instrument", "assessor")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No such assessment in your scope."))
    case = access.get_case(request, found.case.public_id, action)
    found.case = case
    return found


def _answer_rows(definition: Definition, answers: dict) -> list[dict]:
    shown = {i.code for i in scoring.shown_items(definition, answers)}
    rows, group = [], None
    for item in definition.items:
        if item.code not in shown:
            continue
        heading = None
        if item.group and item.group != group:
            found = definition.group(item.group)
            heading = found.title if found else None
        group = item.group
        value = answers.get(item.code)
        scale = definition.scale_of(item)
        option = (
            scale.option(value)
            if value is not None and scale.type in ("choice", "yes_no")
            else None
        )
        rows.append(
            {
                "item": item,
                "heading": heading,
                "answer": option.label if option else value,
                "value": value,
            }
        )
    return rows


@requires("cases.view")
def detail(request, public_id):
    assessment = _assessment(request, public_id, "cases.view")
    definition = services.definition_of(assessment.instrument_version)
    missing = [
        {"item": item, "group": definition.group(item.group) if item.group else None}
        for code in assessment.missing_items
        if (item := definition.item(code))
    ]
    return render(
        request,
        "cases/assessments/result.html",
        {
            "case": assessment.case,
            "assessment": assessment,
            "definition": definition,
            "band": scoring.band_label(definition, assessment.band) if assessment.band else None,
            "subscores": scoring.describe_subscores(definition, assessment.subscores),
            "missing": missing,
            "answers": _answer_rows(definition, assessment.answers),
            "can_edit": can(request.user, "cases.edit")
            and assessment.case.status == CaseStatus.OPEN,
        },
    )


@requires("cases.edit")
def edit(request, public_id):
    assessment = _assessment(request, public_id, "cases.edit")
    version = assessment.instrument_version
    definition = services.definition_of(version)
    answers_form, meta_form = _forms(
        request,
        definition,
        initial_answers=initial_from_answers(assessment.answers),
        meta_initial={
            "assessed_on": assessment.assessed_on,
            "note": assessment.note,
            "version": assessment.version,
        },
    )
    error, conflict = "", None
    if request.method == "POST" and _both_valid(answers_form, meta_form):
        try:
            assessment = services.update_assessment(
                request.user,
                assessment,
                version=meta_form.cleaned_data["version"] or 0,
                answers=answers_form.answers,
                assessed_on=meta_form.cleaned_data["assessed_on"],
                note=meta_form.cleaned_data["note"],
            )
        except Conflict:
            current = Assessment.objects.get(pk=assessment.pk)
            conflict = _conflict_rows(definition, current, answers_form.answers, meta_form)
            # The form now carries the latest version: saving again applies the user's values.
            data = request.POST.copy()
            data["meta-version"] = str(current.version)
            meta_form = AssessmentMetaForm(data, prefix="meta")
            meta_form.is_valid()
            assessment = current
        except ValidationFailed as exc:
            error = _place_errors(exc, answers_form, meta_form)
        else:
            _saved_message(request, assessment)
            return redirect("cases:assessment", public_id=assessment.public_id)
    status = 409 if conflict else 200
    return render(
        request,
        "cases/assessments/form.html",
        {
            "case": assessment.case,
            "assessment": assessment,
            "version": version,
            "definition": definition,
            "answers_form": answers_form,
            "meta_form": meta_form,
            "error": error,
            "conflict": conflict,
        },
        status=status,
    )


def _conflict_rows(definition: Definition, current: Assessment, mine: dict, meta_form) -> dict:
    rows = []
    for item in definition.items:
        theirs, yours = current.answers.get(item.code), mine.get(item.code)
        if theirs != yours:
            scale = definition.scale_of(item)

            def label(value, scale=scale):
                option = scale.option(value) if value is not None and scale.choices else None
                return option.label if option else value

            rows.append((item.text, label(theirs), label(yours)))
    if meta_form.cleaned_data.get("assessed_on") != current.assessed_on:
        rows.append(
            (_("Assessed on"), current.assessed_on, meta_form.cleaned_data.get("assessed_on"))
        )
    if (meta_form.cleaned_data.get("note") or "") != current.note:
        rows.append((_("Note"), current.note, meta_form.cleaned_data.get("note")))
    return {"rows": rows, "current_version": current.version}


# --- administering instruments -------------------------------------------------------------


@requires("cases.manage_instruments")
def instrument_list(request):
    instruments = Instrument.objects.prefetch_related("versions").order_by("code")
    return render(request, "cases/assessments/instruments.html", {"instruments": instruments})


def _uploaded_definition(request) -> tuple[object, str]:
    """The definition data from an uploaded file or the text box; ValidationFailed otherwise."""
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size > instrument_versions.MAX_DEFINITION_BYTES:
            raise ValidationFailed(
                fields={
                    "definition": _("The file is larger than 1 MB; a definition is much smaller.")
                }
            )
        if not upload.name.lower().endswith((".json", ".yaml", ".yml")):
            raise ValidationFailed(fields={"definition": _("Upload a .json, .yaml or .yml file.")})
        content = upload.read()
        return instrument_versions.parse_definition(content, upload.name), content.decode(
            "utf-8", "replace"
        )
    text = request.POST.get("definition", "")
    if not text.strip():
        raise ValidationFailed(
            fields={"definition": _("Upload a definition file or paste the definition.")}
        )
    return instrument_versions.parse_definition(text.encode("utf-8")), text


def _problems(exc: DomainError) -> list[str]:
    return [
        f"{name.removeprefix('definition.')}: {message}"
        if name.startswith("definition.")
        else str(message)
        for name, message in exc.fields.items()
    ] or [str(exc.message)]


@requires("cases.manage_instruments")
def instrument_add(request):
    problems, text = [], ""
    if request.method == "POST":
        text = request.POST.get("definition", "")
        try:
            data, text = _uploaded_definition(request)
            version = instrument_versions.add_instrument(request.user, data)
        except ValidationFailed as exc:
            problems = _problems(exc)
        else:
            messages.success(
                request,
                _("The instrument is added as a draft. Check the preview, then publish it."),
            )
            return redirect(
                "cases:instrument_version", code=version.instrument.code, number=version.version
            )
    return render(
        request,
        "cases/assessments/instrument_upload.html",
        {"problems": problems, "text": text, "instrument": None},
    )


def _instrument(code: str) -> Instrument:
    instrument = Instrument.objects.filter(code=code).first()
    if instrument is None:
        raise NotFound(_("No such instrument."))
    return instrument


@requires("cases.manage_instruments")
def instrument_detail(request, code):
    instrument = _instrument(code)
    problems, text = [], ""
    if request.method == "POST":
        text = request.POST.get("definition", "")
        try:
            data, text = _uploaded_definition(request)
            version = instrument_versions.save_draft(request.user, instrument, data)
        except ValidationFailed as exc:
            problems = _problems(exc)
        else:
            messages.success(request, _("The draft is saved. Check the preview, then publish it."))
            return redirect("cases:instrument_version", code=code, number=version.version)
    if not text:
        latest = instrument.versions.order_by("-version").first()
        text = json.dumps(latest.definition, ensure_ascii=False, indent=2) if latest else ""
    return render(
        request,
        "cases/assessments/instrument_upload.html",
        {
            "problems": problems,
            "text": text,
            "instrument": instrument,
            "versions": instrument.versions.order_by("-version"),
        },
    )


@requires("cases.manage_instruments")
def instrument_version(request, code, number):
    version = instrument_versions.get_version(code, number)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "publish":
                instrument_versions.publish(request.user, version)
                messages.success(request, _("Version %(n)s is published.") % {"n": number})
            elif action == "retire":
                instrument_versions.retire(request.user, version)
                messages.success(request, _("Version %(n)s is retired.") % {"n": number})
            elif action == "discard":
                instrument_versions.discard_draft(request.user, version)
                messages.success(request, _("The draft is discarded."))
                if Instrument.objects.filter(code=code).exists():
                    return redirect("cases:instrument", code=code)
                return redirect("cases:instruments")
            else:
                raise ValidationFailed(fields={"action": _("Choose publish, retire or discard.")})
        except ValidationFailed as exc:
            for message in _problems(exc):
                messages.error(request, message)
        return redirect("cases:instrument_version", code=code, number=number)
    definition, problems = None, []
    try:
        definition = services.definition_of(version)
    except ValidationFailed as exc:
        problems = [str(m) for m in exc.fields.values()]
    preview = AnswersForm(definition=definition) if definition else None
    return render(
        request,
        "cases/assessments/instrument_version.html",
        {
            "version": version,
            "instrument": version.instrument,
            "definition": definition,
            "preview": preview,
            "problems": problems,
            "rules": definition.scoring.rules if definition else [],
            "source": json.dumps(version.definition, ensure_ascii=False, indent=2),
            "is_draft": version.status == InstrumentVersion.Status.DRAFT,
        },
    )


urlpatterns = [
    path("<uuid:public_id>/assessments/", case_assessments, name="assessments"),
    path("<uuid:public_id>/assessments/new/", choose, name="assessment_choose"),
    path("<uuid:public_id>/assessments/new/<slug:code>/", new, name="assessment_new"),
    path("assessments/<uuid:public_id>/", detail, name="assessment"),
    path("assessments/<uuid:public_id>/edit/", edit, name="assessment_edit"),
    path("instruments/", instrument_list, name="instruments"),
    path("instruments/add/", instrument_add, name="instrument_add"),
    path("instruments/<slug:code>/", instrument_detail, name="instrument"),
    path("instruments/<slug:code>/v<int:number>/", instrument_version, name="instrument_version"),
]
