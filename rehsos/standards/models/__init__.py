"""The standards app's models, one module per part (each part has its own owner)."""

from rehsos.standards.models.actions import ACTION_DUE_DAYS, Action, ActionEvidence, Attestation
from rehsos.standards.models.assessments import Answer, Assessment, Evidence, Finding, Schedule
from rehsos.standards.models.catalogue import (
    MET_AT_LEAST,
    SCALE_LEVELS,
    Catalogue,
    CatalogueImport,
    CatalogueVersion,
    Criterion,
    Domain,
    Scale,
)
from rehsos.standards.models.equipment import (
    EquipmentItem,
    InventoryItem,
    StockTake,
    StockTakeLine,
)
from rehsos.standards.models.renovation import (
    Disbursement,
    Milestone,
    RenovationProject,
    SupervisionPhoto,
    SupervisionReport,
)

__all__ = [
    "ACTION_DUE_DAYS",
    "MET_AT_LEAST",
    "SCALE_LEVELS",
    "Action",
    "ActionEvidence",
    "Answer",
    "Assessment",
    "Attestation",
    "Catalogue",
    "CatalogueImport",
    "CatalogueVersion",
    "Criterion",
    "Disbursement",
    "Domain",
    "EquipmentItem",
    "Evidence",
    "Finding",
    "InventoryItem",
    "Milestone",
    "RenovationProject",
    "Scale",
    "Schedule",
    "StockTake",
    "StockTakeLine",
    "SupervisionPhoto",
    "SupervisionReport",
]
