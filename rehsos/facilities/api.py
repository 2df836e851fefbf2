"""API of the facilities app."""

from ninja import Router

router = Router(tags=["facilities"])
