"""Doing assessments: a centre's self-assessment and an external audit, against one
adopted catalogue version.

* ``start_self_assessment``: ``standards.self_assess``, a centre in the user's scope,
  a catalogue whose functions match the centre's; the catalogue's adopted version is
  used. ``create_audit``: ``standards.audit``; a lead and assessors holding it.
  One assessment of a kind per centre and catalogue is in progress at a time.
* Who works on one (:func:`may_work`): a self-assessment, whoever holds
  ``standards.self_assess`` for the centre; an audit, its lead and assessors (and a
  national administrator) — an assessor never works on an audit they are not
  assigned to.
* ``save_answer`` is idempotent and ordered by the client's ``revision`` (a number
  that grows with each change of one criterion's answer on the client): a save with
  a revision below the stored one, or the same revision with other content, is a
  ``Conflict`` carrying the stored answer, so a replayed offline save never
  overwrites a newer one; the same save twice changes nothing.
* Evidence per answer (photos: JPEG/PNG; documents: PDF, images, DOCX, XLSX), checked
  by content, with the date it is valid from (not in the future); deleted by its
  uploader while the assessment is in progress.
* ``submit`` refuses while criteria are unrated (naming them), stores the score,
  turns recommendations into actions and moves the centre's schedule on. A submitted
  assessment is read-only until a national administrator reopens it with a reason.
* Schedules and their reminders: :mod:`rehsos.standards.services_schedules`.
"""

import calendar
import datetime
from dataclasses import dataclass

from auditlog.context import set_actor
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rehsos.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from rehsos.core.permissions import can, scoped
from rehsos.core.roles import PERMISSIONS, Role
from rehsos.core.uploads import DOCUMENTS, IMAGES, check_upload, store, upload_problem
from rehsos.facilities.models import Facility
from rehsos.standards import scoring
from rehsos.standards.models import (
    SCALE_LEVELS,
    Answer,
    Assessment,
    Catalogue,
    CatalogueVersion,
    Criterion,
    Evidence,
    Finding,
    Schedule,
)

MIN_REASON = 10
TEXT_MAX = 4000
TITLE_MAX = 200
CAPTION_MAX = 200
EVIDENCE_PREFIX = "standards/evidence"


class ReadOnly(DomainError):
    """The assessment is submitted (or closed): nothing of it changes until reopened."""

    status = 409
    code = "assessment_submitted"
    title = gettext_lazy("The assessment is submitted")


def _read_only(assessment: Assessment) -> ReadOnly:
    return ReadOnly(
        _(
            "This assessment was submitted and is read-only. A national administrator can "
            "reopen it with a reason."
        )
    )


def _roles_with(action: str) -> list[str]:
    return [role for role, actions in PERMISSIONS.items() if action in actions]


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by whole months; the 31st becomes the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


# --- catalogues that apply ------------------------------------------------------------


def applies_to(catalogue: Catalogue, facility: Facility) -> bool:
    """A catalogue applies to a centre when it names no function, or shares one."""
    wanted = set(catalogue.clusters or [])
    return not wanted or bool(wanted & set(facility.clusters or []))


def adopted_version(catalogue: Catalogue, on: datetime.date | None = None):
    """The catalogue's adopted version in force on ``on`` (today), or None."""
    on = on or timezone.localdate()
    return (
        CatalogueVersion.objects.filter(catalogue=catalogue, status=CatalogueVersion.Status.ADOPTED)
        .filter(Q(effective_from__isnull=True) | Q(effective_from__lte=on))
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .order_by("-number")
        .first()
    )


def catalogues_for(facility: Facility | None = None) -> list[Catalogue]:
    """Catalogues with an adopted version in force (that apply to ``facility``)."""
    today = timezone.localdate()
    in_force = (
        CatalogueVersion.objects.filter(status=CatalogueVersion.Status.ADOPTED)
        .filter(Q(effective_from__isnull=True) | Q(effective_from__lte=today))
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=today))
    )
    found = Catalogue.objects.filter(pk__in=in_force.values("catalogue_id")).order_by("code")
    return [c for c in found if facility is None or applies_to(c, facility)]


# --- who may do what ------------------------------------------------------------------


def is_assigned(user, assessment: Assessment) -> bool:
    if assessment.lead_id == user.pk:
        return True
    return assessment.assessors.filter(pk=user.pk).exists()


def _in_scope(user, assessment: Assessment) -> bool:
    return scoped(user, Assessment.objects.filter(pk=assessment.pk)).exists()


def may_work(user, assessment: Assessment) -> bool:
    """May rate, comment, add evidence and findings (while in progress)."""
    if assessment.kind == Assessment.Kind.SELF:
        return can(user, "standards.self_assess") and _in_scope(user, assessment)
    if not can(user, "standards.audit"):
        return False
    return user.role == Role.NATIONAL_ADMIN or is_assigned(user, assessment)


def may_submit(user, assessment: Assessment) -> bool:
    """A self-assessment: whoever works on it; an audit: its lead (or, without a lead,
    an assigned assessor) or a national administrator."""
    if not may_work(user, assessment):
        return False
    if assessment.kind == Assessment.Kind.SELF or user.role == Role.NATIONAL_ADMIN:
        return True
    return assessment.lead_id == user.pk if assessment.lead_id else True


def may_manage(user, assessment: Assessment) -> bool:
    """May change the title, visit date, summary and (audits) the assignment."""
    return may_submit(user, assessment)


def may_reopen(user, assessment: Assessment) -> bool:
    return (
        user.role == Role.NATIONAL_ADMIN
        and can(user, "standards.audit")
        and assessment.status == Assessment.Status.SUBMITTED
    )


def check_may_work(user, assessment: Assessment) -> None:
    if may_work(user, assessment):
        return
    if assessment.kind == Assessment.Kind.EXTERNAL:
        raise PermissionDenied(
            _("You are not assigned to this audit. Ask its lead or a national administrator.")
        )
    raise PermissionDenied(_("Only the centre's own staff work on its self-assessment."))


def check_in_progress(assessment: Assessment) -> None:
    if assessment.status != Assessment.Status.IN_PROGRESS:
        raise _read_only(assessment)


def auditors():
    """Users who may lead or join an external audit."""
    return (
        get_user_model()
        .objects.filter(is_active=True, role__in=_roles_with("standards.audit"))
        .order_by("last_name", "first_name", "username")
    )


# --- starting -------------------------------------------------------------------------


def _clean_title(title: str, errors: dict) -> str:
    title = " ".join((title or "").split())
    if len(title) > TITLE_MAX:
        errors["title"] = _("Enter at most %(limit)s characters.") % {"limit": TITLE_MAX}
    return title


def _version_for(catalogue, facility, errors: dict):
    if catalogue is None:
        errors["catalogue"] = _("Choose a catalogue.")
        return None
    if facility is not None and not applies_to(catalogue, facility):
        errors["catalogue"] = _(
            "This catalogue is for other functions than those of %(centre)s."
        ) % {"centre": facility.name}
        return None
    version = adopted_version(catalogue)
    if version is None:
        errors["catalogue"] = _(
            "This catalogue has no adopted version in force; adopt one before assessing."
        )
    return version


def _one_in_progress(facility: Facility, catalogue: Catalogue, kind: str) -> None:
    running = Assessment.objects.filter(
        facility=facility,
        version__catalogue=catalogue,
        kind=kind,
        status=Assessment.Status.IN_PROGRESS,
    ).first()
    if running is not None:
        raise ValidationFailed(
            fields={
                "catalogue": _(
                    "An assessment of this kind against this catalogue is already in progress "
                    "at this centre (started %(date)s): continue it instead."
                )
                % {"date": running.started_on.isoformat()}
            },
            extra={"assessment": str(running.public_id)},
        )


def _check_start(started_on: datetime.date, errors: dict) -> None:
    if started_on > timezone.localdate():
        errors["started_on"] = _("The start date cannot be in the future.")


def _check_follows(follows: Assessment | None, facility: Facility, errors: dict) -> None:
    if follows is None:
        return
    if follows.facility_id != facility.pk or follows.status == Assessment.Status.IN_PROGRESS:
        errors["follows"] = _("Choose a submitted assessment of the same centre.")


def start_self_assessment(
    *,
    user,
    facility: Facility,
    catalogue: Catalogue | None,
    started_on: datetime.date | None = None,
    title: str = "",
    follows: Assessment | None = None,
) -> Assessment:
    """Start the centre's self-assessment against the catalogue's adopted version
    (``follows``: the earlier assessment of the centre it repeats)."""
    if not can(user, "standards.self_assess"):
        raise PermissionDenied(_("You may not start a self-assessment."))
    if not scoped(user, Facility.objects.filter(pk=facility.pk)).exists():
        raise NotFound(_("No such centre in your scope."))
    started_on = started_on or timezone.localdate()
    errors: dict = {}
    title = _clean_title(title, errors)
    version = _version_for(catalogue, facility, errors)
    _check_start(started_on, errors)
    _check_follows(follows, facility, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic(), set_actor(user):
        Facility.objects.select_for_update().filter(pk=facility.pk).first()
        _one_in_progress(facility, catalogue, Assessment.Kind.SELF)
        return Assessment.objects.create(
            facility=facility,
            version=version,
            kind=Assessment.Kind.SELF,
            title=title,
            started_on=started_on,
            follows=follows,
        )


def _check_team(lead, assessors, errors: dict) -> list:
    allowed = set(_roles_with("standards.audit"))
    team = list(dict.fromkeys(assessors or []))
    if lead is None:
        errors["lead"] = _("Choose the lead assessor.")
    elif not lead.is_active or lead.role not in allowed:
        errors["lead"] = _("The lead must be an active assessor or national administrator.")
    bad = [u for u in team if not u.is_active or u.role not in allowed]
    if bad:
        errors["assessors"] = _("Not an active assessor: %(names)s.") % {
            "names": ", ".join(u.get_username() for u in bad)
        }
    return [u for u in team if lead is None or u.pk != lead.pk]


def create_audit(
    *,
    user,
    facility: Facility,
    catalogue: Catalogue | None,
    lead,
    assessors=(),
    visit_on: datetime.date | None = None,
    started_on: datetime.date | None = None,
    title: str = "",
    follows: Assessment | None = None,
) -> Assessment:
    """Create an external audit of a centre and assign its lead and assessors
    (``follows``: the earlier assessment it repeats, e.g. the audit before the works)."""
    if not can(user, "standards.audit"):
        raise PermissionDenied(_("You may not create an external audit."))
    if not scoped(user, Facility.objects.filter(pk=facility.pk)).exists():
        raise NotFound(_("No such centre in your scope."))
    started_on = started_on or timezone.localdate()
    errors: dict = {}
    title = _clean_title(title, errors)
    version = _version_for(catalogue, facility, errors)
    team = _check_team(lead, assessors, errors)
    _check_start(started_on, errors)
    _check_follows(follows, facility, errors)
    creator_outside = lead is not None and lead.pk != user.pk and user not in team
    if user.role != Role.NATIONAL_ADMIN and "lead" not in errors and creator_outside:
        errors["assessors"] = _("Include yourself in the team of an audit you create.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic(), set_actor(user):
        Facility.objects.select_for_update().filter(pk=facility.pk).first()
        _one_in_progress(facility, catalogue, Assessment.Kind.EXTERNAL)
        assessment = Assessment.objects.create(
            facility=facility,
            version=version,
            kind=Assessment.Kind.EXTERNAL,
            title=title,
            started_on=started_on,
            visit_on=visit_on,
            lead=lead,
            follows=follows,
        )
        assessment.assessors.set(team)
    return assessment


_UNSET = object()


def update_assessment(
    *,
    assessment: Assessment,
    user,
    row_version: int | None,
    title: str,
    visit_on: datetime.date | None,
    summary: str,
    lead=_UNSET,
    assessors=_UNSET,
) -> Assessment:
    """Change the assessment's own fields; an audit's team too (lead or national admin)."""
    if not may_manage(user, assessment):
        check_may_work(user, assessment)
        raise PermissionDenied(_("Only the lead assessor or a national administrator may do this."))
    errors: dict = {}
    title = _clean_title(title, errors)
    summary = (summary or "").strip()
    if len(summary) > TEXT_MAX:
        errors["summary"] = _("Enter at most %(limit)s characters.") % {"limit": TEXT_MAX}
    change_team = assessment.kind == Assessment.Kind.EXTERNAL and lead is not _UNSET
    team = []
    if change_team:
        team = _check_team(lead, [] if assessors is _UNSET else assessors, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic(), set_actor(user):
        current = Assessment.objects.select_for_update().get(pk=assessment.pk)
        check_in_progress(current)
        if row_version is not None and current.row_version != row_version:
            raise Conflict(
                _("Someone else changed this assessment after you opened it."),
                extra={"current_version": current.row_version, "your_version": row_version},
            )
        current.title, current.visit_on, current.summary = title, visit_on, summary
        current.row_version += 1
        fields = ["title", "visit_on", "summary", "row_version", "updated_at"]
        if change_team:
            current.lead = lead
            fields.append("lead")
        current.save(update_fields=fields)
        if change_team:
            current.assessors.set(team)
    return current


# --- answers --------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedAnswer:
    answer: Answer
    changed: bool  # False: the same save was already stored (a replay)


def levels(criterion: Criterion) -> tuple[int, ...]:
    return tuple(rating for rating, _label, _share in SCALE_LEVELS.get(criterion.scale, ()))


def criterion_of(assessment: Assessment, code: str) -> Criterion:
    criterion = Criterion.objects.filter(version_id=assessment.version_id, code=code).first()
    if criterion is None:
        raise NotFound(_("No criterion %(code)s in this assessment's catalogue.") % {"code": code})
    return criterion


def answer_data(answer: Answer | None, criterion: Criterion | None = None) -> dict:
    """An answer as plain data (the pages' JSON and the API's conflict body)."""
    if answer is None:
        return {
            "criterion": criterion.code if criterion else None,
            "rating": None,
            "not_applicable": False,
            "justification": "",
            "comment": "",
            "revision": 0,
            "answered_at": None,
            "answered_by": None,
        }
    by = answer.answered_by
    return {
        "criterion": (criterion or answer.criterion).code,
        "rating": answer.rating,
        "not_applicable": answer.not_applicable,
        "justification": answer.justification,
        "comment": answer.comment,
        "revision": answer.revision,
        "answered_at": answer.answered_at.isoformat() if answer.answered_at else None,
        "answered_by": (by.get_full_name() or by.get_username()) if by else None,
    }


def _stale(answer: Answer, criterion: Criterion, revision: int) -> Conflict:
    return Conflict(
        _(
            "A newer answer to %(code)s was saved (revision %(theirs)s; yours %(yours)s). "
            "Yours was not saved; the newer one is shown."
        )
        % {"code": criterion.code, "theirs": answer.revision, "yours": revision},
        code="stale_answer",
        extra={"current": answer_data(answer, criterion)},
    )


def _clean_answer(criterion, rating, not_applicable, justification, comment, revision):
    errors: dict = {}
    justification = (justification or "").strip()
    comment = (comment or "").strip()
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 1:
        errors["revision"] = _("Give the revision of this change: a whole number from 1.")
    if not_applicable:
        if rating is not None:
            errors["rating"] = _("A criterion that does not apply has no rating.")
        if not justification:
            errors["justification"] = _("Say why the criterion does not apply to this centre.")
        elif len(justification) > TEXT_MAX:
            errors["justification"] = _("Enter at most %(limit)s characters.") % {"limit": TEXT_MAX}
    else:
        justification = ""
        allowed = levels(criterion)
        if rating is not None and (isinstance(rating, bool) or rating not in allowed):
            errors["rating"] = _("Choose one of the levels of the scale: %(levels)s.") % {
                "levels": ", ".join(
                    f"{r} ({label})" for r, label, _s in SCALE_LEVELS[criterion.scale]
                )
            }
    if len(comment) > TEXT_MAX:
        errors["comment"] = _("Enter at most %(limit)s characters.") % {"limit": TEXT_MAX}
    if errors:
        raise ValidationFailed(fields=errors)
    return (rating if not not_applicable else None), bool(not_applicable), justification, comment


def save_answer(
    *,
    assessment: Assessment,
    criterion: Criterion,
    user,
    rating: int | None,
    not_applicable: bool = False,
    justification: str = "",
    comment: str = "",
    revision: int,
) -> SavedAnswer:
    """Store one criterion's whole answer (see the module's docstring on revisions)."""
    check_in_progress(assessment)
    check_may_work(user, assessment)
    if criterion.version_id != assessment.version_id:
        raise NotFound(_("No such criterion in this assessment's catalogue."))
    content = _clean_answer(criterion, rating, not_applicable, justification, comment, revision)
    with transaction.atomic(), set_actor(user):
        # Fixed lock order: the assessment (so a submit never interleaves), then the answer.
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        check_in_progress(locked)
        answer = (
            Answer.objects.select_for_update(of=("self",))
            .select_related("answered_by")
            .filter(assessment_id=assessment.pk, criterion=criterion)
            .first()
        )
        if answer is None:
            answer = Answer(assessment=locked, criterion=criterion)
        stored = (answer.rating, answer.not_applicable, answer.justification, answer.comment)
        if answer.pk and revision <= answer.revision:
            if revision == answer.revision and stored == content:
                return SavedAnswer(answer, changed=False)
            raise _stale(answer, criterion, revision)
        answer.rating, answer.not_applicable, answer.justification, answer.comment = content
        answer.revision = revision
        answer.answered_by = user
        answer.answered_at = timezone.now()
        answer.save()
    return SavedAnswer(answer, changed=True)


def progress(assessment: Assessment) -> tuple[int, int]:
    """(answered: rated or N/A, criteria) of the assessment."""
    total = Criterion.objects.filter(version_id=assessment.version_id).count()
    answered = (
        Answer.objects.filter(assessment_id=assessment.pk)
        .filter(Q(rating__isnull=False) | Q(not_applicable=True))
        .count()
    )
    return answered, total


# --- evidence -------------------------------------------------------------------------


def upload_evidence(
    *,
    assessment: Assessment,
    criterion: Criterion,
    user,
    upload,
    kind: str,
    valid_from: datetime.date | None,
    caption: str = "",
) -> Evidence:
    """Check and store a photo or document as evidence of the criterion's answer."""
    check_in_progress(assessment)
    check_may_work(user, assessment)
    if criterion.version_id != assessment.version_id:
        raise NotFound(_("No such criterion in this assessment's catalogue."))
    errors: dict = {}
    if kind not in Evidence.Kind.values:
        errors["kind"] = _("Choose photo or document.")
    if valid_from is None:
        errors["valid_from"] = _(
            "Give the date the evidence shows the situation (a photo's day, a document's date)."
        )
    elif valid_from > timezone.localdate():
        errors["valid_from"] = _("The date the evidence is valid from cannot be in the future.")
    caption = " ".join((caption or "").split())
    if len(caption) > CAPTION_MAX:
        errors["caption"] = _("Enter at most %(limit)s characters.") % {"limit": CAPTION_MAX}
    allowed = IMAGES if kind == Evidence.Kind.PHOTO else DOCUMENTS
    problem = upload_problem(upload, allowed)
    if problem:
        errors["file"] = problem
    if errors:
        raise ValidationFailed(fields=errors)

    checked = check_upload(upload, field="file", allowed=allowed)
    stored = store(checked, EVIDENCE_PREFIX)
    try:
        with transaction.atomic(), set_actor(user):
            locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
            check_in_progress(locked)
            answer, _created = Answer.objects.get_or_create(assessment=locked, criterion=criterion)
            evidence = Evidence.objects.create(
                answer=answer,
                kind=kind,
                file=stored,
                original_name=checked.original_name[:200],
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                caption=caption,
                valid_from=valid_from,
                uploaded_by=user,
            )
    except BaseException:
        default_storage.delete(stored)
        raise
    return evidence


def may_delete_evidence(user, evidence: Evidence) -> bool:
    return (
        evidence.uploaded_by_id == user.pk
        and evidence.answer.assessment.status == Assessment.Status.IN_PROGRESS
    )


def delete_evidence(*, evidence: Evidence, user) -> None:
    assessment = evidence.answer.assessment
    check_in_progress(assessment)
    if evidence.uploaded_by_id != user.pk:
        raise PermissionDenied(_("Only the person who uploaded the evidence may delete it."))
    name = evidence.file.name
    with transaction.atomic(), set_actor(user):
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        check_in_progress(locked)
        evidence.delete()
        transaction.on_commit(lambda: default_storage.delete(name))


def open_evidence(evidence: Evidence):
    return default_storage.open(evidence.file.name, "rb")


# --- findings -------------------------------------------------------------------------


def add_finding(
    *, assessment: Assessment, user, kind: str, text: str, criterion: Criterion | None = None
) -> Finding:
    check_in_progress(assessment)
    check_may_work(user, assessment)
    errors: dict = {}
    if kind not in Finding.Kind.values:
        errors["kind"] = _("Choose strength, advice or recommendation.")
    text = (text or "").strip()
    if not text:
        errors["text"] = _("Write the finding.")
    elif len(text) > TEXT_MAX:
        errors["text"] = _("Enter at most %(limit)s characters.") % {"limit": TEXT_MAX}
    if criterion is not None and criterion.version_id != assessment.version_id:
        errors["criterion"] = _("Choose a criterion of this assessment's catalogue.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic(), set_actor(user):
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        check_in_progress(locked)
        return Finding.objects.create(
            assessment=locked, criterion=criterion, kind=kind, text=text, created_by=user
        )


def may_delete_finding(user, finding: Finding) -> bool:
    assessment = finding.assessment
    if assessment.status != Assessment.Status.IN_PROGRESS or not may_work(user, assessment):
        return False
    return finding.created_by_id == user.pk or may_submit(user, assessment)


def delete_finding(*, finding: Finding, user) -> None:
    check_in_progress(finding.assessment)
    if not may_delete_finding(user, finding):
        raise PermissionDenied(
            _("Only the finding's author or whoever submits the assessment may delete it.")
        )
    with transaction.atomic(), set_actor(user):
        Assessment.objects.select_for_update().get(pk=finding.assessment_id)
        finding.delete()


# --- submit and reopen ----------------------------------------------------------------


def missing_data(criteria: list[Criterion], language: str | None = None) -> list[dict]:
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return [
        {"code": c.code, "domain": c.domain, "text": c.text(language), "critical": c.critical}
        for c in criteria
    ]


def _create_actions(assessment: Assessment, user) -> list:
    """Recommendations → actions of the improvement plan (the actions part's service,
    when it is installed)."""
    try:
        from rehsos.standards import services_actions
    except ImportError:
        return []
    create = getattr(services_actions, "create_from_findings", None)
    return list(create(assessment, user=user) or []) if create else []


def _move_schedule(assessment: Assessment, submitted_on: datetime.date) -> Schedule | None:
    schedule = (
        Schedule.objects.select_for_update()
        .filter(
            facility_id=assessment.facility_id,
            catalogue_id=assessment.version.catalogue_id,
            kind=assessment.kind,
        )
        .first()
    )
    if schedule is None:
        return None
    schedule.next_due = add_months(submitted_on, schedule.interval_months)
    schedule.save(update_fields=["next_due"])
    return schedule


def submit(assessment: Assessment, *, user) -> Assessment:
    """Submit: every criterion rated or N/A, else ``ValidationFailed`` listing the
    missing ones (field ``answers``; ``extra["missing"]``: code, domain, text)."""
    with transaction.atomic(), set_actor(user):
        locked = (
            Assessment.objects.select_for_update(of=("self",))
            .select_related("version", "facility")
            .get(pk=assessment.pk)
        )
        check_in_progress(locked)
        if not may_submit(user, locked):
            check_may_work(user, locked)
            raise PermissionDenied(_("Only the lead assessor submits the audit."))
        gaps = scoring.missing(locked)
        if gaps:
            language = translation.get_language() or settings.LANGUAGE_CODE
            listed = "; ".join(f"{c.code} {c.text(language)}" for c in gaps)
            message = _("%(count)s criteria are not rated yet: %(list)s") % {
                "count": len(gaps),
                "list": listed,
            }
            raise ValidationFailed(
                message,
                fields={"answers": message},
                code="unrated_criteria",
                extra={"missing": missing_data(gaps, language)},
            )
        result = scoring.score(locked)
        now = timezone.now()
        locked.score = result.percent
        locked.passed = result.passed
        locked.status = Assessment.Status.SUBMITTED
        locked.submitted_at = now
        locked.submitted_by = user
        locked.row_version = F("row_version") + 1
        locked.save(
            update_fields=[
                "score",
                "passed",
                "status",
                "submitted_at",
                "submitted_by",
                "row_version",
                "updated_at",
            ]
        )
        locked.refresh_from_db(fields=["row_version"])
        _create_actions(locked, user)
        _move_schedule(locked, timezone.localdate(now))
    return locked


def reopen(assessment: Assessment, *, user, reason: str) -> Assessment:
    """A national administrator reopens a submitted assessment, saying why. Its stored
    score is cleared until it is submitted again."""
    if user.role != Role.NATIONAL_ADMIN or not can(user, "standards.audit"):
        raise PermissionDenied(_("Only a national administrator may reopen an assessment."))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationFailed(
            fields={
                "reason": _("Say why it is reopened (at least %(min)d characters).")
                % {"min": MIN_REASON}
            }
        )
    if len(reason) > TEXT_MAX:
        raise ValidationFailed(
            fields={"reason": _("Enter at most %(limit)s characters.") % {"limit": TEXT_MAX}}
        )
    with transaction.atomic(), set_actor(user):
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.status != Assessment.Status.SUBMITTED:
            raise ValidationFailed(
                fields={"status": _("Only a submitted assessment can be reopened.")}
            )
        locked.status = Assessment.Status.IN_PROGRESS
        locked.score = None
        locked.passed = None
        locked.submitted_at = None
        locked.submitted_by = None
        locked.reopened_at = timezone.now()
        locked.reopened_by = user
        locked.reopen_reason = reason
        locked.row_version += 1
        locked.save(
            update_fields=[
                "status",
                "score",
                "passed",
                "submitted_at",
                "submitted_by",
                "reopened_at",
                "reopened_by",
                "reopen_reason",
                "row_version",
                "updated_at",
            ]
        )
    return locked
