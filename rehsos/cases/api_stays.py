"""Residential stays, occupancy and aftercare visits."""

from ninja import Router

router = Router(tags=["stays and aftercare"])
