"""Assessments rendered from instrument definitions, with scores, bands and trends."""

urlpatterns: list = []
