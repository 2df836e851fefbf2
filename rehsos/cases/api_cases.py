"""Cases, stage moves, referrals, transfers, termination and the event feed."""

from ninja import Router

router = Router(tags=["cases"])
