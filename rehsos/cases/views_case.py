"""Caseload pages: my cases, the centre's board, overdue work, the case page with its
timeline, break the glass."""

urlpatterns: list = []
