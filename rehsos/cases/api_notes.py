"""Case notes, conferences, attachments and tasks."""

from ninja import Router

router = Router(tags=["notes and tasks"])
