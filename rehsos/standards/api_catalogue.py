"""API of the standards app: catalogue."""

from ninja import Router

router = Router(tags=["standards"])
