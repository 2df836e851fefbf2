"""Panels of the standards app: renovation."""
