"""What cases plugs into centres (rehsos.cases.facility_hooks): the places of each
cluster limit admissions, and the centre page's occupancy panel."""

import datetime

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from rehsos.cases.facility_hooks import occupancy_panel
from rehsos.cases.models import Stay
from rehsos.cases.services import stays
from rehsos.cases.tests.factories import CaseFactory
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory
from rehsos.facilities import panels, services

TODAY = timezone.localdate()


@pytest.fixture
def centre(handayani, facility_head):
    """Handayani with 2 places for children and 10 for persons with disabilities."""
    handayani.clusters = ["ANAK", "PD"]
    handayani.settings_offered = ["residential"]
    handayani.save()
    services.set_capacity(facility_head, handayani, places={"ANAK": 2, "PD": 10}, version=1)
    handayani.refresh_from_db()
    return handayani


def admit(user, unit, cluster="ANAK", **kwargs) -> Stay:
    case = CaseFactory(unit=unit, cluster=cluster)
    return stays.admit(user, case, facility=unit, **kwargs)


def test_an_admission_beyond_a_clusters_places_is_refused(social_worker, centre):
    assert centre.capacity == 12  # the total alone would allow it
    admit(social_worker, centre)
    admit(social_worker, centre)
    with pytest.raises(stays.CapacityExceeded) as raised:
        admit(social_worker, centre)
    assert raised.value.extra == {
        "cluster": "ANAK",
        "capacity": 2,
        "occupied": 2,
        "may_override": False,
    }
    assert Stay.objects.count() == 2
    admit(social_worker, centre, cluster="PD")  # the other cluster still has places
    assert Stay.objects.count() == 3


def test_the_head_overrides_a_full_cluster_with_a_reason(social_worker, facility_head, centre):
    admit(social_worker, centre)
    admit(social_worker, centre)
    stay = admit(facility_head, centre, override_reason="Placement ordered by the court")
    assert stay.capacity_override_by == facility_head


def test_the_limits_follow_the_recorded_places(social_worker, facility_head, centre):
    admit(social_worker, centre)
    admit(social_worker, centre)
    services.set_capacity(facility_head, centre, places={"ANAK": 3, "PD": 10}, version=2)
    admit(social_worker, centre)
    centre.refresh_from_db()
    assert stays.capacity_limits(centre) == [
        stays.CapacityLimit(beds=13),
        stays.CapacityLimit(beds=3, cluster="ANAK"),
        stays.CapacityLimit(beds=10, cluster="PD"),
    ]


# --- the panel ------------------------------------------------------------------------


def panel_for(user, facility):
    request = RequestFactory().get("/")
    request.user = user
    return occupancy_panel(request, facility)


def test_the_panel_shows_today_by_cluster_and_30_days(facility_head, social_worker, centre):
    for _i in range(2):
        admit(social_worker, centre, admitted_on=TODAY - datetime.timedelta(days=3))
    admit(social_worker, centre, cluster="PD")
    panel = panel_for(facility_head, centre)
    rows = {
        row["cluster"]: (row["used"], row["capacity"], row["percent"])
        for row in panel.context["rows"]
    }
    assert rows == {"ANAK": (2, 2, 100.0), "PD": (1, 10, 10.0)}
    context = panel.context
    assert (context["total"], context["capacity"], context["percent"]) == (3, 12, 25.0)
    assert context["peak"] == 3
    assert len(context["chart"]["bars"]) == 4  # the days with anyone in a bed
    assert context["suppressed"] is False


def test_an_analyst_sees_small_counts_suppressed(analyst, social_worker, centre):
    admit(social_worker, centre)
    panel = panel_for(analyst, centre)
    assert panel.context["suppressed"] is True
    assert [row["used"] for row in panel.context["rows"]] == [None, 0]
    assert panel.context["total"] is None
    assert panel.context["chart"]["bars"] == []
    assert panel.context["detail_link"] is False


def test_the_panel_is_for_the_centres_scope(centre, galih_pakuan):
    elsewhere = UserFactory(
        username="peksos.galih",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )
    employer = UserFactory(username="pemberi.kerja", role=Role.EMPLOYER)
    assert panel_for(elsewhere, centre) is None
    assert panel_for(employer, centre) is None


def test_a_centre_without_residents_or_places_has_no_panel(facility_head, galih_pakuan):
    assert panel_for(facility_head, galih_pakuan) is None


def test_the_centre_page_shows_the_panel(client, facility_head, social_worker, centre, monkeypatch):
    monkeypatch.setattr(panels, "_PROVIDERS", [occupancy_panel])
    admit(social_worker, centre, cluster="PD")
    client.force_login(facility_head)
    page = client.get(reverse("facilities:detail", args=[centre.code])).content.decode()
    assert 'data-panel="occupancy"' in page
    assert reverse("cases:occupancy") in page
