"""Assessment instruments (schemas from their definitions) and assessments."""

from ninja import Router

router = Router(tags=["assessments"])
