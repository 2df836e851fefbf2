"""API of the standards app: equipment."""

from ninja import Router

router = Router(tags=["standards"])
