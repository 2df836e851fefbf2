"""Intervention plans, services delivered and group sessions."""

from ninja import Router

router = Router(tags=["plans and services"])
