"""Residential stays: admission rules, capacity and its override, discharge, transfer,
occupancy per day and cluster; the pages and the API."""

import datetime

import pytest
from django.utils import timezone

from rehsos.cases.models import CaseEvent, Setting, Stay
from rehsos.cases.services import stays
from rehsos.cases.tests.factories import CaseFactory
from rehsos.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rehsos.core.models import AccessLog, ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import FacilityFactory, UserFactory

TODAY = timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


@pytest.fixture
def small_centre(handayani):
    handayani.capacity = 2
    handayani.clusters = ["ANAK", "PD"]
    handayani.save()
    return handayani


def admit_new(user, unit, **kwargs) -> Stay:
    case = CaseFactory(unit=unit, cluster=kwargs.pop("cluster", "ANAK"))
    return stays.admit(user, case, facility=unit, **kwargs)


# --- admission rules ------------------------------------------------------------------


def test_admission_records_the_stay_and_an_event(social_worker, small_centre):
    case = CaseFactory(unit=small_centre)
    stay = stays.admit(social_worker, case, facility=small_centre, admitted_on=days_ago(3))
    assert stay.cluster == "ANAK"
    assert stay.admitted_by == social_worker
    assert stay.province_code == "31"
    assert stay.capacity_override_by is None
    assert CaseEvent.objects.filter(case=case, kind="stay_admitted").count() == 1


def test_admission_dates_must_lie_between_opening_and_today(social_worker, small_centre):
    case = CaseFactory(unit=small_centre, opened_on=days_ago(10))
    for day in (TODAY + datetime.timedelta(days=1), days_ago(11)):
        with pytest.raises(ValidationFailed) as raised:
            stays.admit(social_worker, case, facility=small_centre, admitted_on=day)
        assert set(raised.value.fields) == {"admitted_on"}
    assert not Stay.objects.exists()


def test_one_open_stay_per_case(social_worker, small_centre):
    case = CaseFactory(unit=small_centre)
    stays.admit(social_worker, case, facility=small_centre)
    with pytest.raises(ValidationFailed) as raised:
        stays.admit(social_worker, case, facility=small_centre)
    assert "case" in raised.value.fields
    assert Stay.objects.count() == 1


def test_a_family_case_needs_a_reason_to_become_residential(social_worker, small_centre):
    case = CaseFactory(unit=small_centre, setting=Setting.FAMILY)
    with pytest.raises(ValidationFailed) as raised:
        stays.admit(social_worker, case, facility=small_centre)
    assert "setting_reason" in raised.value.fields

    stays.admit(
        social_worker, case, facility=small_centre, setting_reason="Family home is unsafe now"
    )
    case.refresh_from_db()
    assert case.setting == Setting.RESIDENTIAL
    assert case.version == 2
    assert CaseEvent.objects.filter(case=case, kind="setting_changed").exists()


def test_a_centre_outside_the_scope_is_refused(social_worker, small_centre, galih_pakuan):
    case = CaseFactory(unit=small_centre)
    with pytest.raises(ValidationFailed) as raised:
        stays.admit(social_worker, case, facility=galih_pakuan)
    assert "facility" in raised.value.fields


def test_an_analyst_cannot_admit(analyst, small_centre):
    with pytest.raises(PermissionDenied):
        admit_new(analyst, small_centre)


# --- capacity -------------------------------------------------------------------------


def test_a_full_centre_refuses_a_social_worker(social_worker, small_centre):
    admit_new(social_worker, small_centre)
    admit_new(social_worker, small_centre)
    with pytest.raises(stays.CapacityExceeded) as raised:
        admit_new(social_worker, small_centre, override_reason="I really want to admit")
    assert raised.value.status == 409
    assert raised.value.extra == {
        "cluster": None,
        "capacity": 2,
        "occupied": 2,
        "may_override": False,
    }
    assert Stay.objects.count() == 2


def test_the_head_overrides_capacity_with_a_reason(social_worker, facility_head, small_centre):
    admit_new(social_worker, small_centre)
    admit_new(social_worker, small_centre)
    with pytest.raises(stays.CapacityExceeded) as raised:
        admit_new(facility_head, small_centre)
    assert raised.value.extra["may_override"] is True
    assert "override_reason" in raised.value.fields

    stay = admit_new(
        facility_head, small_centre, override_reason="Emergency placement ordered by the court"
    )
    assert stay.capacity_override_by == facility_head
    assert stay.capacity_override_reason == "Emergency placement ordered by the court"
    assert CaseEvent.objects.get(kind="stay_admitted", case=stay.case).data["over_capacity"]


def test_a_bed_freed_by_a_discharge_can_be_taken(social_worker, small_centre):
    first = admit_new(social_worker, small_centre, admitted_on=days_ago(10))
    admit_new(social_worker, small_centre, admitted_on=days_ago(10))
    stays.discharge(social_worker, first, discharged_on=days_ago(2), reason="family")
    # Full on days 10..3 ago, one bed free since 2 days ago.
    admit_new(social_worker, small_centre, admitted_on=days_ago(2))
    with pytest.raises(stays.CapacityExceeded):
        admit_new(social_worker, small_centre, admitted_on=days_ago(5))


def test_a_backdated_admission_is_checked_on_every_day_since(social_worker, small_centre):
    admit_new(social_worker, small_centre, admitted_on=days_ago(1))
    admit_new(social_worker, small_centre, admitted_on=days_ago(1))
    # Two beds free 5 days ago, but full since yesterday: an admission 5 days ago would
    # have made three residents yesterday.
    with pytest.raises(stays.CapacityExceeded):
        admit_new(social_worker, small_centre, admitted_on=days_ago(5))


def test_a_per_cluster_capacity_plugs_in(social_worker, small_centre):
    small_centre.capacity = 10
    small_centre.save()

    def one_pd_bed(facility):
        return [stays.CapacityLimit(beds=1, cluster="PD")]

    stays.register_capacity_source(one_pd_bed)
    try:
        admit_new(social_worker, small_centre, cluster="PD")
        admit_new(social_worker, small_centre, cluster="ANAK")  # other clusters unaffected
        with pytest.raises(stays.CapacityExceeded) as raised:
            admit_new(social_worker, small_centre, cluster="PD")
        assert raised.value.extra["cluster"] == "PD"
        table = stays.occupancy(small_centre, TODAY, TODAY)
        pd = next(cell for cell in table.days[0].cells if cell.cluster == "PD")
        assert (pd.used, pd.capacity, pd.percent) == (1, 1, 100.0)
    finally:
        stays._capacity_sources.remove(one_pd_bed)


def test_no_capacity_known_means_no_limit(social_worker, handayani):
    handayani.capacity = None
    handayani.save()
    for _i in range(3):
        admit_new(social_worker, handayani)
    assert Stay.objects.count() == 3


# --- discharge and transfer -----------------------------------------------------------


def test_discharge_dates_and_reason(social_worker, small_centre):
    stay = admit_new(social_worker, small_centre, admitted_on=days_ago(5))
    for day, field in (
        (days_ago(6), "discharged_on"),
        (TODAY + datetime.timedelta(days=1), "discharged_on"),
    ):
        with pytest.raises(ValidationFailed) as raised:
            stays.discharge(social_worker, stay, discharged_on=day, reason="family")
        assert field in raised.value.fields
    with pytest.raises(ValidationFailed) as raised:
        stays.discharge(social_worker, stay, discharged_on=days_ago(1), reason="holiday")
    assert "reason" in raised.value.fields

    done = stays.discharge(social_worker, stay, discharged_on=days_ago(5), reason="family")
    assert done.discharged_on == days_ago(5)
    assert done.discharge_reason == "family"
    assert done.version == 2
    with pytest.raises(ValidationFailed):
        stays.discharge(social_worker, done, reason="family")


def test_a_stale_discharge_is_a_conflict(social_worker, small_centre):
    stay = admit_new(social_worker, small_centre)
    Stay.objects.filter(pk=stay.pk).update(version=5)
    with pytest.raises(Conflict):
        stays.discharge(social_worker, stay, reason="family", version=1)


def test_readmission_cannot_overlap_the_previous_stay(social_worker, small_centre):
    stay = admit_new(social_worker, small_centre, admitted_on=days_ago(10))
    stays.discharge(social_worker, stay, discharged_on=days_ago(4), reason="hospital")
    with pytest.raises(ValidationFailed) as raised:
        stays.admit(social_worker, stay.case, facility=small_centre, admitted_on=days_ago(6))
    assert "admitted_on" in raised.value.fields
    again = stays.admit(social_worker, stay.case, facility=small_centre, admitted_on=days_ago(4))
    assert again.case.stays.count() == 2


def test_transfer_is_discharge_here_and_admission_there(provincial_officer, small_centre):
    other = FacilityFactory(code="psbr-taruna-jaya", region_id="31.74.01.1001", capacity=5)
    stay = admit_new(provincial_officer, small_centre, admitted_on=days_ago(7))
    new = stays.transfer(provincial_officer, stay, to=other, on=days_ago(1))
    stay.refresh_from_db()
    assert (stay.discharged_on, stay.discharge_reason) == (days_ago(1), "transferred")
    assert (new.facility, new.admitted_on, new.discharged_on) == (other, days_ago(1), None)


# --- occupancy ------------------------------------------------------------------------


def test_occupancy_counts_each_day_and_cluster_exactly(social_worker, small_centre):
    small_centre.capacity = 4
    small_centre.save()
    start = days_ago(6)
    a = admit_new(social_worker, small_centre, admitted_on=days_ago(6))  # ANAK, 6..2 ago
    stays.discharge(social_worker, a, discharged_on=days_ago(1), reason="family")
    admit_new(social_worker, small_centre, admitted_on=days_ago(4))  # ANAK, 4 ago onwards
    b = admit_new(social_worker, small_centre, admitted_on=days_ago(3), cluster="PD")
    stays.discharge(social_worker, b, discharged_on=days_ago(3), reason="other")  # no bed
    admit_new(social_worker, small_centre, admitted_on=days_ago(2), cluster="PD")
    other = FacilityFactory(code="other-centre", region_id="31.74.01.1001")
    Stay.objects.create(  # another centre's stays never count here
        case=CaseFactory(unit=other), facility=other, cluster="ANAK", admitted_on=days_ago(6)
    )

    table = stays.occupancy(small_centre, start, TODAY)
    got = [(d.day, [(c.cluster, c.used) for c in d.cells], d.total) for d in table.days]
    assert got == [
        (days_ago(6), [("ANAK", 1), ("PD", 0)], 1),
        (days_ago(5), [("ANAK", 1), ("PD", 0)], 1),
        (days_ago(4), [("ANAK", 2), ("PD", 0)], 2),
        (days_ago(3), [("ANAK", 2), ("PD", 0)], 2),
        (days_ago(2), [("ANAK", 2), ("PD", 1)], 3),
        (days_ago(1), [("ANAK", 1), ("PD", 1)], 2),
        (days_ago(0), [("ANAK", 1), ("PD", 1)], 2),
    ]
    assert table.days[4].percent == 75.0
    assert table.peak == 3


def test_occupancy_range_is_checked():
    with pytest.raises(ValidationFailed) as raised:
        stays.parse_range("2025-02-01", "2025-01-01")
    assert "to" in raised.value.fields
    with pytest.raises(ValidationFailed) as raised:
        stays.parse_range("yesterday", "2025-01-01")
    assert "from" in raised.value.fields
    with pytest.raises(ValidationFailed):
        stays.parse_range("2020-01-01", "2025-01-01")


def test_residents_are_the_stays_in_a_bed_today(social_worker, small_centre):
    here = admit_new(social_worker, small_centre, admitted_on=days_ago(3))
    gone = admit_new(social_worker, small_centre, admitted_on=days_ago(3))
    stays.discharge(social_worker, gone, reason="family")
    assert list(stays.residents(small_centre)) == [here]


# --- pages ----------------------------------------------------------------------------


@pytest.fixture
def browser(client, social_worker):
    client.force_login(social_worker)
    return client


def test_admit_page_refuses_a_full_centre_clearly(browser, social_worker, small_centre):
    admit_new(social_worker, small_centre)
    admit_new(social_worker, small_centre)
    case = CaseFactory(unit=small_centre, social_worker=social_worker)
    response = browser.post(
        f"/cases/{case.public_id}/stays/admit/",
        {"facility": small_centre.code, "admitted_on": TODAY.isoformat()},
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert "is full (2 of 2 beds used)" in page
    assert 'name="override_reason"' not in page
    assert not case.stays.exists()


def test_admit_page_shows_the_head_an_override_box(
    client, facility_head, social_worker, small_centre
):
    admit_new(social_worker, small_centre)
    admit_new(social_worker, small_centre)
    case = CaseFactory(unit=small_centre)
    client.force_login(facility_head)
    url = f"/cases/{case.public_id}/stays/admit/"
    form = {"facility": small_centre.code, "admitted_on": TODAY.isoformat()}
    response = client.post(url, form)
    assert response.status_code == 409
    assert 'name="override_reason"' in response.content.decode()

    response = client.post(url, {**form, "override_reason": "Child found at night, no shelter"})
    assert response.status_code == 302
    assert case.stays.get().capacity_override_by == facility_head


def test_admit_page_keeps_input_and_names_the_field(browser, social_worker, small_centre):
    case = CaseFactory(unit=small_centre, social_worker=social_worker, setting=Setting.COMMUNITY)
    response = browser.post(
        f"/cases/{case.public_id}/stays/admit/",
        {"facility": small_centre.code, "admitted_on": TODAY.isoformat(), "room": "B-12"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "give the reason for the change to a residential setting" in page
    assert 'value="B-12"' in page


def test_discharge_page(browser, social_worker, small_centre):
    stay = admit_new(social_worker, small_centre, admitted_on=days_ago(2))
    url = f"/cases/stays/{stay.public_id}/discharge/"
    assert browser.get(url).status_code == 200
    response = browser.post(
        url, {"discharged_on": TODAY.isoformat(), "reason": "family", "version": stay.version}
    )
    assert response.status_code == 302
    stay.refresh_from_db()
    assert stay.discharge_reason == "family"


def test_residents_page_logs_the_persons_shown(browser, social_worker, small_centre):
    stay = admit_new(social_worker, small_centre)
    response = browser.get(f"/cases/centres/{small_centre.code}/residents/")
    assert response.status_code == 200
    assert stay.case.person.full_name in response.content.decode()
    assert AccessLog.objects.filter(subject_id=str(stay.case.person.public_id)).exists()


def test_occupancy_page_table_chart_and_csv(browser, social_worker, small_centre):
    admit_new(social_worker, small_centre, admitted_on=days_ago(1))
    url = f"/cases/occupancy/?facility={small_centre.code}&from={days_ago(2)}&to={TODAY}"
    response = browser.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in page
    assert "50.0" in page
    response = browser.get(url + "&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("date,")
    assert len(lines) == 4
    assert lines[2].startswith(f"{days_ago(1)},1,0,1,2,50.0")


def test_occupancy_page_bad_range_names_the_field(browser, small_centre):
    response = browser.get(f"/cases/occupancy/?facility={small_centre.code}&from=x&to=y")
    assert response.status_code == 200
    assert "Give a date as YYYY-MM-DD." in response.content.decode()


def test_a_centre_outside_the_scope_is_404(browser, galih_pakuan):
    assert browser.get(f"/cases/occupancy/?facility={galih_pakuan.code}").status_code == 404
    assert browser.get(f"/cases/centres/{galih_pakuan.code}/residents/").status_code == 404


def test_case_page_section_lists_stays(social_worker, small_centre, rf):
    from rehsos.cases import views_stays

    stay = admit_new(social_worker, small_centre)
    request = rf.get("/")
    request.user = social_worker
    section = views_stays.section_context(request, stay.case)
    assert section["current"] == stay
    assert section["previous"] == []


# --- API ------------------------------------------------------------------------------


@pytest.fixture
def api(client, social_worker):
    _token, raw = ApiToken.issue(social_worker, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def test_api_admit_list_discharge(api, social_worker, small_centre):
    case = CaseFactory(unit=small_centre, social_worker=social_worker)
    url = f"/api/v1/cases/{case.public_id}/stays"
    response = api.post(
        url,
        {"facility": small_centre.code, "admitted_on": str(days_ago(3))},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    stay = response.json()
    assert stay["facility"] == small_centre.code
    assert stay["discharged_on"] is None

    listed = api.get(url).json()
    assert [s["public_id"] for s in listed["items"]] == [stay["public_id"]]

    response = api.post(
        f"/api/v1/stays/{stay['public_id']}/discharge",
        {"discharged_on": str(TODAY), "reason": "family", "version": 1},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["discharge_reason"] == "family"

    response = api.post(
        f"/api/v1/stays/{stay['public_id']}/discharge",
        {"reason": "family", "version": 1},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["current"]["version"] == 2


def test_api_capacity_refusal_is_problem_json(api, social_worker, small_centre):
    admit_new(social_worker, small_centre)
    admit_new(social_worker, small_centre)
    case = CaseFactory(unit=small_centre, social_worker=social_worker)
    response = api.post(
        f"/api/v1/cases/{case.public_id}/stays",
        {"facility": small_centre.code},
        content_type="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "capacity_exceeded"
    assert body["may_override"] is False


def test_api_bad_input_is_4xx(api, social_worker, small_centre):
    case = CaseFactory(unit=small_centre, social_worker=social_worker)
    url = f"/api/v1/cases/{case.public_id}/stays"
    for body in ({}, {"facility": "nowhere"}, {"facility": small_centre.code, "admitted_on": "x"}):
        response = api.post(url, body, content_type="application/json")
        assert 400 <= response.status_code < 500, (body, response.content)
    response = api.post(url, {"facility": "nowhere"}, content_type="application/json")
    assert response.json()["errors"][0]["field"] == "facility"
    bad = api.get(f"/api/v1/facilities/{small_centre.code}/occupancy?from=2025-02-01&to=2025-01-01")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "to"


def test_api_occupancy(api, social_worker, small_centre):
    admit_new(social_worker, small_centre, admitted_on=days_ago(1))
    response = api.get(
        f"/api/v1/facilities/{small_centre.code}/occupancy?from={days_ago(1)}&to={TODAY}"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["capacity"] == 2
    assert body["days"][0] == {
        "day": str(days_ago(1)),
        "total": 1,
        "percent": 50.0,
        "clusters": {"ANAK": 1, "PD": 0},
    }


def test_api_scope(client, small_centre, galih_pakuan):
    elsewhere = UserFactory(
        username="peksos.galih",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )
    case = CaseFactory(unit=small_centre)
    _token, raw = ApiToken.issue(elsewhere, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    assert client.get(f"/api/v1/cases/{case.public_id}/stays").status_code == 404
    assert client.get(f"/api/v1/facilities/{small_centre.code}/occupancy").status_code == 404
    with pytest.raises(NotFound):
        stays.facility_for(elsewhere, small_centre.code)
