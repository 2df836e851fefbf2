"""Figures of the improvement plans and the renovation works for the reports, each one
grouped query however many centres or projects."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from rehsos.standards.models import (
    Action,
    Disbursement,
    Milestone,
    RenovationProject,
    SupervisionReport,
)

OPEN = (Action.Status.OPEN, Action.Status.IN_PROGRESS)
_MONEY = DecimalField(max_digits=18, decimal_places=0)
_PERCENT = DecimalField(max_digits=7, decimal_places=2)
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class ActionTotals:
    total: int = 0
    open: int = 0
    done: int = 0
    cancelled: int = 0
    overdue: int = 0
    cost_open: Decimal = Decimal(0)  # cost estimates of the open actions (Rp)
    cost_total: Decimal = Decimal(0)  # of every action that is not cancelled


def action_totals(actions: QuerySet, today: datetime.date) -> dict[int, ActionTotals]:
    """Facility id → totals of its actions (one GROUP BY)."""
    rows = (
        actions.order_by()
        .values("facility_id")
        .annotate(
            total=Count("pk"),
            n_open=Count("pk", filter=Q(status__in=OPEN)),
            done=Count("pk", filter=Q(status=Action.Status.DONE)),
            cancelled=Count("pk", filter=Q(status=Action.Status.CANCELLED)),
            overdue=Count("pk", filter=Q(status__in=OPEN, due_on__lt=today)),
            cost_open=Sum("cost_estimate", filter=Q(status__in=OPEN), output_field=_MONEY),
            cost_total=Sum(
                "cost_estimate", filter=~Q(status=Action.Status.CANCELLED), output_field=_MONEY
            ),
        )
    )
    return {
        row["facility_id"]: ActionTotals(
            total=row["total"],
            open=row["n_open"],
            done=row["done"],
            cancelled=row["cancelled"],
            overdue=row["overdue"],
            cost_open=Decimal(row["cost_open"] or 0),
            cost_total=Decimal(row["cost_total"] or 0),
        )
        for row in rows
    }


def sum_totals(totals) -> ActionTotals:
    totals = list(totals)
    return ActionTotals(
        total=sum(t.total for t in totals),
        open=sum(t.open for t in totals),
        done=sum(t.done for t in totals),
        cancelled=sum(t.cancelled for t in totals),
        overdue=sum(t.overdue for t in totals),
        cost_open=sum((t.cost_open for t in totals), Decimal(0)),
        cost_total=sum((t.cost_total for t in totals), Decimal(0)),
    )


@dataclass(frozen=True)
class RenovationRow:
    project: RenovationProject
    facility_name: str
    facility_code: str
    partner: str
    budget: Decimal
    paid: Decimal
    planned_percent: Decimal  # milestones due by today, by weight (the planned S-curve)
    actual_percent: Decimal | None  # the latest supervision report's progress
    last_report_on: datetime.date | None
    last_findings: str

    @property
    def paid_percent(self) -> Decimal | None:
        if not self.budget:
            return None
        return (Decimal(100) * self.paid / self.budget).quantize(_CENT, ROUND_HALF_UP)

    @property
    def slip(self) -> Decimal | None:
        """actual − planned, in percentage points (negative: behind the plan)."""
        if self.actual_percent is None:
            return None
        return (self.actual_percent - self.planned_percent).quantize(_CENT)


def renovation_rows(projects: QuerySet, today: datetime.date) -> list[RenovationRow]:
    """The projects with their money and progress, computed by correlated subqueries
    (one query, no join fan-out)."""
    paid = (
        Disbursement.objects.filter(project=OuterRef("pk"), status=Disbursement.Status.PAID)
        .order_by()
        .values("project")
        .annotate(s=Sum("amount_rp"))
        .values("s")
    )
    planned = (
        Milestone.objects.filter(project=OuterRef("pk"), planned_on__lte=today)
        .order_by()
        .values("project")
        .annotate(s=Sum("weight"))
        .values("s")
    )
    latest = SupervisionReport.objects.filter(project=OuterRef("pk")).order_by(
        "-reported_on", "-id"
    )
    qs = (
        projects.select_related("facility", "partner")
        .annotate(
            paid_rp=Coalesce(
                Subquery(paid, output_field=_MONEY), Value(Decimal(0)), output_field=_MONEY
            ),
            planned_pct=Coalesce(
                Subquery(planned, output_field=_PERCENT), Value(Decimal(0)), output_field=_PERCENT
            ),
            actual_pct=Subquery(latest.values("progress")[:1], output_field=_PERCENT),
            last_report_on=Subquery(latest.values("reported_on")[:1]),
            last_findings=Subquery(latest.values("findings")[:1]),
        )
        .order_by("facility__name", F("starts_on").desc(), "pk")
    )
    return [
        RenovationRow(
            project=p,
            facility_name=p.facility.name,
            facility_code=p.facility.code,
            partner=str(p.partner) if p.partner_id else "",
            budget=Decimal(p.budget or 0),
            paid=Decimal(p.paid_rp or 0).quantize(Decimal(1)),
            planned_percent=min(Decimal(100), Decimal(p.planned_pct or 0)).quantize(_CENT),
            actual_percent=None if p.actual_pct is None else Decimal(p.actual_pct).quantize(_CENT),
            last_report_on=p.last_report_on,
            last_findings=p.last_findings or "",
        )
        for p in qs
    ]
