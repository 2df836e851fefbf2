"""/api/v1/: the shell from core with every app's router."""

from rehsos.core.api import build_api
from rehsos.core.api_account import router as account_router
from rehsos.core.api_audit import router as audit_router
from rehsos.regions.api import router as regions_router

api = build_api()
api.add_router("/", account_router)
api.add_router("/", audit_router)
api.add_router("/regions", regions_router)
