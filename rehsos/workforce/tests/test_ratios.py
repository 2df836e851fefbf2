"""Staffing ratios: the catalogue's staffing criteria against the centre's active
staff, for the centre's capacity; one centre, many centres (grouped queries), pages,
the centre page's panel and the API."""

import datetime

import pytest
from django.test import RequestFactory
from django.utils import timezone

from rehsos.core.models import ApiToken
from rehsos.core.tests.factories import FacilityFactory
from rehsos.facilities import panels as facility_panels
from rehsos.facilities.models import Facility, FacilityCapacity
from rehsos.standards.models import CatalogueVersion, Domain
from rehsos.standards.tests.factories import CatalogueFactory, CriterionFactory, VersionFactory
from rehsos.workforce import ratios
from rehsos.workforce.models import StaffRole
from rehsos.workforce.tests.factories import StaffFactory

TODAY = timezone.localdate()


def staffing(version, code, role, per, **extra):
    return CriterionFactory(
        version=version,
        code=code,
        domain=Domain.STAFFING,
        staff_role=role,
        residents_per_staff=per,
        **extra,
    )


@pytest.fixture
def children_catalogue(db):
    """An adopted catalogue for children's centres: a social worker per 25 residents
    and a caregiver per 10."""
    version = VersionFactory(catalogue=CatalogueFactory(code="anak", clusters=["ANAK"]))
    staffing(version, "STF-1", StaffRole.SOCIAL_WORKER, 25)
    staffing(version, "STF-2", StaffRole.CAREGIVER, 10)
    CriterionFactory(version=version, code="ACC-1")  # not a staffing ratio
    return version


@pytest.fixture
def centre(handayani):
    handayani.capacity = 60
    handayani.save()
    return handayani


def hire(facility, role, n, **extra):
    return [StaffFactory(facility=facility, role=role, **extra) for _ in range(n)]


def role_row(centre_ratios, role):
    return next(r for r in centre_ratios.roles if r.role == role)


def test_required_is_residents_over_ratio_rounded_up():
    assert ratios.required_staff(60, 25) == 3
    assert ratios.required_staff(50, 25) == 2
    assert ratios.required_staff(1, 25) == 1
    assert ratios.required_staff(0, 25) == 0


def test_a_centre_short_of_social_workers(children_catalogue, centre):
    hire(centre, StaffRole.SOCIAL_WORKER, 2)
    hire(centre, StaffRole.CAREGIVER, 6)
    result = ratios.for_facility(centre)
    social = role_row(result, StaffRole.SOCIAL_WORKER)
    assert (social.required, social.actual, social.shortfall, social.status) == (3, 2, 1, "short")
    carers = role_row(result, StaffRole.CAREGIVER)
    assert (carers.required, carers.actual, carers.shortfall, carers.status) == (6, 6, 0, "met")
    assert result.status == "short"
    assert result.shortfall == 1
    assert [r.criterion.code for r in social.requirements] == ["STF-1"]


def test_only_active_staff_count(children_catalogue, centre):
    hire(centre, StaffRole.SOCIAL_WORKER, 3)
    gone = hire(centre, StaffRole.SOCIAL_WORKER, 1)[0]
    gone.left_on = TODAY - datetime.timedelta(days=1)
    gone.save()
    hire(centre, StaffRole.SOCIAL_WORKER, 1, started_on=TODAY + datetime.timedelta(days=10))
    assert role_row(ratios.for_facility(centre), StaffRole.SOCIAL_WORKER).actual == 3


def test_capacity_for_the_catalogues_functions_comes_first(children_catalogue, centre):
    # 60 places in all, of which 30 are children's: the children's ratio uses 30.
    FacilityCapacity.objects.create(facility=centre, cluster="ANAK", places=30)
    FacilityCapacity.objects.create(facility=centre, cluster="PD", places=30)
    social = role_row(ratios.for_facility(centre), StaffRole.SOCIAL_WORKER)
    assert social.requirements[0].residents == 30
    assert social.required == 2


def test_no_capacity_means_the_requirement_is_unknown(children_catalogue, handayani):
    hire(handayani, StaffRole.SOCIAL_WORKER, 1)
    result = ratios.for_facility(handayani)
    social = role_row(result, StaffRole.SOCIAL_WORKER)
    assert (social.required, social.shortfall, social.status) == (None, None, "unknown")
    assert result.status == "unknown"


def test_catalogues_of_other_functions_and_non_current_versions_do_not_apply(
    children_catalogue, centre
):
    elderly = VersionFactory(catalogue=CatalogueFactory(code="lansia", clusters=["LU"]))
    staffing(elderly, "STF-LU", StaffRole.NURSE, 10)
    draft = VersionFactory(
        catalogue=children_catalogue.catalogue, status=CatalogueVersion.Status.DRAFT
    )
    staffing(draft, "STF-9", StaffRole.PSYCHOLOGIST, 10)
    ended = VersionFactory(
        catalogue=CatalogueFactory(code="lama", clusters=[]),
        effective_to=TODAY - datetime.timedelta(days=1),
    )
    staffing(ended, "STF-OLD", StaffRole.DOCTOR, 10)
    roles = [r.role for r in ratios.for_facility(centre).roles]
    assert roles == [StaffRole.SOCIAL_WORKER, StaffRole.CAREGIVER]


def test_an_older_adopted_version_gives_way_to_the_newer(children_catalogue, centre):
    # One above, whatever the factory sequence has reached in this process.
    newer = VersionFactory(
        catalogue=children_catalogue.catalogue, number=children_catalogue.number + 1
    )
    staffing(newer, "STF-1", StaffRole.SOCIAL_WORKER, 20)
    result = ratios.for_facility(centre)
    assert [r.role for r in result.roles] == [StaffRole.SOCIAL_WORKER]
    assert role_row(result, StaffRole.SOCIAL_WORKER).required == 3  # ⌈60 / 20⌉


def test_requirements_for_one_role_add_up(children_catalogue, centre):
    every_centre = VersionFactory(catalogue=CatalogueFactory(code="umum", clusters=[]))
    staffing(every_centre, "STF-U", StaffRole.SOCIAL_WORKER, 30)
    social = role_row(ratios.for_facility(centre), StaffRole.SOCIAL_WORKER)
    assert social.required == 3 + 2  # ⌈60/25⌉ + ⌈60/30⌉
    assert social.residents_per_staff == "1:25 + 1:30"


def test_many_centres_in_four_queries(children_catalogue, centre, django_assert_num_queries):
    others = [
        FacilityFactory(code=f"pusat-{i}", clusters=["ANAK"], capacity=25 * (i + 1))
        for i in range(6)
    ]
    for facility in others:
        hire(facility, StaffRole.SOCIAL_WORKER, 1)
    with django_assert_num_queries(4):
        overview = ratios.overview(Facility.objects.filter(is_active=True))
    summary = {r.role: r for r in overview.roles}
    social = summary[StaffRole.SOCIAL_WORKER]
    # Centres of 25..150 places need 1..6 social workers, Handayani 3; each has 1 or 0.
    assert social.centres == 7
    assert social.required == sum(range(1, 7)) + 3
    assert social.actual == 6
    assert social.shortfall == sum(range(0, 6)) + 3
    assert social.centres_short == 6
    assert [c.code for c in overview.short][:1] == ["pusat-5"]


def test_the_centre_page_panel(children_catalogue, centre, facility_head, galih_pakuan):
    hire(centre, StaffRole.SOCIAL_WORKER, 2)
    request = RequestFactory().get("/")
    request.user = facility_head
    found = [p for p in facility_panels.panels_for(request, centre) if "workforce" in p.template]
    assert len(found) == 1
    assert found[0].context["centre"].shortfall == 1 + 6
    # Another centre is outside the head's scope: no panel.
    assert not [
        p for p in facility_panels.panels_for(request, galih_pakuan) if "workforce" in p.template
    ]


def test_ratio_pages(client, children_catalogue, centre, facility_head):
    hire(centre, StaffRole.SOCIAL_WORKER, 2)
    client.force_login(facility_head)
    page = client.get("/workforce/ratios/")
    assert page.status_code == 200
    assert b'data-centre="brsampk-handayani" data-status="short"' in page.content
    detail = client.get(f"/workforce/centres/{centre.code}/ratios/")
    assert detail.status_code == 200
    assert b'data-role="social_worker" data-status="short"' in detail.content


def test_ratio_api(client, children_catalogue, centre, facility_head, galih_pakuan):
    hire(centre, StaffRole.SOCIAL_WORKER, 2)
    _token, raw = ApiToken.issue(facility_head, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    body = client.get("/api/v1/workforce/ratios").json()
    assert [c["facility"] for c in body["items"]] == ["brsampk-handayani"]
    social = body["items"][0]["roles"][0]
    assert social == {
        "role": "social_worker",
        "required": 3,
        "actual": 2,
        "shortfall": 1,
        "status": "short",
        "requirements": [
            {
                "criterion": "STF-1",
                "catalogue": "anak",
                "version": children_catalogue.number,
                "residents": 60,
                "residents_per_staff": 25,
                "required": 3,
            }
        ],
    }
    summary = client.get("/api/v1/workforce/ratios/summary").json()
    assert summary[0]["role"] == "social_worker"
    assert summary[0]["shortfall"] == 1
    outside = client.get(f"/api/v1/workforce/ratios?facility={galih_pakuan.code}")
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["field"] == "facility"


def test_the_centre_page_shows_the_staffing_panel(
    client, children_catalogue, centre, facility_head
):
    hire(centre, StaffRole.SOCIAL_WORKER, 2)
    client.force_login(facility_head)
    page = client.get(f"/centres/{centre.code}/")
    assert page.status_code == 200
    assert b'data-panel="workforce-staffing"' in page.content
    assert b"2 active staff" in page.content
