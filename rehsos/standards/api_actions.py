"""API of the standards app: actions."""

from ninja import Router

router = Router(tags=["standards"])
