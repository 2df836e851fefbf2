"""The figures on each role's home page: real counts from the database, scoped to
the user, zero when there is nothing.

core sits below registry, facilities and regions, so their models come through
the app registry instead of imports.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum
from django.utils import timezone

from rehsos.core.models import AccessLog, Job
from rehsos.core.permissions import can, scoped
from rehsos.core.roles import Role

# Aggregates shown to analysts and partners hide any count of 1–4 people.
SMALL_CELL = 5


def _person():
    return apps.get_model("registry", "Person")


def _facility():
    return apps.get_model("facilities", "Facility")


def _region():
    return apps.get_model("regions", "Region")


@dataclass(frozen=True)
class Cell:
    """One count in an aggregate table. A suppressed count has no value: ``small`` when
    it is 1–4, ``secondary`` when it is hidden so that a small one cannot be derived."""

    label: str
    value: int | None
    hidden: str = ""

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass
class AggregateTable:
    rows: list[Cell] = field(default_factory=list)
    total: Cell | None = None


def suppress_small_cells(counts: list[tuple[str, int]]) -> AggregateTable:
    """Hide counts of 1–4 people, and hide one more cell when a single hidden cell
    could be worked out from the total (secondary suppression)."""
    small = {i for i, (_label, n) in enumerate(counts) if 0 < n < SMALL_CELL}
    secondary = set()
    if len(small) == 1:
        visible = [(n, i) for i, (_label, n) in enumerate(counts) if i not in small and n > 0]
        if visible:
            secondary.add(min(visible)[1])
    rows = []
    for i, (label, n) in enumerate(counts):
        if i in small:
            rows.append(Cell(label=label, value=None, hidden="small"))
        elif i in secondary:
            rows.append(Cell(label=label, value=None, hidden="secondary"))
        else:
            rows.append(Cell(label=label, value=n))
    total = sum(n for _label, n in counts)
    if 0 < total < SMALL_CELL:
        return AggregateTable(rows=rows, total=Cell(label="", value=None, hidden="small"))
    return AggregateTable(rows=rows, total=Cell(label="", value=total))


def _persons(user):
    """The live (not merged) person records in the user's scope."""
    return scoped(user, _person().objects.live())


def _person_counts(persons) -> dict:
    """The total and the count for each sex, in the order of the sex choices."""
    by_sex = dict(persons.values_list("sex").annotate(n=Count("pk")).order_by())
    choices = _person()._meta.get_field("sex").flatchoices
    return {
        "total": sum(by_sex.values()),
        "by_sex": [(label, by_sex.get(value, 0)) for value, label in choices],
    }


def centre_summary(user) -> dict:
    """A facility-scoped user's centre: who is registered there, who works there."""
    summary: dict = {"facility": user.facility, "persons": None}
    if can(user, "persons.count"):
        summary["persons"] = _person_counts(_persons(user))
    summary["staff"] = (
        get_user_model().objects.filter(facility_id=user.facility_id, is_active=True).count()
        if user.facility_id
        else 0
    )
    return summary


def province_summary(user) -> dict:
    """A provincial officer's province: persons and centres, and persons per centre."""
    persons = _persons(user)
    centres = scoped(user, _facility().objects.filter(is_active=True))
    per_centre = dict(
        persons.filter(facility__isnull=False)
        .values_list("facility")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        "persons": _person_counts(persons),
        "centres": [
            {
                "name": centre.name,
                "kind": centre.get_kind_display(),
                "persons": per_centre.get(centre.pk, 0),
            }
            for centre in centres.order_by("name")
        ],
        "persons_without_centre": persons.filter(facility__isnull=True).count(),
    }


def admin_summary(user) -> dict:
    """The national administrator's view of the system itself."""
    users = get_user_model().objects.all()
    by_role = dict(users.values_list("role").annotate(n=Count("pk")).order_by())
    since = timezone.now() - (get_cool_off() or timedelta(0))
    locked = (
        AccessAttempt.objects.filter(attempt_time__gte=since, username__isnull=False)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .count()
    )
    jobs = Job.objects.aggregate(
        running=Count("pk", filter=Q(status=Job.Status.RUNNING)),
        queued=Count("pk", filter=Q(status=Job.Status.QUEUED)),
        failed=Count("pk", filter=Q(status=Job.Status.FAILED)),
    )
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "users_by_role": [(role.label, by_role.get(role.value, 0)) for role in Role],
        "users_total": sum(by_role.values()),
        "users_active": users.filter(is_active=True).count(),
        "users_locked": locked,
        "jobs": jobs,
        "access_reads_today": AccessLog.objects.filter(at__gte=today).count(),
    }


def centres_by_cluster(user) -> list[tuple[str, int]]:
    """Active centres per cluster code (a centre serving two clusters counts in both),
    sorted by code."""
    counts: Counter[str] = Counter()
    centres = scoped(user, _facility().objects.filter(is_active=True))
    for clusters in centres.values_list("clusters", flat=True):
        counts.update(dict.fromkeys(clusters or [], 1))
    return sorted(counts.items())


def national_aggregates(user) -> dict:
    """Counts for analysts and partners: never a person, and no cell under five."""
    by_province = dict(
        _persons(user).values_list("province_code").annotate(n=Count("pk")).order_by()
    )
    names = dict(
        _region().objects.filter(level=1, code__in=list(by_province)).values_list("code", "name")
    )
    counts = [(names.get(code, code), n) for code, n in sorted(by_province.items()) if n > 0]
    return {
        "persons_by_province": suppress_small_cells(counts),
        "centres_by_cluster": centres_by_cluster(user),
        "centres_total": scoped(user, _facility().objects.filter(is_active=True)).count(),
    }


def work_summary(user) -> dict:
    """Instructors, employers and assessors: the centres they can see and their own jobs."""
    centres = scoped(user, _facility().objects.filter(is_active=True))
    summary = {
        "centres_total": centres.count(),
        "facility": user.facility if user.facility_id else None,
        "own_jobs": Job.objects.filter(created_by=user).count(),
        "persons": None,
    }
    if user.facility_id and can(user, "persons.count"):
        summary["persons"] = _persons(user).count()
    return summary


# Which summary each role's home page shows.
HOME_SECTIONS = {
    Role.NATIONAL_ADMIN: ("admin", admin_summary),
    Role.NATIONAL_ANALYST: ("aggregate", national_aggregates),
    Role.PARTNER_VIEWER: ("aggregate", national_aggregates),
    Role.FACILITY_HEAD: ("centre", centre_summary),
    Role.SOCIAL_WORKER: ("centre", centre_summary),
    Role.PROVINCIAL_OFFICER: ("province", province_summary),
    Role.INSTRUCTOR: ("work", work_summary),
    Role.EMPLOYER: ("work", work_summary),
    Role.STANDARDS_ASSESSOR: ("work", work_summary),
}


def home_for(user) -> tuple[str, dict]:
    """The section name and figures of the user's home page."""
    section, summary = HOME_SECTIONS.get(user.role, ("work", work_summary))
    return section, summary(user)
