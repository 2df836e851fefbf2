"""Roles, scopes and what each role may do.

This is the one table of permissions. Every view and API endpoint names the
action it needs (``@requires("...")``); :mod:`rehsos.core.permissions` checks
the action against this table and filters querysets by the user's scope.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    NATIONAL_ADMIN = "national_admin", _("National administrator")
    NATIONAL_ANALYST = "national_analyst", _("National analyst")
    FACILITY_HEAD = "facility_head", _("Head of centre")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    INSTRUCTOR = "instructor", _("Instructor / job coach")
    PROVINCIAL_OFFICER = "provincial_officer", _("Provincial officer")
    PARTNER_VIEWER = "partner_viewer", _("Partner viewer")
    EMPLOYER = "employer", _("Employer")
    STANDARDS_ASSESSOR = "standards_assessor", _("Standards assessor")


class ScopeLevel(models.TextChoices):
    NATION = "nation", _("Nation")
    PROVINCE = "province", _("Province")
    FACILITY = "facility", _("Centre")


# Actions every signed-in user has.
_EVERYONE = {
    "home.view",
    "account.view",
    "account.manage_tokens",
    "account.manage_2fa",
    "regions.view",
    "facilities.view",
    "jobs.view_own",
}
# Roles that work with identifiable people in their scope.
_CASEWORK = {
    "persons.view",
    "persons.count",
    "persons.register",
    "persons.edit",
    "persons.manage_consent",
    "persons.import",
}
# Case management (rehsos.cases): the daily work on a caseload.
_CASES = {
    "cases.view",
    "cases.open",
    "cases.edit",
    "cases.move",
    "cases.transfer",
    "cases.referrals",
    "cases.break_glass",
}
# Approving plans and terminations, assigning workers, capacity overrides.
_CASE_SUPERVISION = {"cases.approve", "cases.assign", "cases.override_capacity"}
# Centres and their standards (rehsos.facilities, rehsos.standards, rehsos.workforce):
# reading them is open to every role that works with centres; none of it is personal
# data about beneficiaries (staff records are scoped like the centre).
_STANDARDS_READ = {"standards.view", "workforce.view"}
# A centre's own upkeep: its record, self-assessment, improvement plan, inventory, staff.
_CENTRE_UPKEEP = {
    "facilities.manage",
    "standards.self_assess",
    "standards.manage_actions",
    "standards.manage_inventory",
    "workforce.manage",
}
# Seeing NIK/KK in clear, deciding data-subject requests and duplicates: senior roles only.
_SUPERVISION = {"persons.view_identifiers", "persons.handle_requests", "persons.review_duplicates"}

PERMISSIONS: dict[str, frozenset[str]] = {
    Role.NATIONAL_ADMIN: frozenset(
        _EVERYONE
        | _CASEWORK
        | _SUPERVISION
        | _CASES
        | _CASE_SUPERVISION
        | {
            "users.manage",
            "audit.view",
            "audit.export",
            "access_log.view",
            "access_log.export",
            "jobs.view_all",
            "admin.site",
            # A deduplication run reads the whole registry: started nationally only.
            "persons.run_dedup",
            "cases.manage_instruments",
            "stats.view",
            "facilities.create",
            "standards.manage_catalogue",
            "standards.audit",
            "standards.manage_renovation",
            "standards.supervise",
            "standards.report",
            "workforce.manage_internships",
            # Entering a paper application on a staff member's behalf.
            "workforce.apply",
            "partners.manage",
        }
        | _STANDARDS_READ
        | _CENTRE_UPKEEP
    ),
    Role.NATIONAL_ANALYST: frozenset(
        _EVERYONE | _STANDARDS_READ | {"persons.count", "stats.view", "standards.report"}
    ),
    Role.FACILITY_HEAD: frozenset(
        _EVERYONE
        | _CASEWORK
        | _SUPERVISION
        | _CASES
        | _CASE_SUPERVISION
        | _STANDARDS_READ
        | _CENTRE_UPKEEP
        | {"stats.view", "standards.attest", "standards.report", "workforce.apply"}
    ),
    Role.SOCIAL_WORKER: frozenset(_EVERYONE | _CASEWORK | _CASES | {"workforce.apply"}),
    Role.INSTRUCTOR: frozenset(_EVERYONE | {"persons.count", "workforce.apply"}),
    Role.PROVINCIAL_OFFICER: frozenset(
        _EVERYONE
        | _CASEWORK
        | _SUPERVISION
        | _CASES
        | _CASE_SUPERVISION
        | _STANDARDS_READ
        | _CENTRE_UPKEEP
        | {"stats.view", "standards.report"}
    ),
    # A partner sees the centres it funds: aggregates and progress, never personal data.
    Role.PARTNER_VIEWER: frozenset(_EVERYONE | {"stats.view", "partners.portfolio"}),
    Role.EMPLOYER: frozenset(_EVERYONE),
    # External auditors and building consultants.
    Role.STANDARDS_ASSESSOR: frozenset(
        _EVERYONE | _STANDARDS_READ | {"standards.audit", "standards.supervise", "standards.report"}
    ),
}

# The scope each role must be given: a facility role needs a centre, and so on.
REQUIRED_SCOPE: dict[str, str] = {
    Role.NATIONAL_ADMIN: ScopeLevel.NATION,
    Role.NATIONAL_ANALYST: ScopeLevel.NATION,
    Role.FACILITY_HEAD: ScopeLevel.FACILITY,
    Role.SOCIAL_WORKER: ScopeLevel.FACILITY,
    Role.INSTRUCTOR: ScopeLevel.FACILITY,
    Role.PROVINCIAL_OFFICER: ScopeLevel.PROVINCE,
    Role.PARTNER_VIEWER: ScopeLevel.NATION,
    Role.EMPLOYER: ScopeLevel.NATION,
    Role.STANDARDS_ASSESSOR: ScopeLevel.NATION,
}

ALL_ACTIONS: frozenset[str] = frozenset().union(*PERMISSIONS.values())
