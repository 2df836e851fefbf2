"""The pages a social worker and a head live in: my cases, the centre's board by stage,
overdue work, the case page and its timeline, break the glass; the case indicators
with small cells suppressed for aggregate-only roles; the read API."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rehsos.cases import selectors
from rehsos.cases.models import (
    AftercareVisit,
    CaseEvent,
    CaseStatus,
    GlassBreak,
    Task,
    Transition,
)
from rehsos.cases.tests.factories import CaseFactory, default_stage
from rehsos.core.models import AccessLog, ApiToken
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import FacilityFactory, PersonFactory, UserFactory

TODAY = timezone.localdate()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> Client:
    _token, raw = ApiToken.issue(user, "test")
    return Client(headers={"authorization": f"Bearer {raw}"})


def person(name: str, facility=None):
    return PersonFactory(full_name=name, village_id="31.75.03.1001", facility=facility)


def error_fields(response) -> set[str]:
    return {error["field"] for error in response.json().get("errors") or []}


@pytest.fixture
def other_worker(handayani):
    return UserFactory(
        username="peksos.lain",
        first_name="Rina",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
    )


@pytest.fixture
def galih_worker(galih_pakuan):
    return UserFactory(
        username="peksos.galih",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )


# --- caseload -------------------------------------------------------------------------


def test_my_cases_are_the_open_ones_i_work_or_supervise(
    handayani, social_worker, other_worker, facility_head
):
    mine = CaseFactory(unit=handayani, social_worker=social_worker, person=person("Ayu Lestari"))
    supervised = CaseFactory(
        unit=handayani, social_worker=other_worker, supervisor=social_worker, person=person("Budi")
    )
    CaseFactory(unit=handayani, social_worker=other_worker, person=person("Citra Dewi"))
    CaseFactory(
        unit=handayani,
        social_worker=social_worker,
        status=CaseStatus.CLOSED,
        closed_on=TODAY,
        closure_reason="completed",
        person=person("Dodi Closed"),
    )

    response = signed_in(social_worker).get(reverse("cases:caseload"))

    assert response.status_code == 200
    page = response.content.decode()
    assert mine.number in page
    assert supervised.number in page
    assert "Citra Dewi" not in page
    assert "Dodi Closed" not in page
    # The names shown are reads of those persons.
    logged = set(AccessLog.objects.filter(purpose="caseload").values_list("subject_id", flat=True))
    assert logged == {str(mine.person.public_id), str(supervised.person.public_id)}


def test_the_caseload_pages_by_keyset(handayani, social_worker):
    old = timezone.now() - timedelta(days=40)
    cases = [
        CaseFactory(
            unit=handayani, social_worker=social_worker, stage_entered_at=old + timedelta(days=i)
        )
        for i in range(5)
    ]
    first = selectors.caseload(social_worker, limit=3)
    assert [card.case for card in first.items] == cases[:3]
    second = selectors.caseload(social_worker, after=first.next_cursor, limit=3)
    assert [card.case for card in second.items] == cases[3:]
    assert second.next_cursor is None

    bad = signed_in(social_worker).get(reverse("cases:caseload"), {"after": "not-a-cursor"})
    assert bad.status_code == 422
    assert b"cursor" in bad.content


# --- the board ------------------------------------------------------------------------


def test_the_board_has_a_column_per_stage_in_order_with_cards(
    handayani, social_worker, facility_head
):
    long_ago = timezone.now() - timedelta(days=20)  # intake's usual time is 14 days
    late = CaseFactory(
        unit=handayani,
        social_worker=social_worker,
        stage_entered_at=long_ago,
        risk_level="high",
        person=person("Eka Putri"),
    )
    CaseFactory(unit=handayani, stage_code="planning", person=person("Fajar Nugroho"))
    CaseFactory(unit=handayani, stage_code="planning", person=person("Gita Sari"))

    columns = selectors.board(facility_head, handayani)

    assert [c.stage.code for c in columns] == [
        "intake",
        "assessment",
        "planning",
        "intervention",
        "reintegration",
        "termination",
        "aftercare",
    ]
    assert [c.count for c in columns] == [1, 0, 2, 0, 0, 0, 0]
    card = columns[0].cards[0]
    assert card.case == late
    assert card.name == "Eka Putri"
    assert card.days_in_stage == 20
    assert card.overdue

    response = signed_in(facility_head).get(reverse("cases:board"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Eka Putri" in page
    assert "Fajar Nugroho" in page
    assert "data-overdue" in page


def test_the_board_shows_a_case_with_an_overdue_task_as_overdue(handayani, facility_head):
    case = CaseFactory(unit=handayani)
    Task.objects.create(
        case=case, unit=handayani, title="Home visit", due_on=TODAY - timedelta(days=2)
    )
    card = selectors.board(facility_head, handayani)[0].cards[0]
    assert card.has_overdue_task
    assert card.overdue


def test_board_filters_by_cluster_stage_risk_and_worker(
    handayani, social_worker, other_worker, facility_head
):
    a = CaseFactory(unit=handayani, social_worker=social_worker, risk_level="high")
    b = CaseFactory(unit=handayani, social_worker=other_worker, cluster="PD")
    c = CaseFactory(unit=handayani, social_worker=other_worker, stage_code="assessment")

    def shown(**query):
        filters = selectors.parse_filters(query)
        return {card.case for col in selectors.board(facility_head, handayani, filters=filters)
                for card in col.cards}  # fmt: skip

    assert shown() == {a, b, c}
    assert shown(cluster="PD") == {b}
    assert shown(stage="assessment") == {c}
    assert shown(risk="high") == {a}
    assert shown(worker=str(other_worker.pk)) == {b, c}

    client = signed_in(facility_head)
    listed = client.get(reverse("cases:board"), {"stage": "assessment"})
    assert listed.status_code == 200
    assert c.number in listed.content.decode()
    assert a.number not in listed.content.decode()

    wrong = client.get(reverse("cases:board"), {"cluster": "MARS", "risk": "extreme"})
    assert wrong.status_code == 200
    page = wrong.content.decode()
    assert "Choose one of the clusters." in page
    assert "Choose low, medium or high." in page


def test_the_board_query_count_does_not_grow_with_the_cases(
    handayani, facility_head, django_assert_max_num_queries
):
    for code in ("intake", "planning", "intervention"):
        CaseFactory(unit=handayani, stage_code=code)
    client = signed_in(facility_head)
    client.get(reverse("cases:board"))  # warm caches (sessions, stages)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("cases:board"))
    for code in ("intake", "planning", "intervention"):
        for _ in range(6):
            CaseFactory(unit=handayani, stage_code=code)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("cases:board"))


def test_a_provincial_officer_chooses_a_centre_in_the_province(
    handayani, galih_pakuan, provincial_officer
):
    CaseFactory(unit=handayani, person=person("Hana Wijaya"))
    client = signed_in(provincial_officer)

    chooser = client.get(reverse("cases:board"))
    assert chooser.status_code == 200
    assert "Sentra Handayani" in chooser.content.decode()
    assert "Sentra Galih Pakuan" not in chooser.content.decode()  # Jawa Barat, not DKI

    board = client.get(reverse("cases:board"), {"unit": handayani.pk})
    assert "Hana Wijaya" in board.content.decode()
    assert client.get(reverse("cases:board"), {"unit": galih_pakuan.pk}).status_code == 404


# --- sensitive cases ----------------------------------------------------------------------


def test_a_sensitive_case_shows_initials_to_a_colleague_outside_the_team(
    handayani, social_worker, other_worker, facility_head
):
    CaseFactory(
        unit=handayani,
        social_worker=social_worker,
        flag_trafficking=True,
        person=person("Intan Permata Sari"),
    )

    outsider = signed_in(other_worker).get(reverse("cases:board")).content.decode()
    assert "Intan Permata Sari" not in outsider
    assert "I. P. S." in outsider

    head = signed_in(facility_head).get(reverse("cases:board")).content.decode()
    assert "Intan Permata Sari" in head
    worker = signed_in(social_worker).get(reverse("cases:caseload")).content.decode()
    assert "Intan Permata Sari" in worker


def test_break_the_glass_end_to_end_through_the_pages(
    handayani, social_worker, other_worker, facility_head
):
    case = CaseFactory(
        unit=handayani, social_worker=social_worker, flag_child=True, person=person("Joko Susilo")
    )
    client = signed_in(other_worker)
    detail = reverse("cases:detail", args=[case.public_id])

    # Opening the case sends the colleague to the break-the-glass page, nothing logged.
    response = client.get(detail)
    assert response.status_code == 302
    glass_url = response["Location"]
    assert glass_url.startswith(reverse("cases:break_glass", args=[case.public_id]))
    form = client.get(glass_url)
    assert form.status_code == 200
    assert "Joko Susilo" not in form.content.decode()
    assert not AccessLog.objects.filter(subject_id=str(case.person.public_id)).exists()

    # A reason too short is refused beside the field, and kept in the form.
    short = client.post(glass_url, {"reason": "need it", "next": detail})
    assert short.status_code == 422
    assert "at least 10 characters" in short.content.decode()
    assert "need it" in short.content.decode()
    assert not GlassBreak.objects.exists()

    # An off-site "next" is ignored: the case page is where the user lands.
    done = client.post(
        glass_url, {"reason": "Covering the home visit today", "next": "https://evil.example/"}
    )
    assert done.status_code == 302
    assert done["Location"] == detail
    assert GlassBreak.objects.filter(case=case, user=other_worker).count() == 1
    assert CaseEvent.objects.filter(case=case, kind="glass_broken").count() == 1

    opened = client.get(detail)
    assert opened.status_code == 200
    assert "Joko Susilo" in opened.content.decode()
    assert AccessLog.objects.filter(
        subject_id=str(case.person.public_id), user=other_worker, purpose=f"case {case.number}"
    ).exists()

    # The head sees it on the home page and on the glass-break page, and marks it seen.
    head = signed_in(facility_head)
    home = head.get(reverse("core:home")).content.decode()
    assert 'data-glass-unseen="1"' in home
    listing = head.get(reverse("cases:glass_breaks")).content.decode()
    assert "Covering the home visit today" in listing
    assert case.number in listing
    head.post(reverse("cases:glass_breaks"), {"all": "1"})
    assert GlassBreak.objects.get().seen_by_head_at is not None
    assert "data-glass-unseen" not in head.get(reverse("core:home")).content.decode()

    # A social worker may not see the glass-break page.
    assert signed_in(social_worker).get(reverse("cases:glass_breaks")).status_code == 403


def test_a_case_of_another_centre_is_not_found(handayani, galih_pakuan, galih_worker):
    case = CaseFactory(unit=handayani)
    client = signed_in(galih_worker)
    assert client.get(reverse("cases:detail", args=[case.public_id])).status_code == 404
    assert client.get(reverse("cases:timeline", args=[case.public_id])).status_code == 404
    assert client.get(reverse("cases:break_glass", args=[case.public_id])).status_code == 404
    assert client.get(reverse("cases:board"), {"unit": handayani.pk}).status_code == 404
    response = api(galih_worker).get(f"/api/v1/cases/{case.public_id}/timeline")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


# --- case page and timeline --------------------------------------------------------------


def test_the_case_page_has_its_header_and_timeline(handayani, social_worker):
    case = CaseFactory(
        unit=handayani, social_worker=social_worker, stage_code="assessment", flag_law=True
    )
    at = timezone.now() - timedelta(days=3)
    Transition.objects.create(
        case=case,
        kind="forward",
        from_stage=default_stage("intake"),
        to_stage=default_stage("assessment"),
        at=at,
        days_in_previous=6,
        reason="Consent given",
        actor=social_worker,
    )
    CaseEvent.objects.create(case=case, kind="placement_followed_up", actor=social_worker)

    response = signed_in(social_worker).get(reverse("cases:detail", args=[case.public_id]))

    assert response.status_code == 200
    page = response.content.decode()
    assert case.person.full_name in page
    assert "In conflict with the law" in page
    assert "Assessment" in page
    assert "6 days in Initial approach and intake" in page
    assert "Consent given" in page
    assert "Placement followed up" in page  # a kind this module does not know


def test_the_timeline_pages_newest_first_through_page_and_api(handayani, social_worker):
    case = CaseFactory(unit=handayani, social_worker=social_worker)
    for n in range(7):
        CaseEvent.objects.create(case=case, kind=f"step_{n}")
    start = timezone.now() - timedelta(days=1)
    for n in range(3):
        Transition.objects.create(
            case=case,
            kind="forward",
            to_stage=default_stage("assessment"),
            at=start + timedelta(minutes=n),
        )

    first = selectors.timeline(case, limit=4)
    rest = selectors.timeline(case, after=first.next_cursor, limit=20)
    entries = first.items + rest.items
    assert len(entries) == 10
    assert rest.next_cursor is None
    assert [e.label for e in entries[:7]] == [f"Step {n}" for n in range(6, -1, -1)]
    assert [e.source for e in entries[7:]] == ["transition"] * 3
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)

    client = api(social_worker)
    url = f"/api/v1/cases/{case.public_id}/timeline"
    body = client.get(url, {"limit": 4}).json()
    assert [item["label"] for item in body["items"]] == ["Step 6", "Step 5", "Step 4", "Step 3"]
    following = client.get(url, {"limit": 20, "after": body["next"]}).json()
    assert len(following["items"]) == 6

    bad = client.get(url, {"after": "xyz"})
    assert bad.status_code == 422
    assert "after" in error_fields(bad)
    assert client.get(url, {"limit": "lots"}).status_code == 422

    page = signed_in(social_worker).get(reverse("cases:timeline", args=[case.public_id]))
    assert page.status_code == 200
    assert "Step 6" in page.content.decode()


def test_the_api_asks_for_the_glass_on_a_sensitive_case(handayani, social_worker, other_worker):
    case = CaseFactory(unit=handayani, social_worker=social_worker, flag_hiv=True)
    response = api(other_worker).get(f"/api/v1/cases/{case.public_id}/timeline")
    assert response.status_code == 403
    assert response.json()["code"] == "break_glass_required"


# --- overdue work ---------------------------------------------------------------------------


def test_overdue_tasks_of_the_unit_and_mine(handayani, social_worker, other_worker, facility_head):
    case = CaseFactory(unit=handayani, social_worker=social_worker)
    mine = Task.objects.create(
        case=case, unit=handayani, assignee=social_worker, title="Mine", due_on=TODAY - timedelta(1)
    )
    theirs = Task.objects.create(
        unit=handayani, assignee=other_worker, title="Theirs", due_on=TODAY - timedelta(3)
    )
    Task.objects.create(unit=handayani, assignee=social_worker, title="Later", due_on=TODAY)

    assert list(selectors.overdue_tasks(facility_head).items) == [theirs, mine]
    assert list(selectors.overdue_tasks(social_worker).items) == [mine]

    page = signed_in(social_worker).get(reverse("cases:overdue")).content.decode()
    assert "Mine" in page
    assert "Theirs" not in page
    head_page = signed_in(facility_head).get(reverse("cases:overdue")).content.decode()
    assert "Theirs" in head_page
    assert "Later" not in head_page


# --- indicators -------------------------------------------------------------------------------


@pytest.fixture
def small_nation(handayani, galih_pakuan, social_worker):
    """Handayani (DKI Jakarta): 6 ANAK at intake, 2 PD at planning, 1 KPN closed as
    completed; Galih Pakuan (Jawa Barat): 3 KPN at intake; aftercare outcomes; tasks."""
    for _ in range(6):
        CaseFactory(unit=handayani, cluster="ANAK")
    pd = [CaseFactory(unit=handayani, cluster="PD", stage_code="planning") for _ in range(2)]
    done = CaseFactory(
        unit=handayani,
        cluster="KPN",
        stage_code="aftercare",
        status=CaseStatus.CLOSED,
        closed_on=TODAY,
        closure_reason="completed",
    )
    for _ in range(3):
        CaseFactory(unit=galih_pakuan, cluster="KPN")
    AftercareVisit.objects.create(
        case=done, months_after=1, due_on=TODAY, visited_on=TODAY, outcome="working"
    )
    AftercareVisit.objects.create(case=done, months_after=3, due_on=TODAY)
    for case, days in ((pd[0], 10), (pd[1], 20)):
        Transition.objects.create(
            case=case,
            kind="forward",
            from_stage=default_stage("intake"),
            to_stage=default_stage("planning"),
            at=timezone.now(),
            days_in_previous=days,
        )
    Task.objects.create(unit=handayani, title="Late", due_on=TODAY - timedelta(days=1))
    return handayani, galih_pakuan


def cells(table) -> dict:
    return {cell.label: cell.value for cell in table.rows}


def test_indicators_are_correct_for_a_head(small_nation, facility_head):
    handayani, _galih = small_nation
    figures = selectors.indicators(facility_head, unit=handayani)

    assert not figures["suppressed"]
    by_cluster = cells(figures["by_cluster"])
    assert by_cluster["Children"] == 6
    assert by_cluster["Persons with disabilities"] == 2
    assert by_cluster["Victims of drug abuse (NAPZA)"] == 0  # the one KPN case is closed
    assert figures["by_cluster"].total.value == 8
    assert cells(figures["by_stage"])["Initial approach and intake"] == 6
    assert cells(figures["by_stage"])["Intervention planning"] == 2
    intake = figures["time_in_stage"][0]
    assert intake["done"] == {"n": 2, "avg": 15.0, "median": 15.0, "hidden": False}
    assert intake["current"]["n"] == 6
    assert cells(figures["completed"])[TODAY.strftime("%Y-%m")] == 1
    assert cells(figures["aftercare"])["Working"] == 1
    assert cells(figures["overdue"])["Task"] == 1


def test_national_figures_by_province_and_unit(small_nation, national_admin):
    figures = selectors.indicators(national_admin)
    assert cells(figures["by_province"]) == {
        "Daerah Khusus Ibukota Jakarta": 8,
        "Jawa Barat": 3,
    }
    assert sorted(cells(figures["by_unit"]).items()) == [
        ("Sentra Galih Pakuan", 3),
        ("Sentra Handayani", 8),
    ]


def test_the_analyst_gets_small_cells_suppressed(small_nation, analyst, facility_head):
    figures = selectors.indicators(analyst)
    assert figures["suppressed"]
    by_cluster = {cell.label: (cell.value, cell.hidden) for cell in figures["by_cluster"].rows}
    assert by_cluster["Children"] == (6, "")
    assert by_cluster["Persons with disabilities"] == (None, "small")  # 2
    assert by_cluster["Victims of drug abuse (NAPZA)"] == (None, "small")  # 3
    assert figures["by_cluster"].total.value == 11
    # Planning has two finished spells: the average of two people is not shown.
    intake = figures["time_in_stage"][0]
    assert intake["done"]["hidden"]
    assert intake["done"]["avg"] is None

    body = api(analyst).get("/api/v1/case-indicators").json()
    assert body["suppressed"] is True
    values = {row["label"]: row["value"] for row in body["by_cluster"]["rows"]}
    assert values["Persons with disabilities"] is None
    assert values["Children"] == 6
    # Secondary suppression: one small cell would be derivable from the total.
    by_province = {row["label"]: row for row in body["by_province"]["rows"]}
    assert all(row["value"] is None for row in by_province.values())

    head = api(facility_head).get("/api/v1/case-indicators").json()
    assert head["suppressed"] is False
    assert {row["label"]: row["value"] for row in head["by_cluster"]["rows"]}[
        "Persons with disabilities"
    ] == 2

    home = signed_in(analyst).get(reverse("core:home")).content.decode()
    assert "data-suppressed" in home
    assert "Rehabilitation cases, national" in home


def test_indicator_and_board_api_refuse_bad_input_without_500(
    handayani, facility_head, analyst, social_worker
):
    client = api(facility_head)
    for query, field in (
        ({"cluster": "MARS"}, "cluster"),
        ({"stage": "nowhere"}, "stage"),
        ({"risk": "x"}, "risk"),
        ({"worker": "abc"}, "worker"),
    ):
        response = client.get("/api/v1/case-board", query)
        assert response.status_code == 422, query
        assert field in error_fields(response)
    assert client.get("/api/v1/case-board").status_code == 200
    assert api(analyst).get("/api/v1/case-indicators", {"province": "3"}).status_code == 422
    assert api(analyst).get("/api/v1/case-indicators", {"unit": "x"}).status_code == 422
    assert api(analyst).get("/api/v1/case-board").status_code == 403
    assert api(social_worker).get("/api/v1/case-indicators").status_code == 403


def test_the_board_api_masks_sensitive_names(handayani, social_worker, other_worker):
    CaseFactory(
        unit=handayani, social_worker=social_worker, flag_napza=True, person=person("Kartika Sari")
    )
    body = api(other_worker).get("/api/v1/case-board").json()
    card = body["columns"][0]["cards"][0]
    assert card["name"] == "K. S."
    assert card["masked"] is True
    assert body["unit"]["name"] == "Sentra Handayani"


# --- the person page ----------------------------------------------------------------------


def test_the_person_page_lists_the_persons_cases(handayani, social_worker, other_worker):
    someone = person("Lina Marlina", facility=handayani)
    plain = CaseFactory(unit=handayani, person=someone, cluster="PD")
    hidden = CaseFactory(
        unit=handayani, person=someone, social_worker=social_worker, flag_hiv=True, cluster="LAIN"
    )
    page = signed_in(other_worker).get(reverse("registry:detail", args=[someone.public_id]))
    assert page.status_code == 200
    text = page.content.decode()
    assert plain.number in text
    assert hidden.number in text
    assert "Persons with disabilities" in text
    assert "Other PPKS" not in text  # the sensitive case's cluster stays with its team


def test_a_centre_of_its_own_has_no_other_centres_cases(galih_pakuan, galih_worker):
    elsewhere = FacilityFactory(code="lks-lain", name="LKS Lain", region_id="32.01.01.1001")
    CaseFactory(unit=elsewhere, person=person("Maya Putri"))
    assert selectors.board(galih_worker, galih_pakuan)[0].count == 0
