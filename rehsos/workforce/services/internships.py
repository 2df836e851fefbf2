"""Overseas internships (e.g. trainers to Japan): calls, applications, scoring,
selection and placements.

* A call (``workforce.manage_internships``) has eligibility rules and scoring criteria
  (shapes in :mod:`rehsos.workforce.eligibility`), changeable while it is a draft. Its
  status moves draft → open → selection → decided → closed.
* An application (``workforce.apply``) is made by a staff member for themselves (their
  account is linked to their staff record) or by the head of centre for one of their
  staff, while the call is open. Eligibility is checked on submission and every rule's
  result is stored with its reason.
* In selection the panel enters points per criterion (0..max); the total is
  Σ weight × points / max, out of 100 (``eligibility.weighted_total``).
* Decisions: selected, reserve or not selected, each with a written rationale; never
  more selected than the call has places. Decisions may still change once the call is
  decided (a reserve moves up when someone withdraws).
* The cohort is the selected applications, each with its host institution and dates.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rehsos.core.errors import PermissionDenied, ValidationFailed
from rehsos.core.permissions import can, require, scoped
from rehsos.partners.models import Agreement, Partner
from rehsos.workforce import eligibility
from rehsos.workforce.models import Application, InternshipCall, StaffMember
from rehsos.workforce.ratios import active_staff
from rehsos.workforce.services import check_version

MIN_RATIONALE = 10
MAX_PLACES = 1000
Status = InternshipCall.Status
Decision = Application.Decision
TRANSITIONS = {
    Status.DRAFT: {Status.OPEN},
    Status.OPEN: {Status.SELECTION},
    Status.SELECTION: {Status.DECIDED},
    Status.DECIDED: {Status.CLOSED},
    Status.CLOSED: set(),
}
DECISIONS = (Decision.SELECTED, Decision.RESERVE, Decision.REJECTED)
CALL_FIELDS = (
    "title",
    "partner",
    "agreement",
    "country",
    "description",
    "opens_on",
    "closes_on",
    "places",
    "eligibility",
    "scoring",
)


# --- calls ----------------------------------------------------------------------------


def _clean_call(data: dict) -> dict:
    errors: dict[str, str] = {}
    cleaned: dict = {}
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = _("This field is required.")
    elif len(title) > 300:
        errors["title"] = _("Enter at most %(n)d characters.") % {"n": 300}
    cleaned["title"] = title
    cleaned["description"] = (data.get("description") or "").strip()
    country = (data.get("country") or "").strip().upper()
    if len(country) != 2 or not country.isalpha():
        errors["country"] = _("Enter the country's two-letter code (ISO 3166-1), e.g. JP.")
    cleaned["country"] = country
    partner, agreement = data.get("partner"), data.get("agreement")
    if partner is not None and not isinstance(partner, Partner):
        errors["partner"] = _("No such partner.")
    if agreement is not None:
        if not isinstance(agreement, Agreement):
            errors["agreement"] = _("No such agreement.")
        elif partner is not None and agreement.partner_id != partner.pk:
            errors["agreement"] = _("The agreement is not the partner's.")
        elif partner is None:
            partner = agreement.partner
    cleaned["partner"], cleaned["agreement"] = partner, agreement
    opens_on, closes_on = data.get("opens_on"), data.get("closes_on")
    if not isinstance(opens_on, datetime.date):
        errors["opens_on"] = _("Enter the day the call opens.")
    if not isinstance(closes_on, datetime.date):
        errors["closes_on"] = _("Enter the day the call closes.")
    elif isinstance(opens_on, datetime.date) and closes_on < opens_on:
        errors["closes_on"] = _("The call closes before it opens.")
    cleaned["opens_on"], cleaned["closes_on"] = opens_on, closes_on
    places = data.get("places")
    if isinstance(places, bool) or not isinstance(places, int) or not 1 <= places <= MAX_PLACES:
        errors["places"] = _("Enter 1 to %(n)d places.") % {"n": MAX_PLACES}
    cleaned["places"] = places
    for name, check in (
        ("eligibility", eligibility.validate_rules),
        ("scoring", eligibility.validate_scoring),
    ):
        try:
            cleaned[name] = check(data.get(name)) or []
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(fields=errors)
    return cleaned


def create_call(user, **data) -> InternshipCall:
    require(user, "workforce.manage_internships")
    return InternshipCall.objects.create(**_clean_call(data))


def update_call(user, call: InternshipCall, *, version: int | None, **data) -> InternshipCall:
    """Eligibility rules and scoring criteria change only while the call is a draft;
    the rest until it is closed. Places never fall below those already selected."""
    require(user, "workforce.manage_internships")
    with transaction.atomic():
        call = InternshipCall.objects.select_for_update().get(pk=call.pk)
        check_version(call, version, _("call"))
        if call.status == Status.CLOSED:
            raise ValidationFailed(
                _("A closed call cannot be changed."), fields={"status": _("The call is closed.")}
            )
        errors = {}
        for name in ("eligibility", "scoring"):
            if name in data and call.status != Status.DRAFT and data[name] != getattr(call, name):
                errors[name] = _("Rules and criteria change only while the call is a draft.")
        if errors:
            raise ValidationFailed(fields=errors)
        merged = {name: getattr(call, name) for name in CALL_FIELDS}
        merged.update({k: v for k, v in data.items() if k in CALL_FIELDS})
        cleaned = _clean_call(merged)
        selected = call.applications.filter(decision=Decision.SELECTED).count()
        if cleaned["places"] < selected:
            raise ValidationFailed(
                fields={
                    "places": _(
                        "%(n)d applicants are already selected: keep at least that many places."
                    )
                    % {"n": selected}
                }
            )
        for name, value in cleaned.items():
            setattr(call, name, value)
        call.version += 1
        call.save()
    return call


def set_status(user, call: InternshipCall, *, status: str, version: int | None) -> InternshipCall:
    require(user, "workforce.manage_internships")
    with transaction.atomic():
        call = InternshipCall.objects.select_for_update().get(pk=call.pk)
        check_version(call, version, _("call"))
        if status not in TRANSITIONS.get(call.status, set()):
            raise ValidationFailed(
                fields={
                    "status": _("A call that is %(now)s cannot become %(next)s.")
                    % {
                        "now": call.get_status_display(),
                        "next": dict(Status.choices).get(status, status),
                    }
                }
            )
        if status == Status.OPEN:
            if not call.scoring:
                raise ValidationFailed(
                    fields={"scoring": _("Give the scoring criteria before opening the call.")}
                )
            if call.closes_on < timezone.localdate():
                raise ValidationFailed(
                    fields={"closes_on": _("The closing day has passed; move it first.")}
                )
        if status == Status.DECIDED:
            pending = call.applications.filter(decision=Decision.PENDING).count()
            if pending:
                raise ValidationFailed(
                    fields={
                        "status": _("%(n)d eligible applications still have no decision.")
                        % {"n": pending}
                    }
                )
        call.status = status
        call.version += 1
        call.save(update_fields=["status", "version", "updated_at"])
    return call


# --- applications ---------------------------------------------------------------------


def _check_eligibility(call: InternshipCall, staff: StaffMember) -> tuple[dict, bool]:
    who = eligibility.applicant(staff, call_id=call.pk)
    # Stored reasons are read by everyone later: written in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        results = eligibility.evaluate(call.eligibility or [], who, call.closes_on)
    return results, all(r["ok"] for r in results.values())


def may_apply_for(user, staff: StaffMember) -> bool:
    """For oneself (the account linked to the staff record), or as a manager of the
    staff member's centre (the head of centre)."""
    if not can(user, "workforce.apply"):
        return False
    if staff.user_id is not None and staff.user_id == user.pk:
        return True
    return can(user, "workforce.manage") and (
        scoped(user, StaffMember.objects.filter(pk=staff.pk)).exists()
    )


def submit_application(
    user, call: InternshipCall, *, staff: StaffMember | None = None, motivation: str = ""
) -> Application:
    require(user, "workforce.apply")
    if staff is None:
        staff = StaffMember.objects.filter(user=user).select_related("facility").first()
        if staff is None:
            raise ValidationFailed(
                fields={
                    "staff": _(
                        "Your account is not linked to a staff record; ask the head of your "
                        "centre to link it or to apply for you."
                    )
                }
            )
    if not may_apply_for(user, staff):
        raise ValidationFailed(
            fields={"staff": _("You may apply only for yourself or your staff.")}
        )
    today = timezone.localdate()
    errors = {}
    if call.status != Status.OPEN or not call.opens_on <= today <= call.closes_on:
        errors["call"] = _(
            "The call is not open for applications (open from %(opens)s to %(closes)s)."
        ) % {"opens": call.opens_on.isoformat(), "closes": call.closes_on.isoformat()}
    if not active_staff(today).filter(pk=staff.pk).exists():
        errors["staff"] = _("Only active staff can apply.")
    motivation = (motivation or "").strip()
    if len(motivation) > 5000:
        errors["motivation"] = _("Enter at most %(n)d characters.") % {"n": 5000}
    if errors:
        raise ValidationFailed(fields=errors)
    results, eligible = _check_eligibility(call, staff)
    try:
        with transaction.atomic():
            return Application.objects.create(
                call=call,
                staff=staff,
                submitted_by=user,
                motivation=motivation,
                eligibility_result=results,
                eligible=eligible,
                decision=Decision.PENDING if eligible else Decision.INELIGIBLE,
            )
    except IntegrityError as exc:
        raise ValidationFailed(
            fields={"staff": _("%(name)s has already applied to this call.") % {"name": staff.name}}
        ) from exc


def recheck_eligibility(user, application: Application, *, version: int | None) -> Application:
    """Check the rules again after the staff record was corrected (before decisions)."""
    require(user, "workforce.manage_internships")
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call", "staff")
            .get(pk=application.pk)
        )
        check_version(application, version, _("application"))
        if application.call.status not in (Status.OPEN, Status.SELECTION) or (
            application.decision not in (Decision.PENDING, Decision.INELIGIBLE)
        ):
            raise ValidationFailed(
                fields={"eligible": _("Eligibility is checked again only before a decision.")}
            )
        results, eligible = _check_eligibility(application.call, application.staff)
        application.eligibility_result, application.eligible = results, eligible
        application.decision = Decision.PENDING if eligible else Decision.INELIGIBLE
        if not eligible:
            application.scores, application.total = {}, None
        application.version += 1
        application.save()
    return application


def withdraw(
    user, application: Application, *, version: int | None, reason: str = ""
) -> Application:
    """The applicant (or their head of centre, or the internships team) withdraws,
    before the placement starts. A selected place becomes free for a reserve."""
    if not can(user, "workforce.manage_internships"):
        require(user, "workforce.apply")
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("staff")
            .get(pk=application.pk)
        )
        check_version(application, version, _("application"))
        if not (
            can(user, "workforce.manage_internships") or may_apply_for(user, application.staff)
        ):
            raise PermissionDenied(_("You may withdraw only your own or your staff's application."))
        today = timezone.localdate()
        if application.decision == Decision.WITHDRAWN:
            raise ValidationFailed(fields={"decision": _("The application is already withdrawn.")})
        if application.placement_starts_on and application.placement_starts_on <= today:
            raise ValidationFailed(
                fields={"decision": _("The placement has started; it cannot be withdrawn.")}
            )
        application.decision = Decision.WITHDRAWN
        application.rationale = (reason or "").strip()[:2000]
        application.decided_by, application.decided_at = user, timezone.now()
        application.version += 1
        application.save()
    return application


# --- scores ---------------------------------------------------------------------------


def enter_scores(
    user, application: Application, *, points: dict, version: int | None
) -> Application:
    """The panel's points per criterion (each 0..max) replace the previous ones; the
    total is computed once every criterion has points."""
    require(user, "workforce.manage_internships")
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call")
            .get(pk=application.pk)
        )
        check_version(application, version, _("application"))
        call = application.call
        if call.status != Status.SELECTION:
            raise ValidationFailed(
                fields={"scores": _("Scores are entered while the call is in selection.")}
            )
        if not application.eligible or application.decision in (
            Decision.INELIGIBLE,
            Decision.WITHDRAWN,
        ):
            raise ValidationFailed(
                fields={
                    "scores": _("Only eligible applications that are not withdrawn are scored.")
                }
            )
        cleaned = eligibility.check_points(call.scoring, points)
        application.scores = {
            code: int(v) if v == v.to_integral_value() else float(v) for code, v in cleaned.items()
        }
        application.total = eligibility.weighted_total(call.scoring, cleaned)
        application.version += 1
        application.save(update_fields=["scores", "total", "version", "updated_at"])
    return application


# --- decisions ------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionInput:
    application: Application
    decision: str
    rationale: str
    version: int | None = None
    field_prefix: str = ""  # e.g. "<public id>." on the selection page; "" in the API


def decide(
    user, application: Application, *, decision: str, rationale: str, version: int | None
) -> Application:
    (done,) = decide_many(
        user,
        application.call,
        [DecisionInput(application, decision, rationale, version)],
    )
    return done


def decide_many(user, call: InternshipCall, items: list[DecisionInput]) -> list[Application]:
    """Record decisions, each with its rationale, all or none. Refused when the call
    would have more selected applicants than places."""
    require(user, "workforce.manage_internships")
    if not items:
        raise ValidationFailed(fields={"decision": _("Choose at least one decision.")})
    with transaction.atomic():
        # The call's row is the lock that serialises decisions on its places.
        call = InternshipCall.objects.select_for_update().get(pk=call.pk)
        if call.status not in (Status.SELECTION, Status.DECIDED):
            raise ValidationFailed(
                fields={"decision": _("Decisions are made once the call is in selection.")}
            )
        ids = sorted(item.application.pk for item in items)
        if len(set(ids)) != len(ids):
            raise ValidationFailed(fields={"decision": _("An application is decided twice.")})
        rows = {
            a.pk: a
            for a in Application.objects.select_for_update(of=("self",))
            .select_related("staff")
            .filter(pk__in=ids, call=call)
            .order_by("pk")
        }
        errors: dict[str, str] = {}
        for item in items:
            prefix = item.field_prefix
            row = rows.get(item.application.pk)
            if row is None:
                errors[f"{prefix}decision"] = _("The application is not one of this call.")
                continue
            check_version(row, item.version, _("application"))
            if item.decision not in DECISIONS:
                errors[f"{prefix}decision"] = _("Choose selected, reserve or not selected.")
            elif row.decision in (Decision.INELIGIBLE, Decision.WITHDRAWN) or not row.eligible:
                errors[f"{prefix}decision"] = _(
                    "%(name)s is %(state)s: no decision can be made."
                ) % {
                    "name": row.staff.name,
                    "state": row.get_decision_display().lower(),
                }
            elif item.decision in (Decision.SELECTED, Decision.RESERVE) and row.total is None:
                errors[f"{prefix}decision"] = _(
                    "Score every criterion before selecting or reserving."
                )
            if len((item.rationale or "").strip()) < MIN_RATIONALE:
                errors[f"{prefix}rationale"] = _(
                    "Write the rationale for this decision (at least %(n)d characters)."
                ) % {"n": MIN_RATIONALE}
        if errors:
            raise ValidationFailed(fields=errors)
        chosen = {item.application.pk for item in items if item.decision == Decision.SELECTED}
        already = call.applications.filter(decision=Decision.SELECTED).exclude(pk__in=ids).count()
        if already + len(chosen) > call.places:
            raise ValidationFailed(
                _("The call has %(places)d places; these decisions would select %(n)d.")
                % {"places": call.places, "n": already + len(chosen)},
                fields={
                    "decision": _(
                        "Only %(places)d places: %(n)d would be selected. Put %(extra)d on the "
                        "reserve list or not selected."
                    )
                    % {
                        "places": call.places,
                        "n": already + len(chosen),
                        "extra": already + len(chosen) - call.places,
                    }
                },
            )
        now = timezone.now()
        done = []
        for item in items:
            row = rows[item.application.pk]
            row.decision = item.decision
            row.rationale = item.rationale.strip()
            row.decided_by, row.decided_at = user, now
            row.version += 1
            row.save(
                update_fields=[
                    "decision",
                    "rationale",
                    "decided_by",
                    "decided_at",
                    "version",
                    "updated_at",
                ]
            )
            done.append(row)
    return done


# --- placements -----------------------------------------------------------------------


def set_placement(
    user,
    application: Application,
    *,
    host_institution: str,
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
    version: int | None,
) -> Application:
    require(user, "workforce.manage_internships")
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        check_version(application, version, _("application"))
        errors = {}
        if application.decision != Decision.SELECTED:
            errors["decision"] = _("Only selected applicants are placed.")
        host = (host_institution or "").strip()
        if not host:
            errors["host_institution"] = _("This field is required.")
        elif len(host) > 200:
            errors["host_institution"] = _("Enter at most %(n)d characters.") % {"n": 200}
        if starts_on is None:
            errors["placement_starts_on"] = _("Enter the first day of the placement.")
        if ends_on is None:
            errors["placement_ends_on"] = _("Enter the last day of the placement.")
        elif starts_on is not None and ends_on < starts_on:
            errors["placement_ends_on"] = _("The placement ends before it starts.")
        if errors:
            raise ValidationFailed(fields=errors)
        application.host_institution = host
        application.placement_starts_on, application.placement_ends_on = starts_on, ends_on
        application.version += 1
        application.save(
            update_fields=[
                "host_institution",
                "placement_starts_on",
                "placement_ends_on",
                "version",
                "updated_at",
            ]
        )
    return application
