"""API of the standards app: assessments."""

from ninja import Router

router = Router(tags=["standards"])
