"""Panels of the standards app: actions."""
