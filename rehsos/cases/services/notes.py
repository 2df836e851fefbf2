"""Case notes (sanitised rich text) and case conferences.

A note keeps a small HTML subset: paragraphs, line breaks, bold, italics, lists and
links (http, https, mailto; opened with rel="noopener noreferrer"). Everything else
is removed by nh3 — scripts and styles with their content, event handlers, other
tags with their text kept. Its author may edit it for 24 hours; the audit trail
records who edited it and when, never the text.
"""

import datetime
from datetime import timedelta

import nh3
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.cases.models import Case, Conference, Note
from rehsos.cases.services import events
from rehsos.core.errors import PermissionDenied, ValidationFailed

NOTE_MAX_CHARS = 20_000
EDIT_WINDOW = timedelta(hours=24)
ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Raw input far beyond the limit is refused before it is parsed at all.
RAW_MAX_CHARS = NOTE_MAX_CHARS * 5

ATTENDEE_FIELDS = ("name", "role", "organisation")
ATTENDEE_MAX = 50
ATTENDEE_FIELD_MAX = 200
CONFERENCE_TEXT_MAX = 20_000


def sanitise(html: str) -> str:
    """The note's HTML with only the allowed subset left."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def plain_text(html: str) -> str:
    """The note's text without any markup (for previews and emptiness checks)."""
    return nh3.clean(html or "", tags=set()).strip()


def _clean_body(body) -> str:
    if not isinstance(body, str):
        raise ValidationFailed(fields={"body": _("Write the note as text.")})
    if len(body) > RAW_MAX_CHARS:
        raise ValidationFailed(fields={"body": _too_long()})
    clean = sanitise(body)
    if not plain_text(clean).replace("&nbsp;", "").strip():
        raise ValidationFailed(fields={"body": _("Write the note; it is empty.")})
    if len(clean) > NOTE_MAX_CHARS:
        raise ValidationFailed(fields={"body": _too_long()})
    return clean


def _too_long() -> str:
    return _(
        "The note is longer than %(limit)s characters; shorten it or split it into two notes."
    ) % {"limit": f"{NOTE_MAX_CHARS:,}"}


@transaction.atomic
def add_note(user, case: Case, *, body: str) -> Note:
    clean = _clean_body(body)
    with set_actor(user):
        note = Note.objects.create(case=case, author=user, body_html=clean)
    events.record(case, "note_added", actor=user, note=note.pk)
    return note


def may_edit(user, note: Note, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return note.author_id == user.pk and now - note.written_at <= EDIT_WINDOW


@transaction.atomic
def edit_note(user, note: Note, *, body: str) -> Note:
    """The author changes the note's text within 24 hours of writing it."""
    note = Note.objects.select_for_update().select_related("case").get(pk=note.pk)
    if note.author_id != user.pk:
        raise PermissionDenied(_("Only the author of a note may edit it."))
    if not may_edit(user, note):
        raise PermissionDenied(
            _("A note can be edited only within 24 hours of writing it; add a new note instead.")
        )
    clean = _clean_body(body)
    if clean == note.body_html:
        return note
    note.body_html = clean
    note.save(update_fields=["body_html"])
    # The audit registration leaves the text out, so the change itself is recorded here:
    # who and when, not what.
    LogEntry.objects.log_create(
        note,
        action=LogEntry.Action.UPDATE,
        changes={"body_html": ["(not recorded)", "(not recorded)"]},
        actor=user,
    )
    events.record(note.case, "note_edited", actor=user, note=note.pk)
    return note


# --- conferences ---------------------------------------------------------------------


def clean_attendees(attendees) -> list[dict]:
    """A list of {name, role, organisation}; name and role are required."""
    if not isinstance(attendees, list) or not attendees:
        raise ValidationFailed(fields={"attendees": _("List who attended (at least one person).")})
    if len(attendees) > ATTENDEE_MAX:
        raise ValidationFailed(
            fields={"attendees": _("List at most %(count)s attendees.") % {"count": ATTENDEE_MAX}}
        )
    cleaned, problems = [], {}
    for index, attendee in enumerate(attendees):
        where = f"attendees[{index}]"
        if not isinstance(attendee, dict):
            problems[where] = _("Give the attendee's name, role and organisation.")
            continue
        unknown = set(attendee) - set(ATTENDEE_FIELDS)
        if unknown:
            problems[where] = _("Unknown field: %(fields)s.") % {
                "fields": ", ".join(sorted(map(str, unknown)))
            }
            continue
        row = {}
        for name in ATTENDEE_FIELDS:
            value = attendee.get(name) or ""
            if not isinstance(value, str):
                problems[f"{where}.{name}"] = _("Enter text.")
                continue
            value = " ".join(value.split())
            if len(value) > ATTENDEE_FIELD_MAX:
                problems[f"{where}.{name}"] = _("Enter at most %(limit)s characters.") % {
                    "limit": ATTENDEE_FIELD_MAX
                }
            row[name] = value
        if not row.get("name") and f"{where}.name" not in problems:
            problems[f"{where}.name"] = _("Enter the attendee's name.")
        if not row.get("role") and f"{where}.role" not in problems:
            problems[f"{where}.role"] = _("Enter the attendee's role (e.g. social worker, parent).")
        cleaned.append(row)
    if problems:
        raise ValidationFailed(fields=problems)
    return cleaned


@transaction.atomic
def record_conference(
    user,
    case: Case,
    *,
    held_on: datetime.date | None,
    attendees,
    agenda: str = "",
    decisions: str = "",
) -> Conference:
    problems = {}
    if not isinstance(held_on, datetime.date):
        problems["held_on"] = _("Enter the date the conference was held.")
    elif held_on > timezone.localdate():
        problems["held_on"] = _("A conference is recorded after it was held, not in advance.")
    elif held_on < case.opened_on:
        problems["held_on"] = _("The conference cannot be before the case was opened.")
    decisions = (decisions or "").strip()
    agenda = (agenda or "").strip()
    if not decisions:
        problems["decisions"] = _("Write what was decided.")
    elif len(decisions) > CONFERENCE_TEXT_MAX:
        problems["decisions"] = _("Enter at most %(limit)s characters.") % {
            "limit": f"{CONFERENCE_TEXT_MAX:,}"
        }
    if len(agenda) > CONFERENCE_TEXT_MAX:
        problems["agenda"] = _("Enter at most %(limit)s characters.") % {
            "limit": f"{CONFERENCE_TEXT_MAX:,}"
        }
    try:
        attendees = clean_attendees(attendees)
    except ValidationFailed as exc:
        problems.update(exc.fields)
    if problems:
        raise ValidationFailed(fields=problems)
    with set_actor(user):
        conference = Conference.objects.create(
            case=case,
            held_on=held_on,
            attendees=attendees,
            agenda=agenda,
            decisions=decisions,
            recorded_by=user,
        )
    events.record(
        case,
        "conference_recorded",
        actor=user,
        conference=conference.pk,
        held_on=held_on.isoformat(),
        attendees=len(attendees),
    )
    return conference
