"""The workforce API under /api/v1/workforce/: staff and staffing ratios, trainings,
and overseas internships (one router per part, gathered here)."""

from ninja import Router

from rehsos.workforce.api_internships import router as internships_router
from rehsos.workforce.api_staff import router as staff_router
from rehsos.workforce.api_trainings import router as trainings_router

router = Router(tags=["workforce"])
router.add_router("", staff_router)
router.add_router("", trainings_router)
router.add_router("", internships_router)
