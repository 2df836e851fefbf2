"""API of the workforce app."""

from ninja import Router

router = Router(tags=["workforce"])
