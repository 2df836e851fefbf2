"""Trainings: who may create and edit them, enrolling staff of one's scope, results
and test scores, the summary (completion, mean score gain), a staff member's
history; the pages and the API."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rehsos.core.errors import PermissionDenied, ValidationFailed
from rehsos.core.models import ApiToken
from rehsos.workforce import selectors
from rehsos.workforce.models import Training, TrainingParticipant
from rehsos.workforce.services import trainings as services
from rehsos.workforce.tests.factories import StaffFactory, TrainingFactory

TODAY = timezone.localdate()
Result = TrainingParticipant.Result


def training_data(**extra):
    data = {
        "title": "Pelatihan manajemen kasus lansia",
        "kind": Training.Kind.COURSE,
        "starts_on": TODAY - datetime.timedelta(days=10),
        "ends_on": TODAY - datetime.timedelta(days=6),
        "hours": 40,
        "competencies": "Asesmen ADL; rencana intervensi",
    }
    data.update(extra)
    return data


def test_a_head_holds_trainings_at_their_centre_only(facility_head, handayani, galih_pakuan):
    training = services.create_training(facility_head, **training_data(facility=handayani))
    assert training.facility == handayani
    for where in (galih_pakuan, None):
        with pytest.raises(ValidationFailed) as raised:
            services.create_training(facility_head, **training_data(facility=where))
        assert "facility" in raised.value.fields


def test_a_national_training_is_edited_nationally(facility_head, national_admin):
    training = services.create_training(national_admin, **training_data(facility=None))
    with pytest.raises(PermissionDenied):
        services.update_training(facility_head, training, version=1, hours=8)
    updated = services.update_training(national_admin, training, version=1, hours=8)
    assert (updated.hours, updated.version) == (8, 2)


def test_dates_and_hours_are_checked(national_admin):
    with pytest.raises(ValidationFailed) as raised:
        services.create_training(
            national_admin,
            **training_data(ends_on=TODAY - datetime.timedelta(days=20), hours=0, kind="party"),
        )
    assert set(raised.value.fields) == {"ends_on", "hours", "kind"}


def test_heads_enrol_their_own_staff(facility_head, handayani, galih_pakuan):
    training = TrainingFactory(starts_on=TODAY, ends_on=TODAY)
    mine = StaffFactory(facility=handayani)
    theirs = StaffFactory(facility=galih_pakuan)
    gone = StaffFactory(facility=handayani, left_on=TODAY - datetime.timedelta(days=1))
    for refused in ([theirs], [gone]):
        with pytest.raises(ValidationFailed) as raised:
            services.add_participants(facility_head, training, [mine, *refused])
        assert refused[0].name in raised.value.fields["staff"]
    services.add_participants(facility_head, training, [mine])
    with pytest.raises(ValidationFailed) as raised:
        services.add_participants(facility_head, training, [mine])
    assert "Already enrolled" in raised.value.fields["staff"]
    assert training.participants.count() == 1


def test_the_summary_completion_and_mean_gain(national_admin, handayani):
    training = TrainingFactory()
    staff = [StaffFactory(facility=handayani) for _ in range(5)]
    rows = services.add_participants(national_admin, training, staff)
    results = [
        (Result.PASSED, 40, 80),
        (Result.PASSED, 50, 75),
        (Result.COMPLETED, 60, None),  # no post-test: not in the means
        (Result.FAILED, 30, 35),
        (Result.ABSENT, None, None),
    ]
    for row, (result, pre, post) in zip(rows, results, strict=True):
        services.record_result(national_admin, row, result=result, pre_score=pre, score=post)
    s = selectors.training_summary(training)
    assert (s.participants, s.completed, s.passed, s.failed, s.absent) == (5, 3, 2, 1, 1)
    assert s.completion == Decimal("60.0")
    assert s.scored == 3
    assert s.mean_pre == Decimal("40.00")
    assert s.mean_post == Decimal("63.33")
    # Gains 40, 25 and 5.
    assert s.mean_gain == Decimal("23.33")


def test_scores_are_0_to_100_and_an_absentee_has_none(national_admin, handayani):
    training = TrainingFactory()
    (row,) = services.add_participants(national_admin, training, [StaffFactory(facility=handayani)])
    with pytest.raises(ValidationFailed) as raised:
        services.record_result(national_admin, row, result=Result.PASSED, pre_score=-1, score=101)
    assert set(raised.value.fields) == {"pre_score", "score"}
    with pytest.raises(ValidationFailed) as raised:
        services.record_result(national_admin, row, result=Result.ABSENT, score=50)
    assert set(raised.value.fields) == {"result"}


def test_training_pages(client, facility_head, handayani, galih_pakuan):
    training = TrainingFactory(starts_on=TODAY, ends_on=TODAY)
    mine = StaffFactory(facility=handayani, name="Peserta Handayani")
    StaffFactory(facility=galih_pakuan, name="Peserta Galih")
    client.force_login(facility_head)
    detail = client.get(f"/workforce/trainings/{training.public_id}/")
    assert detail.status_code == 200
    assert b"Peserta Handayani" in detail.content  # a choice to enrol
    assert b"Peserta Galih" not in detail.content
    response = client.post(
        f"/workforce/trainings/{training.public_id}/", {"staff": [str(mine.public_id)]}
    )
    assert response.status_code == 302
    row = training.participants.get()
    response = client.post(
        f"/workforce/participants/{row.pk}/result/",
        {f"p{row.pk}-result": "passed", f"p{row.pk}-pre_score": "45", f"p{row.pk}-score": "70"},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.result, row.score) == ("passed", Decimal("70.00"))
    history = client.get(f"/workforce/staff/{mine.public_id}/trainings/")
    assert training.title.encode() in history.content
    assert client.get("/workforce/trainings/").status_code == 200


def test_training_api(client, facility_head, handayani, galih_pakuan):
    _token, raw = ApiToken.issue(facility_head, "test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    created = client.post(
        "/api/v1/workforce/trainings",
        {
            "title": "Terapi okupasi dasar",
            "kind": "workshop",
            "facility": handayani.code,
            "starts_on": str(TODAY),
            "ends_on": str(TODAY),
            "hours": 8,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    url = f"/api/v1/workforce/trainings/{created.json()['public_id']}"
    mine = StaffFactory(facility=handayani)
    theirs = StaffFactory(facility=galih_pakuan)
    refused = client.post(
        f"{url}/participants",
        {"staff": [str(mine.public_id), str(theirs.public_id)]},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "staff"
    enrolled = client.post(
        f"{url}/participants", {"staff": [str(mine.public_id)]}, content_type="application/json"
    )
    assert enrolled.status_code == 201
    pk = enrolled.json()[0]["id"]
    result = client.patch(
        f"/api/v1/workforce/participants/{pk}",
        {"result": "passed", "pre_score": 50, "score": 80},
        content_type="application/json",
    )
    assert result.status_code == 200, result.content
    summary = client.get(url).json()["summary"]
    assert (summary["completion"], summary["mean_gain"]) == (100.0, 30.0)
    stale = client.patch(url, {"version": 9, "hours": 4}, content_type="application/json")
    assert stale.status_code == 409
    history = client.get(f"/api/v1/workforce/staff/{mine.public_id}/trainings").json()
    assert [h["result"] for h in history] == ["passed"]
