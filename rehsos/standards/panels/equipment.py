"""Panels of the standards app: equipment."""
