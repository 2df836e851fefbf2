"""The standards catalogue's versioning rules: catalogues, drafts, criteria edits with
field-named validation and row versions, adoption with dated retirement, immutability
of adopted versions, the version in force, and the difference between versions."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rehsos.core.errors import Conflict, PermissionDenied, ValidationFailed
from rehsos.standards import selectors_catalogue as selectors
from rehsos.standards import services_catalogue as services
from rehsos.standards import tasks_catalogue
from rehsos.standards.models import Catalogue, CatalogueVersion, Criterion
from rehsos.standards.tests.factories import AnswerFactory, small_catalogue

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def criterion(code: str, domain: str = "ACC", **values) -> dict:
    row = {
        "code": code,
        "domain": domain,
        "text_id": f"Kriteria {code}",
        "text_en": f"Criterion {code}",
        "weight": 2,
        "scale": "four",
    }
    return {**row, **values}


@pytest.fixture
def draft(national_admin):
    catalogue = services.create_catalogue(
        user=national_admin,
        code="centre-lu",
        name_id="Standar balai lanjut usia",
        name_en="Older persons' centre standards",
        clusters=["lu"],
    )
    version = catalogue.versions.get()
    for code, domain in (("ACC-01", "ACC"), ("ACC-02", "ACC"), ("SAFE-01", "SAFE")):
        services.add_criterion(
            user=national_admin,
            version=version,
            data=criterion(code, domain),
            expected_version=version.version,
        )
    return version


def codes(version) -> list[str]:
    return list(selectors.criteria_of(version).values_list("code", flat=True))


def adopt(user, version, day=TODAY):
    version.refresh_from_db()
    return services.adopt(
        user=user, version=version, effective_from=day, expected_version=version.version
    )


# --- catalogues and drafts ------------------------------------------------------------


def test_a_new_catalogue_starts_with_an_empty_draft_version_1(national_admin):
    catalogue = services.create_catalogue(
        user=national_admin, code=" Centre-PD ", name_id="Standar PD", name_en="PD standards"
    )
    assert catalogue.code == "centre-pd"
    version = catalogue.versions.get()
    assert (version.number, version.status, version.criteria.count()) == (1, "draft", 0)


def test_a_catalogue_needs_a_free_code_names_and_known_functions(national_admin, draft):
    with pytest.raises(ValidationFailed) as raised:
        services.create_catalogue(
            user=national_admin, code="centre-lu", name_id="", name_en="", clusters=["XX"]
        )
    assert set(raised.value.fields) == {"code", "name_id", "name_en", "clusters"}
    with pytest.raises(ValidationFailed) as raised:
        services.create_catalogue(user=national_admin, code="Not a slug!", name_id="a", name_en="b")
    assert set(raised.value.fields) == {"code"}
    assert Catalogue.objects.count() == 1


def test_only_catalogue_managers_change_the_catalogue(analyst, facility_head, draft):
    for user in (analyst, facility_head):
        with pytest.raises(PermissionDenied):
            services.add_criterion(
                user=user, version=draft, data=criterion("X-1"), expected_version=draft.version
            )
        with pytest.raises(PermissionDenied):
            services.new_draft(user=user, catalogue=draft.catalogue)
    assert codes(draft) == ["ACC-01", "ACC-02", "SAFE-01"]


def test_a_new_draft_copies_the_latest_version_and_only_one_draft_exists(national_admin, draft):
    adopt(national_admin, draft)
    second = services.new_draft(user=national_admin, catalogue=draft.catalogue, notes="2027")
    assert (second.number, second.status, second.notes) == (2, "draft", "2027")
    assert codes(second) == codes(draft)
    copy = second.criteria.get(code="ACC-01")
    assert copy.pk != draft.criteria.get(code="ACC-01").pk
    assert (copy.text_en, copy.weight) == ("Criterion ACC-01", Decimal("2.00"))

    with pytest.raises(Conflict) as raised:
        services.new_draft(user=national_admin, catalogue=draft.catalogue)
    assert raised.value.code == "draft_exists"
    assert draft.catalogue.versions.count() == 2


def test_a_draft_can_be_discarded_but_an_adopted_version_cannot(national_admin, draft):
    adopt(national_admin, draft)
    second = services.new_draft(user=national_admin, catalogue=draft.catalogue)
    services.discard_draft(user=national_admin, version=second, expected_version=second.version)
    assert list(draft.catalogue.versions.values_list("number", flat=True)) == [1]
    draft.refresh_from_db()
    with pytest.raises(services.NotADraft):
        services.discard_draft(user=national_admin, version=draft, expected_version=draft.version)
    assert Criterion.objects.filter(version=draft).count() == 3


# --- criteria in a draft ----------------------------------------------------------------


def test_every_bad_value_is_named_by_its_field(national_admin, draft):
    bad = {
        "code": "ACC-01",  # taken
        "domain": "XYZ",
        "text_id": " ",
        "text_en": "",
        "weight": None,
        "scale": "ten",
        "critical": "maybe",
        "staff_role": "astronaut",
        "residents_per_staff": 0,
    }
    with pytest.raises(ValidationFailed) as raised:
        services.add_criterion(
            user=national_admin, version=draft, data=bad, expected_version=draft.version
        )
    assert set(raised.value.fields) == {
        "domain",
        "text_id",
        "text_en",
        "weight",
        "scale",
        "critical",
        "staff_role",
        "residents_per_staff",
    }
    assert "Unknown domain XYZ" in raised.value.fields["domain"]
    assert raised.value.fields["weight"].startswith("Give a weight")

    # The duplicate code is found once the values are otherwise fine.
    with pytest.raises(ValidationFailed) as raised:
        services.add_criterion(
            user=national_admin,
            version=draft,
            data=criterion("acc-01"),
            expected_version=draft.version,
        )
    assert raised.value.fields == {"code": "Another criterion of this version has the code ACC-01."}
    assert codes(draft) == ["ACC-01", "ACC-02", "SAFE-01"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"weight": -1}, "weight"),
        ({"weight": "1.234"}, "weight"),
        ({"weight": "heavy"}, "weight"),
        ({"residents_per_staff": 5}, "residents_per_staff"),  # a ratio without a role
        ({"staff_role": "nurse", "residents_per_staff": "2.5"}, "residents_per_staff"),
        ({"code": "A B"}, "code"),
        ({"code": "X" * 21}, "code"),
    ],
)
def test_rules_of_single_values(values, field):
    _clean, errors = services.clean_criterion({**criterion("NEW-1"), **values})
    assert set(errors) == {field}


def test_a_ratio_is_a_staff_role_and_residents_per_staff_member():
    clean, errors = services.clean_criterion(
        criterion("STF-1", "STF", staff_role="Caregiver", residents_per_staff="5", weight="1,5")
    )
    assert errors == {}
    assert (clean["staff_role"], clean["residents_per_staff"], clean["weight"]) == (
        "caregiver",
        5,
        Decimal("1.50"),
    )


def test_a_criterion_goes_after_its_domain_unless_placed(national_admin, draft):
    services.add_criterion(
        user=national_admin, version=draft, data=criterion("ACC-03"), expected_version=draft.version
    )
    services.add_criterion(
        user=national_admin,
        version=draft,
        data=criterion("ROOM-01", "ROOM"),
        expected_version=draft.version,
    )
    services.add_criterion(
        user=national_admin,
        version=draft,
        data=criterion("GOV-01", "GOV"),
        expected_version=draft.version,
        position=1,
    )
    assert codes(draft) == ["GOV-01", "ACC-01", "ACC-02", "ACC-03", "ROOM-01", "SAFE-01"]


def test_an_edit_carries_the_row_version_it_read(national_admin, draft):
    row = draft.criteria.get(code="ACC-02")
    read = draft.version
    services.update_criterion(
        user=national_admin, criterion=row, data={"weight": "3"}, expected_version=read
    )
    draft.refresh_from_db()
    assert draft.version == read + 1
    stale = draft.criteria.get(code="ACC-01")
    with pytest.raises(Conflict) as raised:
        services.update_criterion(
            user=national_admin, criterion=stale, data={"text_en": "Mine"}, expected_version=read
        )
    assert raised.value.extra == {"current_version": read + 1}
    assert draft.criteria.get(code="ACC-01").text_en == "Criterion ACC-01"
    assert draft.criteria.get(code="ACC-02").weight == Decimal("3.00")
    with pytest.raises(ValidationFailed) as raised:
        services.update_criterion(
            user=national_admin, criterion=stale, data={}, expected_version=None
        )
    assert set(raised.value.fields) == {"version"}


def test_an_edit_may_rename_a_code_but_not_onto_another(national_admin, draft):
    row = draft.criteria.get(code="ACC-02")
    with pytest.raises(ValidationFailed) as raised:
        services.update_criterion(
            user=national_admin,
            criterion=row,
            data={"code": "SAFE-01"},
            expected_version=draft.version,
        )
    assert set(raised.value.fields) == {"code"}
    services.update_criterion(
        user=national_admin, criterion=row, data={"code": "acc-09"}, expected_version=draft.version
    )
    assert codes(draft) == ["ACC-01", "ACC-09", "SAFE-01"]


def test_reorder_move_and_delete(national_admin, draft):
    with pytest.raises(ValidationFailed) as raised:
        services.reorder_criteria(
            user=national_admin,
            version=draft,
            codes=["SAFE-01", "ACC-01", "ACC-01"],
            expected_version=draft.version,
        )
    assert "missing: ACC-02" in raised.value.fields["codes"]
    assert "given twice: ACC-01" in raised.value.fields["codes"]
    services.reorder_criteria(
        user=national_admin,
        version=draft,
        codes=["SAFE-01", "ACC-02", "ACC-01"],
        expected_version=draft.version,
    )
    assert codes(draft) == ["SAFE-01", "ACC-02", "ACC-01"]
    services.move_criterion(
        user=national_admin,
        criterion=draft.criteria.get(code="ACC-01"),
        offset=-1,
        expected_version=draft.version,
    )
    assert codes(draft) == ["SAFE-01", "ACC-01", "ACC-02"]
    draft.refresh_from_db()
    services.delete_criterion(
        user=national_admin,
        criterion=draft.criteria.get(code="SAFE-01"),
        expected_version=draft.version,
    )
    assert codes(draft) == ["ACC-01", "ACC-02"]


def test_a_criterion_with_answers_is_not_deleted(national_admin, draft):
    row = draft.criteria.get(code="ACC-01")
    AnswerFactory(criterion=row, assessment__version=draft)
    with pytest.raises(ValidationFailed) as raised:
        services.delete_criterion(
            user=national_admin, criterion=row, expected_version=draft.version
        )
    assert set(raised.value.fields) == {"code"}
    assert draft.criteria.filter(code="ACC-01").exists()


# --- adoption, retirement, immutability --------------------------------------------------


def test_adoption_fixes_the_dates_and_retires_the_previous_version_on_the_day(
    national_admin, draft
):
    first = adopt(national_admin, draft, TODAY - 30 * DAY)
    assert (first.status, first.effective_from, first.effective_to) == (
        "adopted",
        TODAY - 30 * DAY,
        None,
    )
    assert first.adopted_by == national_admin

    # A successor from next month: the first stays adopted (in force) until then.
    second = services.new_draft(user=national_admin, catalogue=draft.catalogue)
    later = TODAY + 31 * DAY
    adopt(national_admin, second, later)
    first.refresh_from_db()
    assert (first.status, first.effective_to) == ("adopted", later - DAY)
    assert selectors.version_in_force(draft.catalogue) == first
    assert selectors.version_in_force(draft.catalogue, later) == second

    # The daily retirement flips it on the successor's first day, not before.
    assert services.retire_due(later - DAY) == 0
    assert services.retire_due(later) == 1
    first.refresh_from_db()
    assert first.status == "retired"
    assert services.retire_due(later) == 0


def test_a_successor_from_today_retires_the_previous_version_at_once(national_admin, draft):
    first = adopt(national_admin, draft, TODAY - 10 * DAY)
    second = services.new_draft(user=national_admin, catalogue=draft.catalogue)
    adopt(national_admin, second, TODAY)
    first.refresh_from_db()
    assert (first.status, first.effective_to) == ("retired", TODAY - DAY)
    assert selectors.version_in_force(draft.catalogue) == second
    assert selectors.version_in_force(draft.catalogue, TODAY - DAY) == first


def test_a_successor_must_start_after_the_version_it_replaces(national_admin, draft):
    adopt(national_admin, draft, TODAY)
    second = services.new_draft(user=national_admin, catalogue=draft.catalogue)
    with pytest.raises(ValidationFailed) as raised:
        adopt(national_admin, second, TODAY)
    assert set(raised.value.fields) == {"effective_from"}
    second.refresh_from_db()
    assert second.status == "draft"
    draft.refresh_from_db()
    assert draft.effective_to is None


def test_an_empty_draft_is_not_adopted(national_admin):
    catalogue = services.create_catalogue(
        user=national_admin, code="empty", name_id="Kosong", name_en="Empty"
    )
    with pytest.raises(ValidationFailed) as raised:
        adopt(national_admin, catalogue.versions.get())
    assert set(raised.value.fields) == {"criteria"}


def test_an_adopted_version_is_immutable(national_admin, draft):
    adopted = adopt(national_admin, draft)
    before = selectors.snapshot(adopted)
    row = adopted.criteria.get(code="ACC-01")
    attempts = [
        lambda: services.add_criterion(
            user=national_admin,
            version=adopted,
            data=criterion("NEW-1"),
            expected_version=adopted.version,
        ),
        lambda: services.update_criterion(
            user=national_admin, criterion=row, data={"weight": 9}, expected_version=adopted.version
        ),
        lambda: services.delete_criterion(
            user=national_admin, criterion=row, expected_version=adopted.version
        ),
        lambda: services.move_criterion(
            user=national_admin, criterion=row, offset=1, expected_version=adopted.version
        ),
        lambda: services.reorder_criteria(
            user=national_admin,
            version=adopted,
            codes=["SAFE-01", "ACC-02", "ACC-01"],
            expected_version=adopted.version,
        ),
        lambda: services.replace_criteria(
            version=adopted, rows=[], expected_version=adopted.version
        ),
        lambda: adopt(national_admin, adopted, TODAY + DAY),
    ]
    for attempt in attempts:
        with pytest.raises(services.NotADraft):
            attempt()
    adopted.refresh_from_db()
    assert selectors.snapshot(adopted) == before
    assert (adopted.status, adopted.effective_from) == ("adopted", TODAY)


def test_retiring_today_is_at_once_and_later_is_dated(national_admin, draft):
    adopted = adopt(national_admin, draft, TODAY - 5 * DAY)
    services.retire(
        user=national_admin, version=adopted, on=TODAY + 10 * DAY, expected_version=adopted.version
    )
    adopted.refresh_from_db()
    assert (adopted.status, adopted.effective_to) == ("adopted", TODAY + 9 * DAY)
    services.retire(user=national_admin, version=adopted, expected_version=adopted.version)
    adopted.refresh_from_db()
    assert (adopted.status, adopted.effective_to) == ("retired", TODAY - DAY)
    assert selectors.version_in_force(draft.catalogue) is None
    with pytest.raises(services.NotADraft) as raised:
        services.retire(user=national_admin, version=adopted, expected_version=adopted.version)
    assert raised.value.code == "not_adopted"


def test_a_draft_is_not_retired_and_a_stale_retirement_is_refused(national_admin, draft):
    with pytest.raises(services.NotADraft):
        services.retire(user=national_admin, version=draft, expected_version=draft.version)
    adopted = adopt(national_admin, draft)
    with pytest.raises(Conflict):
        services.retire(user=national_admin, version=adopted, expected_version=adopted.version - 1)
    adopted.refresh_from_db()
    assert adopted.effective_to is None


# --- differences ----------------------------------------------------------------------------


def test_the_difference_between_two_versions(national_admin, draft):
    adopt(national_admin, draft)
    second = services.new_draft(user=national_admin, catalogue=draft.catalogue)
    v = second.version
    services.update_criterion(
        user=national_admin,
        criterion=second.criteria.get(code="ACC-02"),
        data={"weight": "3", "critical": True, "text_en": "Ramps on every level change"},
        expected_version=v,
    )
    services.delete_criterion(
        user=national_admin, criterion=second.criteria.get(code="ACC-01"), expected_version=v + 1
    )
    services.add_criterion(
        user=national_admin, version=second, data=criterion("GOV-01", "GOV"), expected_version=v + 2
    )
    changes = selectors.diff_versions(draft, second)
    assert [row["code"] for row in changes.added] == ["GOV-01"]
    assert [row["code"] for row in changes.removed] == ["ACC-01"]
    assert [c.code for c in changes.changed] == ["ACC-02"]
    assert [(f.field, f.before, f.after) for f in changes.changed[0].changes] == [
        ("text_en", "Criterion ACC-02", "Ramps on every level change"),
        ("weight", "2", "3"),
        ("critical", "no", "yes"),
    ]
    assert changes.moved == ()
    assert changes.unchanged == 1
    assert changes.summary() == {"added": 1, "removed": 1, "changed": 1, "moved": 0, "unchanged": 1}


def test_moves_are_the_fewest_criteria_that_changed_place():
    rows = [criterion(f"C-{i}") for i in range(1, 6)]
    moved_last = [rows[1], rows[2], rows[3], rows[4], rows[0]]
    changes = selectors.diff(rows, moved_last)
    assert changes.moved == ("C-1",)
    assert changes.unchanged == 5
    assert selectors.diff(rows, rows).is_empty


def test_the_factory_catalogue_is_adopted_and_in_force(db):
    version = small_catalogue()
    assert selectors.version_in_force(version.catalogue, datetime.date(2026, 6, 1)) == version
    assert version.status == CatalogueVersion.Status.ADOPTED


def test_the_worker_retires_ended_versions_and_expires_previews(national_admin, draft):
    adopted = adopt(national_admin, draft, TODAY - 30 * DAY)
    services.retire(
        user=national_admin, version=adopted, on=TODAY + DAY, expected_version=adopted.version
    )
    assert tasks_catalogue.catalogue_housekeeping.call() == {"retired": 0, "expired_previews": 0}
    # The day after its last day in force has come:
    CatalogueVersion.objects.filter(pk=adopted.pk).update(effective_to=TODAY - DAY)
    assert tasks_catalogue.catalogue_housekeeping.call() == {"retired": 1, "expired_previews": 0}
    adopted.refresh_from_db()
    assert adopted.status == "retired"
