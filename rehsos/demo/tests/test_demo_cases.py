"""`rehsos load-demo` grows case management: cases in every cluster and stage, with
their assessments, plans, services, stays and aftercare; nothing added on a second run."""

from io import StringIO

import pytest
from django.core.management import call_command

from rehsos.cases import access
from rehsos.cases.models import (
    AftercareVisit,
    Assessment,
    Case,
    GroupSession,
    Plan,
    Referral,
    ServiceRecord,
    Stay,
    Task,
    Transfer,
)
from rehsos.cases.reference import STAGES
from rehsos.core.models import User
from rehsos.facilities.models import Cluster, Facility


def load() -> str:
    out = StringIO()
    call_command("load_demo", "--without-standards", stdout=out)
    return out.getvalue()


def tallies() -> tuple:
    models = (Case, Assessment, Plan, ServiceRecord, Stay, AftercareVisit, Referral, Task)
    return tuple(model.objects.count() for model in models)


@pytest.mark.django_db
def test_load_demo_makes_cases_in_every_stage_and_cluster_once():
    load()
    cases = Case.objects.all()
    assert 100 <= cases.count() <= 140
    assert {c.cluster for c in cases} == set(Cluster.values)
    open_stages = set(cases.filter(status="open").values_list("stage__code", flat=True))
    assert open_stages == {code for _order, code, *_rest in STAGES}
    assert cases.filter(status="closed").exists()
    for cluster in Cluster.values:
        stages = set(cases.filter(cluster=cluster).values_list("stage__code", flat=True))
        assert len(stages) == len(STAGES), cluster

    assert Assessment.objects.filter(is_complete=True, score__isnull=False).exists()
    assert Plan.objects.filter(status="approved").count() >= 60
    assert GroupSession.objects.count() == 1
    assert Stay.objects.filter(discharged_on__isnull=True).exists()
    assert Stay.objects.filter(discharged_on__isnull=False).exists()
    assert AftercareVisit.objects.exclude(outcome="").exists()
    assert set(Referral.objects.values_list("status", flat=True)) == {
        "received",
        "accepted",
        "declined",
    }
    assert Referral.objects.filter(decline_reason="capacity").exists()
    assert Transfer.objects.filter(status="pending").count() == 1
    assert cases.sensitive().exists()
    for facility in Facility.objects.exclude(capacity=None):
        assert Stay.objects.filter(facility=facility, discharged_on=None).count() <= (
            facility.capacity
        )

    worker = User.objects.get(username="peksos.handayani")
    head = User.objects.get(username="kepala.handayani")
    assert Case.objects.filter(social_worker=worker, status="open").count() >= 10
    assert access.visible_cases(head).filter(status="open").count() >= 15

    before = tallies()
    assert load().strip() == "Demo data: nothing to add (already loaded)."
    assert tallies() == before
