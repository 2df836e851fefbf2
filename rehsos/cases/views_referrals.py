"""Incoming referrals (screening, accept, decline) and outgoing referrals."""

urlpatterns: list = []
