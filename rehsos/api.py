"""/api/v1/: the shell from core with every app's router."""

from rehsos.cases.api_assessments import router as assessments_router
from rehsos.cases.api_board import router as case_board_router
from rehsos.cases.api_cases import router as cases_router
from rehsos.cases.api_notes import router as case_notes_router
from rehsos.cases.api_plans import router as plans_router
from rehsos.cases.api_stays import router as stays_router
from rehsos.core.api import build_api
from rehsos.core.api_account import router as account_router
from rehsos.core.api_audit import router as audit_router
from rehsos.facilities.api import router as facilities_router
from rehsos.regions.api import router as regions_router
from rehsos.registry.api import router as registry_router
from rehsos.registry.api_dedup import router as dedup_router
from rehsos.registry.api_imports import router as imports_router
from rehsos.standards.api_actions import router as standards_actions_router
from rehsos.standards.api_assessments import router as standards_assessments_router
from rehsos.standards.api_catalogue import router as standards_catalogue_router
from rehsos.standards.api_equipment import router as standards_equipment_router
from rehsos.standards.api_renovation import router as standards_renovation_router
from rehsos.standards.api_reports import router as standards_reports_router
from rehsos.workforce.api import router as workforce_router

api = build_api()
api.add_router("/", account_router)
api.add_router("/", audit_router)
api.add_router("/regions", regions_router)
api.add_router("/", registry_router)
api.add_router("/", dedup_router)
api.add_router("/", imports_router)
api.add_router("/", cases_router)
api.add_router("/", assessments_router)
api.add_router("/", plans_router)
api.add_router("/", case_notes_router)
api.add_router("/", stays_router)
api.add_router("/", case_board_router)
api.add_router("/", facilities_router)
api.add_router("/", standards_catalogue_router)
api.add_router("/", standards_assessments_router)
api.add_router("/", standards_actions_router)
api.add_router("/", standards_equipment_router)
api.add_router("/", standards_renovation_router)
api.add_router("/", standards_reports_router)
api.add_router("/", workforce_router)
