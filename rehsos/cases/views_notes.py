"""Case notes, conferences, attachments, tasks and reminders."""

urlpatterns: list = []
