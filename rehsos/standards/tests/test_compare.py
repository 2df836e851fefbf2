"""Comparisons: weighted kappa on known cases, self vs external per criterion, domain and
assessor, a centre over time, centres against a reference; pages and API, scoped."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from rehsos.core.models import ApiToken
from rehsos.core.roles import Role
from rehsos.core.tests.factories import FacilityFactory, UserFactory
from rehsos.standards import selectors_compare as compare
from rehsos.standards.models import Assessment, Domain
from rehsos.standards.tests.factories import rated_assessment, small_catalogue

pytestmark = pytest.mark.django_db


# --- kappa and agreement (no database) -----------------------------------------------


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([(0, 0), (1, 1), (2, 2), (3, 3)], 1.0),  # perfect
        ([(0, 3), (1, 2), (2, 1), (3, 0)], -1.0),  # exactly reversed
        ([(0, 0), (0, 1), (1, 1), (1, 1)], 0.5),  # worked by hand in the docs
        # Unweighted kappa would call (0,1) and (0,3) equally wrong; quadratic weights do not.
        ([(0, 0), (3, 3), (0, 1), (3, 2)], 6 / 7),
    ],
)
def test_quadratic_kappa_known_cases(pairs, expected):
    assert compare.quadratic_kappa(pairs) == pytest.approx(expected)


def test_quadratic_kappa_matches_the_matrix_definition():
    # κw = 1 − Σ w·O / Σ w·E over a 4×4 table, computed the long way.
    pairs = [(0, 0), (1, 2), (2, 2), (3, 2), (2, 3), (1, 1), (0, 1), (3, 3), (2, 1), (2, 2)]
    n, k = len(pairs), 4
    observed = [[0.0] * k for _ in range(k)]
    for a, b in pairs:
        observed[a][b] += 1 / n
    rows = [sum(observed[i]) for i in range(k)]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    weight = [[(i - j) ** 2 / (k - 1) ** 2 for j in range(k)] for i in range(k)]
    num = sum(weight[i][j] * observed[i][j] for i in range(k) for j in range(k))
    den = sum(weight[i][j] * rows[i] * cols[j] for i in range(k) for j in range(k))
    assert compare.quadratic_kappa(pairs) == pytest.approx(1 - num / den)


def test_kappa_degenerate_cases():
    assert compare.quadratic_kappa([]) is None
    # Both sides gave every criterion "met": agreement is total, chance agreement too.
    assert compare.quadratic_kappa([(2, 2)] * 5) is None
    a = compare.agreement([(2, 2)] * 5)
    assert (a.exact_percent, a.within_one_percent, a.kappa) == (
        Decimal("100.00"),
        Decimal("100.00"),
        None,
    )
    assert "undefined" in a.kappa_note
    # One side constant, the other not: kappa is defined (and 0: no better than chance).
    assert compare.quadratic_kappa([(2, 1), (2, 3)]) == pytest.approx(0.0)
    empty = compare.agreement([])
    assert (empty.pairs, empty.exact_percent, empty.kappa, empty.mean_difference) == (
        0,
        None,
        None,
        None,
    )


def test_agreement_percentages():
    a = compare.agreement([(2, 2), (2, 3), (1, 3), (0, 0)])
    assert (a.pairs, a.exact, a.within_one) == (4, 2, 3)
    assert (a.exact_percent, a.within_one_percent) == (Decimal("50.00"), Decimal("75.00"))
    assert a.mean_difference == Decimal("0.75")  # (0 + 1 + 2 + 0) / 4, external − self


# --- self vs external ----------------------------------------------------------------


@pytest.fixture
def version():
    # ACC-1 (critical), ACC-2, ACC-3, SAFE-1 (critical), SAFE-2, SAFE-3
    return small_catalogue()


@pytest.fixture
def assessors():
    return (
        UserFactory(username="auditor.ratna", role=Role.STANDARDS_ASSESSOR),
        UserFactory(username="auditor.bayu", role=Role.STANDARDS_ASSESSOR),
    )


@pytest.fixture
def pair(handayani, version, assessors):
    ratna, bayu = assessors
    own = rated_assessment(
        facility=handayani,
        version=version,
        ratings={"ACC-1": 2, "ACC-2": 3, "ACC-3": 2, "SAFE-1": 2, "SAFE-2": "na", "SAFE-3": 1},
    )
    external = rated_assessment(
        facility=handayani,
        version=version,
        kind=Assessment.Kind.EXTERNAL,
        ratings={
            "ACC-1": (2, ratna),
            "ACC-2": (1, ratna),
            "ACC-3": (2, ratna),
            "SAFE-1": (1, bayu),
            "SAFE-2": (2, bayu),
            "SAFE-3": (1, bayu),
        },
    )
    return own, external


def test_self_vs_external_per_criterion_domain_and_assessor(
    national_admin, handayani, pair, assessors
):
    own, external = pair
    ratna, bayu = assessors
    result = compare.self_vs_external(national_admin, facility=handayani)
    assert (result.own, result.external) == (own, external)
    rows = {r.criterion.code: r for r in result.rows}
    assert rows["ACC-2"].difference == -2
    assert rows["ACC-2"].agreement == "apart"
    assert rows["SAFE-1"].agreement == "within_one"
    assert rows["SAFE-2"].agreement == "na_mismatch"
    assert rows["SAFE-2"].difference is None
    assert rows["ACC-1"].agreement == "exact"
    assert rows["ACC-2"].own_label.startswith("Exceeds")
    # Five pairs rated by both: exact ACC-1, ACC-3, SAFE-3; within one SAFE-1.
    assert (result.overall.pairs, result.overall.exact, result.overall.within_one) == (5, 3, 4)
    assert result.overall.exact_percent == Decimal("60.00")
    assert result.na_mismatches == 1
    assert list(result.by_domain) == [Domain.ACCESS, Domain.SAFETY]
    assert result.by_domain[Domain.SAFETY].pairs == 2
    by_user = {a.user_id: a for a in result.by_assessor}
    assert by_user[ratna.pk].name == ratna.get_full_name()
    assert by_user[ratna.pk].agreement.pairs == 3
    assert by_user[ratna.pk].agreement.exact == 2
    assert by_user[bayu.pk].agreement.pairs == 2
    assert by_user[bayu.pk].agreement.exact_percent == Decimal("50.00")
    # The external audit failed SAFE-1 (critical, partly met); the self-assessment passed.
    assert result.own_score.passed is True
    assert result.external_score.passed is False


def test_self_vs_external_refuses_mismatched_assessments(national_admin, handayani, pair):
    own, _external = pair
    other_version = small_catalogue()
    other = rated_assessment(
        facility=handayani,
        version=other_version,
        kind=Assessment.Kind.EXTERNAL,
        ratings={"ACC-1": 2},
    )
    with pytest.raises(compare.ValidationFailed) as caught:
        compare.self_vs_external(national_admin, facility=handayani, own=own, external=other)
    assert "external" in caught.value.fields
    with pytest.raises(compare.ValidationFailed) as caught:
        compare.self_vs_external(national_admin, facility=handayani, own=other, external=None)
    assert "self" in caught.value.fields


def test_self_vs_external_with_one_side_missing(national_admin, galih_pakuan, version):
    rated_assessment(facility=galih_pakuan, version=version, ratings={"ACC-1": 2})
    result = compare.self_vs_external(national_admin, facility=galih_pakuan)
    assert result.external is None
    assert result.complete is False
    assert result.overall.pairs == 0
    assert result.overall.kappa is None


# --- over time -----------------------------------------------------------------------


def test_facility_over_time(national_admin, handayani, version):
    now = timezone.now()
    first = rated_assessment(
        facility=handayani,
        version=version,
        ratings={"ACC-1": 0, "ACC-2": 0, "SAFE-1": 2},
        visit_on=datetime.date(2025, 3, 1),
        submitted_at=now - datetime.timedelta(days=300),
    )
    second = rated_assessment(
        facility=handayani,
        version=version,
        kind=Assessment.Kind.EXTERNAL,
        ratings={"ACC-1": 2, "ACC-2": 2, "SAFE-1": 2},
        visit_on=datetime.date(2026, 2, 1),
    )
    rated_assessment(
        facility=handayani,
        version=version,
        ratings={"ACC-1": 2},
        status=Assessment.Status.IN_PROGRESS,
    )
    timeline = compare.facility_over_time(national_admin, facility=handayani)
    assert [p.assessment for p in timeline.points] == [first, second]
    series = timeline.series()
    assert series["overall"] == [
        (datetime.date(2025, 3, 1), Decimal("25.00")),
        (datetime.date(2026, 2, 1), Decimal("100.00")),
    ]
    assert series[Domain.ACCESS][0][1] == Decimal("0.00")
    only_external = compare.facility_over_time(national_admin, facility=handayani, kind="external")
    assert [p.assessment for p in only_external.points] == [second]


# --- centres against each other ------------------------------------------------------


@pytest.fixture
def centres(version, handayani, galih_pakuan):
    model = FacilityFactory(code="model-lu", name="Sentra Budhi Dharma", is_model=True)
    rated_assessment(
        facility=model,
        version=version,
        kind=Assessment.Kind.EXTERNAL,
        ratings={"ACC-1": 2, "ACC-2": 2, "ACC-3": 2, "SAFE-1": 2, "SAFE-2": 2, "SAFE-3": 2},
    )
    rated_assessment(
        facility=handayani,
        version=version,
        ratings={"ACC-1": 2, "ACC-2": 1, "ACC-3": 0, "SAFE-1": 2, "SAFE-2": 2, "SAFE-3": 2},
    )
    rated_assessment(
        facility=galih_pakuan,
        version=version,
        ratings={"ACC-1": 1, "ACC-2": 2, "ACC-3": 2, "SAFE-1": 2, "SAFE-2": 2, "SAFE-3": 2},
    )
    return model


def test_centres_against_a_reference(national_admin, version, centres, handayani, galih_pakuan):
    assert compare.default_reference(version.catalogue) == centres
    bench = compare.centres_compared(national_admin, catalogue=version.catalogue, reference=centres)
    by_code = {r.facility.code: r for r in bench.rows}
    assert set(by_code) == {"model-lu", handayani.code, galih_pakuan.code}
    assert bench.reference.facility == centres
    # Handayani's access: (1 + 2×0.5 + 0) / 6 = 33.33, 66.67 below the model's 100.
    assert by_code[handayani.code].percent(Domain.ACCESS) == Decimal("33.33")
    assert by_code[handayani.code].gaps[Domain.ACCESS] == Decimal("-66.67")
    assert by_code[handayani.code].gaps[Domain.SAFETY] == Decimal("0.00")
    assert by_code[galih_pakuan.code].score.passed is False  # ACC-1 critical, partly met
    assert bench.rows[0].facility == centres  # best first
    assert bench.means[Domain.SAFETY] == Decimal("100.00")
    only_external = compare.centres_compared(
        national_admin, catalogue=version.catalogue, kind="external", reference=centres
    )
    assert [r.facility for r in only_external.rows] == [centres]


def test_a_centre_user_compares_only_its_own_centre_with_a_model(
    facility_head, version, centres, handayani
):
    bench = compare.centres_compared(facility_head, catalogue=version.catalogue, reference=centres)
    assert [r.facility for r in bench.rows] == [handayani]
    assert bench.reference.facility == centres  # a model centre is the public benchmark
    assert compare.reference_for_user(facility_head, "model-lu") == centres
    with pytest.raises(compare.ValidationFailed):
        compare.reference_for_user(facility_head, "brskpn-galih-pakuan")
    with pytest.raises(compare.NotFound):
        compare.facility_for_user(facility_head, "brskpn-galih-pakuan")


# --- pages ---------------------------------------------------------------------------


def test_pages_render(
    client, analyst, pair, centres, version, assessors, django_assert_max_num_queries
):
    client.force_login(analyst)
    own, _external = pair  # `centres` adds a newer self-assessment: ask for this one
    url = (
        reverse("standards:compare_self_external")
        + f"?centre=brsampk-handayani&self={own.public_id}"
    )
    with django_assert_max_num_queries(25):
        page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-criterion="ACC-2"' in html
    assert "60.00%" in html  # exact agreement
    assert assessors[0].get_full_name() in html

    page = client.get(reverse("standards:compare_over_time") + "?centre=brsampk-handayani")
    assert page.status_code == 200
    assert b"<polyline" in page.content
    assert b'data-series="overall"' in page.content

    url = reverse("standards:compare_centres") + f"?catalogue={version.catalogue.code}"
    with django_assert_max_num_queries(25):
        page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-reference" in html
    assert "-66.67" in html


def test_pages_show_errors_in_the_form(client, analyst, version):
    client.force_login(analyst)
    page = client.get(reverse("standards:compare_centres") + "?catalogue=nope&kind=x")
    assert page.status_code == 200
    assert b'data-field-error="catalogue"' in page.content
    page = client.get(reverse("standards:compare_self_external") + "?centre=unknown")
    assert page.status_code == 404


def test_pages_need_standards_view(client, handayani):
    partner = UserFactory(username="mitra.jica", role=Role.PARTNER_VIEWER)
    client.force_login(partner)
    assert client.get(reverse("standards:compare_centres")).status_code == 403


# --- API -----------------------------------------------------------------------------


@pytest.fixture
def api(national_admin):
    _token, raw = ApiToken.issue(national_admin, "tests")
    from django.test import Client

    return Client(headers={"authorization": f"Bearer {raw}"})


def test_api_scores_and_comparisons(api, pair, centres, version, handayani):
    own, external = pair
    body = api.get(f"/api/v1/standards/scores/{external.public_id}").json()
    assert body["passed"] is False
    assert body["domains"][1]["critical_failed"] == ["SAFE-1"]
    many = api.get(
        f"/api/v1/standards/scores?assessment={own.public_id}&assessment={external.public_id}"
    ).json()
    assert [s["assessment"] for s in many] == [str(own.public_id), str(external.public_id)]

    url = f"/api/v1/standards/compare/self-external?centre=brsampk-handayani&self={own.public_id}"
    body = api.get(url).json()
    assert body["overall"]["exact_percent"] == "60.00"
    assert {a["assessor"] for a in body["by_assessor"]} == {"auditor.ratna", "auditor.bayu"}
    assert body["criteria"][1]["agreement"] == "apart"

    body = api.get("/api/v1/standards/compare/over-time?centre=brsampk-handayani").json()
    assert len(body) == 3  # the self-assessment and the audit of `pair`, and centres'
    body = api.get(
        f"/api/v1/standards/compare/centres?catalogue={version.catalogue.code}&reference=model-lu"
    ).json()
    assert body["reference"]["centre"] == "model-lu"
    gaps = {c["centre"]: c["gap"] for c in body["centres"]}
    assert gaps["model-lu"] == "0.00"


def test_api_errors_name_the_field(api, version):
    response = api.get("/api/v1/standards/compare/centres?catalogue=nope")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "catalogue" in response.content.decode()
    response = api.get("/api/v1/standards/compare/centres?catalogue=x&province=311")
    assert response.status_code == 422
    response = api.get("/api/v1/standards/compare/over-time?centre=nowhere")
    assert response.status_code == 404
