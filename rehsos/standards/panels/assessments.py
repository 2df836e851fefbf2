"""Panels of the standards app: assessments."""
