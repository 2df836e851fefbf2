"""Pages of assessments: the list, starting a self-assessment or an external audit, the
assessment form (answers saved one by one as the assessor goes, also by the offline
queue of ``assess.js``), the summary with scores, findings and evidence, submitting
and reopening, and the schedules.

The form's saves (``assessment_answer``, ``assessment_evidence_upload``) answer JSON
to ``assess.js`` (it asks with ``Accept: application/json``) and redirect back to the
form for a plain HTML post, so the form also works without JavaScript.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rehsos.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from rehsos.core.forms import add_domain_errors
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import can, requires, scoped
from rehsos.core.roles import PERMISSIONS, ScopeLevel
from rehsos.core.uploads import max_bytes, too_large_message
from rehsos.facilities.models import Facility
from rehsos.standards import scoring
from rehsos.standards import selectors_assessments as selectors
from rehsos.standards import services_assessments as services
from rehsos.standards import services_schedules as schedules
from rehsos.standards.forms_assessments import (
    AnswerForm,
    AssessmentEditForm,
    CreateAuditForm,
    EvidenceForm,
    FindingForm,
    ListFilterForm,
    ReopenForm,
    ScheduleForm,
    StartSelfForm,
)
from rehsos.standards.models import Assessment, Catalogue, Criterion, Domain, Evidence

PAGE = 50
BODY_SLACK = 64 * 1024


def _language() -> str:
    return translation.get_language() or "id"


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _facilities(user):
    return scoped(user, Facility.objects.filter(is_active=True)).order_by("name")


def _facility(user, code: str) -> Facility:
    facility = _facilities(user).filter(code=code).first()
    if facility is None:
        raise ValidationFailed(fields={"facility": _("Choose a centre in your scope.")})
    return facility


def _catalogue(code: str) -> Catalogue | None:
    return Catalogue.objects.filter(code=code).first() if code else None


def _user(pk: str, people):
    if not pk:
        return None
    return next((u for u in people if str(u.pk) == str(pk)), None)


# --- list and start -------------------------------------------------------------------


@requires("standards.view")
def assessment_list(request):
    user = request.user
    form = ListFilterForm(request.GET or None, facilities=_facilities(user))
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.filtered(
        selectors.assessments_visible_to(user),
        user=user,
        kind=data.get("kind", ""),
        status=data.get("status", ""),
        facility=data.get("facility", ""),
        mine=bool(data.get("mine")),
    )
    page = keyset_page(
        rows,
        order=("started_on", "id"),
        after=request.GET.get("after") or None,
        limit=PAGE,
        descending=True,
    )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "standards/assessments/list.html",
        {
            "form": form,
            "assessments": selectors.with_progress(list(page.items)),
            "next": page.next_cursor,
            "query": query.urlencode(),
            "may_start": can(user, "standards.self_assess"),
            "may_create": can(user, "standards.audit"),
        },
    )


@requires("standards.self_assess")
def assessment_start(request):
    user = request.user
    facilities = list(_facilities(user))
    chosen = request.POST.get("facility") or request.GET.get("facility") or ""
    facility = next((f for f in facilities if f.code == chosen), None)
    if facility is None and user.facility_id:
        facility = next((f for f in facilities if f.pk == user.facility_id), None)
    if facility is None and facilities:
        facility = facilities[0]
    catalogues = services.catalogues_for(facility) if facility else []
    initial = {
        "facility": facility.code if facility else "",
        "started_on": timezone.localdate(),
        "catalogue": catalogues[0].code if len(catalogues) == 1 else "",
    }
    form = StartSelfForm(
        request.POST or None, initial=initial, facilities=facilities, catalogues=catalogues
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                assessment = services.start_self_assessment(
                    user=user,
                    facility=_facility(user, data["facility"]),
                    catalogue=_catalogue(data["catalogue"]),
                    started_on=data["started_on"],
                    title=data["title"],
                )
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The self-assessment is started."))
                return redirect("standards:assessment_form", public_id=assessment.public_id)
    return render(
        request,
        "standards/assessments/start.html",
        {"form": form, "facility": facility, "catalogues": catalogues, "kind": "self"},
        status=status,
    )


@requires("standards.audit")
def assessment_create(request):
    user = request.user
    facilities = list(_facilities(user))
    catalogues = services.catalogues_for()
    people = list(services.auditors())
    initial = {"started_on": timezone.localdate()}
    if user in people:
        initial["lead"] = str(user.pk)
    form = CreateAuditForm(
        request.POST or None,
        initial=initial,
        facilities=facilities,
        catalogues=catalogues,
        auditors=people,
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                assessment = services.create_audit(
                    user=user,
                    facility=_facility(user, data["facility"]),
                    catalogue=_catalogue(data["catalogue"]),
                    lead=_user(data["lead"], people),
                    assessors=[u for u in people if str(u.pk) in set(data["assessors"])],
                    visit_on=data["visit_on"],
                    started_on=data["started_on"],
                    title=data["title"],
                )
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The external audit is created."))
                return redirect("standards:assessment_detail", public_id=assessment.public_id)
    return render(
        request,
        "standards/assessments/start.html",
        {"form": form, "kind": "external"},
        status=status,
    )


# --- the form -------------------------------------------------------------------------


def _js_text() -> dict[str, str]:
    """The messages ``assess.js`` shows, in the page's language."""
    return {
        "saved": _("Saved"),
        "saving": _("Saving…"),
        "pending": _("Not saved yet"),
        "hold": _("Not saved yet: say why it does not apply"),
        "error": _("Not saved"),
        "stale": _("A newer answer is shown; yours was not saved"),
        "empty": _("Not rated yet"),
        "online": _("Online"),
        "offline": _("Offline: answers are kept on this device"),
        "signedOut": _(
            "You were signed out. Sign in again in a new tab: the answers kept on this "
            "device are sent after that."
        ),
        "signIn": _("Sign in"),
        "answered": _("%(answered)s of %(total)s answered"),
        "queued": _("%(count)s not saved yet"),
        "noStorage": _(
            "This browser cannot keep unsent answers (private mode?): stay online until "
            "they are saved."
        ),
        "unsentLeave": _("Some answers are not saved yet."),
        "validFrom": _("valid from"),
        "delete": _("Delete"),
        "deleteConfirm": _("Delete this evidence?"),
        "chooseFile": _("Choose a file to upload."),
        "uploading": _("Uploading…"),
        "uploadFailed": _("Not uploaded"),
        "uploadOffline": _("Uploading needs a connection: try again when you are back online."),
        "tooLarge": too_large_message(),
    }


def _form_context(request, assessment: Assessment, *, unrated_only: bool) -> dict:
    user = request.user
    language = _language()
    groups, answered, total = selectors.form_groups(
        assessment, language=language, unrated_only=unrated_only
    )
    editable = assessment.status == Assessment.Status.IN_PROGRESS and services.may_work(
        user, assessment
    )
    return {
        "assessment": assessment,
        "groups": groups,
        "answered": answered,
        "total": total,
        "editable": editable,
        "unrated_only": unrated_only,
        "other_language": "en" if language.startswith("id") else "id",
        "evidence_form": EvidenceForm(initial={"valid_from": timezone.localdate()}),
        "evidence_kinds": Evidence.Kind.choices,
        "limit_mb": max_bytes() // 2**20,
        "limit_bytes": max_bytes(),
        "today": timezone.localdate(),
        "js_text": _js_text(),
    }


@requires("standards.view")
@require_GET
def assessment_form(request, public_id):
    """The assessment form: every criterion by domain with its rating buttons, N/A and
    justification, comment and evidence; saved per change by ``assess.js``."""
    assessment = selectors.assessment_for(request.user, public_id)
    context = _form_context(request, assessment, unrated_only=request.GET.get("unrated") == "1")
    return render(request, "standards/assessments/form.html", context)


def _json_error(exc: DomainError) -> JsonResponse:
    body = {
        "saved": False,
        "code": exc.code,
        "message": str(exc.message),
        "errors": {k: str(v) for k, v in exc.fields.items()},
        **{k: v for k, v in exc.extra.items() if k == "current"},
    }
    return JsonResponse(body, status=exc.status)


def _refused(request, exc: DomainError, code: str, anchor: str):
    """A refused save: JSON for ``assess.js`` (whatever the reason, so it never retries
    a refusal as if it were a lost connection); for a plain post, the reason on the
    form (a missing or out-of-scope assessment is the usual error page)."""
    if _wants_json(request):
        return _json_error(exc)
    if isinstance(exc, NotFound | PermissionDenied):
        raise exc
    message = "; ".join(str(m) for m in exc.fields.values()) or str(exc.message)
    messages.error(request, f"{code}: {message}")
    return redirect(anchor)


@requires("standards.view")
@require_POST
def assessment_answer(request, public_id, code: str):
    """Save one criterion's answer (rating or N/A with a justification, comment) with
    the client's revision. JSON for ``assess.js``; a redirect for a plain post."""
    anchor = reverse("standards:assessment_form", args=[public_id]) + f"#c-{code}"
    try:
        assessment = selectors.assessment_for(request.user, public_id)
        criterion = services.criterion_of(assessment, code)
        form = AnswerForm(request.POST)
        if not form.is_valid():
            errors = {k: " ".join(v) for k, v in form.errors.items()}
            raise ValidationFailed(fields=errors)
        rating, not_applicable, problem = form.rating_and_na()
        if problem:
            raise ValidationFailed(fields={"rating": problem})
        saved = services.save_answer(
            assessment=assessment,
            criterion=criterion,
            user=request.user,
            rating=rating,
            not_applicable=not_applicable,
            justification=form.cleaned_data["justification"],
            comment=form.cleaned_data["comment"],
            revision=form.cleaned_data["revision"],
        )
    except DomainError as exc:
        return _refused(request, exc, code, anchor)
    if not _wants_json(request):
        messages.success(request, _("%(code)s saved.") % {"code": code})
        return redirect(anchor)
    answered, total = services.progress(assessment)
    return JsonResponse(
        {
            "saved": True,
            "changed": saved.changed,
            "answer": services.answer_data(saved.answer, criterion),
            "progress": {"answered": answered, "total": total},
        }
    )


def _evidence_json(request, assessment, evidence: Evidence) -> dict:
    return {
        "id": evidence.pk,
        "kind": evidence.kind,
        "kind_label": str(evidence.get_kind_display()),
        "name": evidence.original_name,
        "caption": evidence.caption,
        "valid_from": evidence.valid_from.isoformat(),
        "size": evidence.size,
        "url": reverse(
            "standards:assessment_evidence_file", args=[assessment.public_id, evidence.pk]
        ),
        "delete_url": reverse(
            "standards:assessment_evidence_delete", args=[assessment.public_id, evidence.pk]
        ),
    }


@requires("standards.view")
@require_POST
def assessment_evidence_upload(request, public_id, code: str):
    """Add a photo or document to a criterion's answer. A body far above the limit is
    refused before it is read."""
    anchor = reverse("standards:assessment_form", args=[public_id]) + f"#c-{code}"
    try:
        assessment = selectors.assessment_for(request.user, public_id)
        criterion = services.criterion_of(assessment, code)
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > max_bytes() + BODY_SLACK:
            raise ValidationFailed(fields={"file": too_large_message()})
        form = EvidenceForm(request.POST, request.FILES)
        form.is_valid()
        data = form.cleaned_data
        evidence = services.upload_evidence(
            assessment=assessment,
            criterion=criterion,
            user=request.user,
            upload=request.FILES.get("file"),
            kind=request.POST.get("kind", ""),
            valid_from=data.get("valid_from"),
            caption=data.get("caption") or request.POST.get("caption", ""),
        )
    except DomainError as exc:
        return _refused(request, exc, code, anchor)
    if _wants_json(request):
        return JsonResponse(
            {"saved": True, "evidence": _evidence_json(request, assessment, evidence)}, status=201
        )
    messages.success(request, _("The evidence was added to %(code)s.") % {"code": code})
    return redirect(anchor)


def evidence_file_response(request, evidence: Evidence) -> FileResponse:
    """The evidence file as a download (a photo inline with ``?inline=1``), sandboxed and
    never cached; the caller has checked that the user may see the assessment."""
    try:
        handle = services.open_evidence(evidence)
    except FileNotFoundError:
        raise NotFound(_("The file is missing from the store; tell the administrator.")) from None
    inline = evidence.kind == Evidence.Kind.PHOTO and request.GET.get("inline") == "1"
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@requires("standards.view")
@require_GET
def assessment_evidence_file(request, public_id, attachment_id: int):
    """The evidence file, only to those who may see the assessment."""
    assessment = selectors.assessment_for(request.user, public_id)
    return evidence_file_response(request, selectors.evidence_for(assessment, attachment_id))


@requires("standards.view")
@require_POST
def assessment_evidence_delete(request, public_id, attachment_id: int):
    assessment = selectors.assessment_for(request.user, public_id)
    evidence = selectors.evidence_for(assessment, attachment_id)
    anchor = reverse("standards:assessment_form", args=[public_id])
    anchor += f"#c-{evidence.answer.criterion.code}"
    try:
        services.delete_evidence(evidence=evidence, user=request.user)
    except DomainError as exc:
        return _refused(request, exc, evidence.answer.criterion.code, anchor)
    if _wants_json(request):
        return JsonResponse({"deleted": True})
    messages.success(request, _("The evidence was deleted."))
    return redirect(anchor)


# --- the summary ----------------------------------------------------------------------


def _detail_context(request, assessment: Assessment, **extra) -> dict:
    user = request.user
    language = _language()
    result = scoring.score(assessment)
    gaps = scoring.missing(assessment) if assessment.status == Assessment.Status.IN_PROGRESS else []
    in_progress = assessment.status == Assessment.Status.IN_PROGRESS
    findings = list(selectors.findings_of(assessment))
    for finding in findings:
        finding.deletable = in_progress and services.may_delete_finding(user, finding)
    evidence = list(selectors.evidence_of(assessment))
    for item in evidence:
        item.deletable = in_progress and item.uploaded_by_id == user.pk
    criteria = Criterion.objects.filter(version_id=assessment.version_id).order_by("order", "code")
    context = {
        "assessment": assessment,
        "score": result,
        "domains": [(d, str(Domain(d.domain).label)) for d in result.domains.values()],
        "missing": [(c, c.text(language)) for c in gaps],
        "findings": findings,
        "evidence": evidence,
        "assessors": list(assessment.assessors.order_by("last_name", "first_name")),
        "may_work": in_progress and services.may_work(user, assessment),
        "may_submit": in_progress and services.may_submit(user, assessment),
        "may_manage": in_progress and services.may_manage(user, assessment),
        "may_reopen": services.may_reopen(user, assessment),
        "finding_form": FindingForm(criteria=criteria),
        "reopen_form": ReopenForm(),
    }
    context.update(extra)
    return context


@requires("standards.view")
@require_GET
def assessment_detail(request, public_id):
    assessment = selectors.assessment_for(request.user, public_id)
    return render(
        request, "standards/assessments/detail.html", _detail_context(request, assessment)
    )


@requires("standards.view")
def assessment_edit(request, public_id):
    user = request.user
    assessment = selectors.assessment_for(user, public_id)
    if not services.may_manage(user, assessment):
        services.check_may_work(user, assessment)
        raise PermissionDenied(_("Only the lead assessor or a national administrator may do this."))
    services.check_in_progress(assessment)
    people = list(services.auditors()) if assessment.kind == Assessment.Kind.EXTERNAL else []
    initial = {
        "title": assessment.title,
        "visit_on": assessment.visit_on,
        "summary": assessment.summary,
        "row_version": assessment.row_version,
        "lead": str(assessment.lead_id or ""),
        "assessors": [str(pk) for pk in assessment.assessors.values_list("pk", flat=True)],
    }
    form = AssessmentEditForm(
        request.POST or None, initial=initial, assessment=assessment, auditors=people
    )
    conflict, status = False, 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            team = {}
            if "lead" in form.fields:
                chosen = set(data["assessors"])
                team = {
                    "lead": _user(data["lead"], people),
                    "assessors": [u for u in people if str(u.pk) in chosen],
                }
            try:
                services.update_assessment(
                    assessment=assessment,
                    user=user,
                    row_version=data["row_version"],
                    title=data["title"],
                    visit_on=data["visit_on"],
                    summary=data["summary"],
                    **team,
                )
            except Conflict:
                # Show what is saved now; the form keeps the user's values on top of it.
                assessment.refresh_from_db()
                conflict, status = True, 409
                data = request.POST.copy()
                data["row_version"] = str(assessment.row_version)
                form = AssessmentEditForm(data, assessment=assessment, auditors=people)
                form.is_valid()
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The assessment is updated."))
                return redirect("standards:assessment_detail", public_id=assessment.public_id)
    return render(
        request,
        "standards/assessments/edit.html",
        {"assessment": assessment, "form": form, "conflict": conflict},
        status=status,
    )


@requires("standards.view")
@require_POST
def assessment_finding_add(request, public_id):
    user = request.user
    assessment = selectors.assessment_for(user, public_id)
    criteria = Criterion.objects.filter(version_id=assessment.version_id).order_by("order", "code")
    form = FindingForm(request.POST, criteria=criteria)
    if form.is_valid():
        data = form.cleaned_data
        criterion = criteria.filter(code=data["criterion"]).first() if data["criterion"] else None
        try:
            services.add_finding(
                assessment=assessment,
                user=user,
                kind=data["kind"],
                text=data["text"],
                criterion=criterion,
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The finding was added."))
            return redirect(
                reverse("standards:assessment_detail", args=[assessment.public_id]) + "#findings"
            )
    return render(
        request,
        "standards/assessments/detail.html",
        _detail_context(request, assessment, finding_form=form),
        status=422,
    )


@requires("standards.view")
@require_POST
def assessment_finding_delete(request, public_id, pk: int):
    assessment = selectors.assessment_for(request.user, public_id)
    finding = selectors.finding_for(assessment, pk)
    services.delete_finding(finding=finding, user=request.user)
    messages.success(request, _("The finding was deleted."))
    return redirect(
        reverse("standards:assessment_detail", args=[assessment.public_id]) + "#findings"
    )


@requires("standards.view")
@require_POST
def assessment_submit(request, public_id):
    assessment = selectors.assessment_for(request.user, public_id)
    try:
        services.submit(assessment, user=request.user)
    except ValidationFailed as exc:
        messages.error(request, _("Not submitted: rate every criterion or mark it N/A first."))
        assessment.refresh_from_db()
        return render(
            request,
            "standards/assessments/detail.html",
            _detail_context(request, assessment, submit_refused=exc.extra.get("missing", [])),
            status=422,
        )
    messages.success(request, _("The assessment is submitted."))
    return redirect("standards:assessment_detail", public_id=assessment.public_id)


@requires("standards.audit")
@require_POST
def assessment_reopen(request, public_id):
    assessment = selectors.assessment_for(request.user, public_id)
    form = ReopenForm(request.POST)
    reason = request.POST.get("reason", "")
    try:
        services.reopen(assessment, user=request.user, reason=reason)
    except ValidationFailed as exc:
        form.is_valid()
        add_domain_errors(form, exc)
        return render(
            request,
            "standards/assessments/detail.html",
            _detail_context(request, assessment, reopen_form=form),
            status=422,
        )
    messages.success(request, _("The assessment is reopened."))
    return redirect("standards:assessment_detail", public_id=assessment.public_id)


# --- schedules ------------------------------------------------------------------------


def _schedule_people(kind: str, facility: Facility | None) -> list:
    """Who may be a schedule's assessor: assessors for an audit; for a self-assessment,
    whoever does them for the centre (its staff, its province, the nation)."""
    if kind == Assessment.Kind.EXTERNAL or facility is None:
        return list(services.auditors())
    in_scope = (
        Q(scope_level=ScopeLevel.FACILITY, facility=facility)
        | Q(scope_level=ScopeLevel.PROVINCE, province_code=facility.province_code)
        | Q(scope_level=ScopeLevel.NATION)
    )
    roles = [r for r, actions in PERMISSIONS.items() if "standards.self_assess" in actions]
    return list(
        get_user_model()
        .objects.filter(in_scope, is_active=True, role__in=roles)
        .order_by("last_name", "first_name", "username")
    )


@requires("standards.view")
def schedule_list(request):
    user = request.user
    today = timezone.localdate()
    rows = list(selectors.schedules_visible_to(user)[:500])
    for row in rows:
        row.overdue = row.next_due < today
        row.due_soon = not row.overdue and (row.next_due - today).days <= schedules.DUE_SOON_DAYS
        row.editable = schedules.may_manage_schedule(user, kind=row.kind, facility=row.facility)
    return render(
        request,
        "standards/assessments/schedules.html",
        {"schedules": rows, "may_plan": can(user, "standards.self_assess")},
    )


@requires("standards.self_assess")
def schedule_create(request):
    user = request.user
    facilities = list(_facilities(user))
    kind = request.POST.get("kind") or request.GET.get("kind") or Assessment.Kind.SELF
    code = request.POST.get("facility") or request.GET.get("facility") or ""
    facility = next((f for f in facilities if f.code == code), None) or (
        facilities[0] if facilities else None
    )
    people = _schedule_people(kind, facility)
    form = ScheduleForm(
        request.POST or None,
        initial={
            "kind": kind,
            "facility": facility.code if facility else "",
            "interval_months": 12,
        },
        facilities=facilities,
        catalogues=services.catalogues_for(),
        people=people,
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                schedules.create_schedule(
                    user=user,
                    facility=_facility(user, data["facility"]),
                    catalogue=_catalogue(data["catalogue"]),
                    kind=data["kind"],
                    next_due=data["next_due"],
                    interval_months=data["interval_months"],
                    assessor=_user(data["assessor"], people),
                )
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The schedule is saved."))
                return redirect("standards:schedule_list")
    return render(
        request,
        "standards/assessments/schedule_form.html",
        {"form": form, "schedule": None, "may_audit": can(user, "standards.audit")},
        status=status,
    )


@requires("standards.self_assess")
def schedule_edit(request, pk: int):
    user = request.user
    schedule = selectors.schedule_for(user, pk)
    people = _schedule_people(schedule.kind, schedule.facility)
    form = ScheduleForm(
        request.POST or None,
        initial={
            "next_due": schedule.next_due,
            "interval_months": schedule.interval_months,
            "assessor": str(schedule.assessor_id or ""),
        },
        people=people,
        editing=True,
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                schedules.update_schedule(
                    schedule=schedule,
                    user=user,
                    next_due=data["next_due"],
                    interval_months=data["interval_months"],
                    assessor=_user(data["assessor"], people),
                )
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The schedule is saved."))
                return redirect("standards:schedule_list")
    return render(
        request,
        "standards/assessments/schedule_form.html",
        {"form": form, "schedule": schedule},
        status=status,
    )


@requires("standards.self_assess")
@require_POST
def schedule_delete(request, pk: int):
    schedule = selectors.schedule_for(request.user, pk)
    schedules.delete_schedule(schedule=schedule, user=request.user)
    messages.success(request, _("The schedule is deleted."))
    return redirect("standards:schedule_list")
