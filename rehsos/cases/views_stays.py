"""Residential stays (admission, discharge, capacity override), occupancy, aftercare visits."""

urlpatterns: list = []
