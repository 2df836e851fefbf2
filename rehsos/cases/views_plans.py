"""Intervention plans: goals, planned services, approval, reviews."""

urlpatterns: list = []
