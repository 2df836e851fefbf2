"""API of the standards app: reports."""

from ninja import Router

router = Router(tags=["standards"])
