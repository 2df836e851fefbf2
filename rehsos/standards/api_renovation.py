"""API of the standards app: renovation."""

from ninja import Router

router = Router(tags=["standards"])
