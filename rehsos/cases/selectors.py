"""Reads of cases that are more than a ``.get``: caseload, board, timeline, indicators."""
