"""Case notes (sanitised rich text, edited by their author for 24 hours, audited without
the text) and case conferences; the pages that write them."""

import datetime
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from rehsos.cases.models import Conference, Note
from rehsos.cases.services import notes as note_services
from rehsos.cases.tests.factories import CaseFactory
from rehsos.core.errors import PermissionDenied, ValidationFailed
from rehsos.core.models import AccessLog
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import UserFactory

TODAY = timezone.localdate()


@pytest.fixture
def case(handayani, social_worker, person_in_handayani):
    return CaseFactory(unit=handayani, social_worker=social_worker, person=person_in_handayani)


def test_the_sanitiser_keeps_the_small_subset_and_strips_the_rest():
    dirty = (
        '<p onclick="steal()">Met the <strong>mother</strong> and <em>uncle</em>.</p>'
        "<script>alert(1)</script><style>p{color:red}</style>"
        '<img src="x" onerror="alert(2)">'
        "<ul><li>school</li></ul><ol><li>work</li></ol>line<br>"
        '<a href="https://example.org/x" onmouseover="x()">link</a>'
        '<a href="javascript:alert(3)">bad link</a>'
        '<div><span style="color:red">kept text</span></div>'
    )
    clean = note_services.sanitise(dirty)
    for gone in ("script", "alert", "onerror", "onclick", "onmouseover", "style", "<img", "<div"):
        assert gone not in clean
    assert "javascript" not in clean
    assert "<p>Met the <strong>mother</strong> and <em>uncle</em>.</p>" in clean
    assert "<ul><li>school</li></ul><ol><li>work</li></ol>line<br>" in clean
    assert '<a href="https://example.org/x" rel="noopener noreferrer">link</a>' in clean
    assert '<a rel="noopener noreferrer">bad link</a>' in clean
    assert "kept text" in clean


def test_a_note_is_stored_sanitised_with_an_event(case, social_worker):
    note = note_services.add_note(
        social_worker, case, body='<p>Home visit</p><script>alert(1)</script><img onerror="x">'
    )
    assert note.body_html == "<p>Home visit</p>"
    assert note.author == social_worker
    event = case.events.get(kind="note_added")
    assert event.data == {"note": note.pk}


@pytest.mark.parametrize(
    "body",
    ["x" * 20_001, "<p>" + "y" * 20_000 + "</p>", "z" * 200_000],
    ids=["text", "html", "huge"],
)
def test_a_note_over_20000_characters_is_refused(case, social_worker, body):
    with pytest.raises(ValidationFailed) as refused:
        note_services.add_note(social_worker, case, body=body)
    assert set(refused.value.fields) == {"body"}
    assert "20,000" in str(refused.value.fields["body"])
    assert not Note.objects.exists()


def test_a_note_of_exactly_20000_characters_is_kept(case, social_worker):
    assert len(note_services.add_note(social_worker, case, body="x" * 20_000).body_html) == 20_000


def test_an_empty_note_is_refused(case, social_worker):
    for body in ("", "   ", "<p></p><script>alert(1)</script>", None):
        with pytest.raises(ValidationFailed) as refused:
            note_services.add_note(social_worker, case, body=body)
        assert set(refused.value.fields) == {"body"}
    assert not Note.objects.exists()


def note_audit(note):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Note), object_pk=str(note.pk)
    )


def test_the_author_edits_within_a_day_and_the_audit_keeps_who_not_what(case, social_worker):
    note = note_services.add_note(social_worker, case, body="<p>First version SECRET1</p>")
    edited = note_services.edit_note(social_worker, note, body="<p>Second SECRET2</p>")

    assert edited.body_html == "<p>Second SECRET2</p>"
    update = note_audit(note).get(action=LogEntry.Action.UPDATE)
    assert update.actor == social_worker
    every_entry = " ".join(str(entry.changes) for entry in note_audit(note))
    assert "SECRET" not in every_entry
    assert case.events.filter(kind="note_edited").count() == 1


def test_nobody_else_edits_and_not_after_a_day(case, social_worker, facility_head):
    note = note_services.add_note(social_worker, case, body="<p>Visit</p>")
    with pytest.raises(PermissionDenied):
        note_services.edit_note(facility_head, note, body="<p>Changed</p>")
    Note.objects.filter(pk=note.pk).update(written_at=timezone.now() - timedelta(hours=25))
    note.refresh_from_db()
    with pytest.raises(PermissionDenied):
        note_services.edit_note(social_worker, note, body="<p>Changed</p>")
    note.refresh_from_db()
    assert note.body_html == "<p>Visit</p>"
    assert not note_audit(note).filter(action=LogEntry.Action.UPDATE).exists()


# --- conferences -------------------------------------------------------------------------


ATTENDEES = [
    {"name": "Wulan", "role": "social worker", "organisation": "Sentra Handayani"},
    {"name": "Bu Ratna", "role": "mother"},
]


def test_a_conference_with_its_attendees_and_decisions(case, social_worker):
    conference = note_services.record_conference(
        social_worker,
        case,
        held_on=TODAY,
        attendees=ATTENDEES,
        agenda="Return home?",
        decisions="Family visit next week.",
    )
    assert conference.attendees == [
        ATTENDEES[0],
        {"name": "Bu Ratna", "role": "mother", "organisation": ""},
    ]
    event = case.events.get(kind="conference_recorded")
    assert event.data == {"conference": conference.pk, "held_on": TODAY.isoformat(), "attendees": 2}


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"attendees": []}, {"attendees"}),
        ({"attendees": [{"name": "Ani"}]}, {"attendees[0].role"}),
        ({"attendees": [{"name": "Ani", "role": "x", "phone": "0812"}]}, {"attendees[0]"}),
        ({"attendees": ["Ani"]}, {"attendees[0]"}),
        ({"attendees": [{"name": 5, "role": "x"}]}, {"attendees[0].name"}),
        ({"held_on": TODAY + timedelta(days=1)}, {"held_on"}),
        ({"held_on": None}, {"held_on"}),
        ({"held_on": datetime.date(2000, 1, 1)}, {"held_on"}),
        ({"decisions": "  "}, {"decisions"}),
    ],
)
def test_a_conference_names_what_is_wrong(case, social_worker, change, fields):
    data = {"held_on": TODAY, "attendees": ATTENDEES, "decisions": "Decided.", **change}
    with pytest.raises(ValidationFailed) as refused:
        note_services.record_conference(social_worker, case, **data)
    assert set(refused.value.fields) == fields
    assert not Conference.objects.exists()


# --- pages --------------------------------------------------------------------------------


def test_the_notes_page_writes_a_sanitised_note_and_logs_the_read(client, case, social_worker):
    client.force_login(social_worker)
    url = reverse("cases:notes", args=[case.public_id])

    response = client.post(url, {"body": "<p>Met <b>him</b></p><script>alert(1)</script>"})

    assert response.status_code == 302
    note = Note.objects.get()
    assert note.body_html == "<p>Met him</p>"
    page = client.get(url)
    assert page.status_code == 200
    assert "<p>Met him</p>" in page.content.decode()
    assert "<script>alert(1)" not in page.content.decode()
    assert AccessLog.objects.filter(
        user=social_worker, subject_id=str(case.person.public_id)
    ).exists()


def test_the_notes_page_shows_the_error_and_keeps_the_text(client, case, social_worker):
    client.force_login(social_worker)
    url = reverse("cases:notes", args=[case.public_id])

    response = client.post(url, {"body": "<p>" + "a" * 20_001 + "</p>"})

    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-field-error="body"' in html
    assert "20,000" in html
    assert "a" * 20_001 in html
    assert not Note.objects.exists()


def test_the_edit_page_is_only_for_the_author(client, case, social_worker, facility_head):
    note = note_services.add_note(social_worker, case, body="<p>Visit</p>")
    url = reverse("cases:note_edit", args=[case.public_id, note.pk])
    client.force_login(facility_head)
    assert client.get(url).status_code == 403
    client.force_login(social_worker)
    assert client.get(url).status_code == 200
    assert client.post(url, {"body": "<p>Visit, <em>changed</em></p>"}).status_code == 302
    note.refresh_from_db()
    assert note.body_html == "<p>Visit, <em>changed</em></p>"


def test_conference_page_parses_attendees_and_shows_errors(client, case, social_worker):
    client.force_login(social_worker)
    url = reverse("cases:conferences", args=[case.public_id])
    bad = client.post(url, {"held_on": TODAY, "attendees": "Ani", "decisions": "Go home"})
    assert bad.status_code == 422
    assert "role" in bad.content.decode()
    good = client.post(
        url,
        {
            "held_on": TODAY,
            "attendees": "Ani; mother\nBudi; police officer; Polres Jakarta Timur",
            "decisions": "Go home",
        },
    )
    assert good.status_code == 302
    assert Conference.objects.get().attendees[1] == {
        "name": "Budi",
        "role": "police officer",
        "organisation": "Polres Jakarta Timur",
    }


def test_a_worker_of_another_centre_gets_404(client, case, galih_pakuan):
    other = UserFactory(
        role=Role.SOCIAL_WORKER, scope_level=ScopeLevel.FACILITY, facility=galih_pakuan
    )
    client.force_login(other)
    for name in ("cases:notes", "cases:conferences", "cases:attachments", "cases:case_tasks"):
        assert client.get(reverse(name, args=[case.public_id])).status_code == 404
    response = client.post(reverse("cases:notes", args=[case.public_id]), {"body": "<p>x</p>"})
    assert response.status_code == 404
    assert not Note.objects.exists()
    assert not AccessLog.objects.filter(user=other).exists()


def test_the_case_section_context(rf, case, social_worker):
    from rehsos.cases.views_notes import section_context

    note_services.add_note(social_worker, case, body="<p>Visit</p>")
    request = rf.get("/")
    request.user = social_worker
    section = section_context(request, case)
    assert [note.safe_html for note in section["notes"]] == ["<p>Visit</p>"]
    assert section["tasks"] == []


def test_the_case_page_shows_the_notes_section(client, case, social_worker):
    note_services.add_note(social_worker, case, body="<p>Home visit done</p>")
    client.force_login(social_worker)
    page = client.get(reverse("cases:detail", args=[case.public_id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-section="notes"' in html
    assert "<p>Home visit done</p>" in html
