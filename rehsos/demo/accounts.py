"""The demo users: one for every role, all with one demo password.

The national administrator must add a second factor: rehsos asks for it at the
first sign-in (scan the QR code with any TOTP app), exactly as for a real admin.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from rehsos.core.roles import Role, ScopeLevel

DEMO_PASSWORD = "rehsos-demo-2026"  # noqa: S105 - public on purpose: the demo logins are printed


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    scope_level: str = ScopeLevel.NATION
    facility: str | None = None  # a demo centre code
    province_code: str = ""
    is_staff: bool = False
    is_superuser: bool = False


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        username="admin.nasional",
        role=Role.NATIONAL_ADMIN,
        first_name="Ratna",
        last_name="Kusumawati",
        is_staff=True,
        is_superuser=True,
    ),
    DemoUser(
        username="analis.nasional",
        role=Role.NATIONAL_ANALYST,
        first_name="Bagus",
        last_name="Prasetyo",
    ),
    DemoUser(
        username="kepala.handayani",
        role=Role.FACILITY_HEAD,
        first_name="Sri",
        last_name="Wahyuningsih",
        scope_level=ScopeLevel.FACILITY,
        facility="brsampk-handayani",
    ),
    DemoUser(
        username="peksos.handayani",
        role=Role.SOCIAL_WORKER,
        first_name="Dewi",
        last_name="Lestari",
        scope_level=ScopeLevel.FACILITY,
        facility="brsampk-handayani",
    ),
    DemoUser(
        username="peksos.galihpakuan",
        role=Role.SOCIAL_WORKER,
        first_name="Asep",
        last_name="Sunandar",
        scope_level=ScopeLevel.FACILITY,
        facility="brskpn-galih-pakuan",
    ),
    DemoUser(
        username="instruktur.handayani",
        role=Role.INSTRUCTOR,
        first_name="Yusuf",
        last_name="Hidayat",
        scope_level=ScopeLevel.FACILITY,
        facility="brsampk-handayani",
    ),
    DemoUser(
        username="dinsos.dki",
        role=Role.PROVINCIAL_OFFICER,
        first_name="Rina",
        last_name="Marlina",
        scope_level=ScopeLevel.PROVINCE,
        province_code="31",
    ),
    DemoUser(
        username="mitra.koica",
        role=Role.PARTNER_VIEWER,
        first_name="Ji-woo",
        last_name="Park",
    ),
    DemoUser(
        username="mitra.jica",
        role=Role.PARTNER_VIEWER,
        first_name="Haruka",
        last_name="Sato",
    ),
    DemoUser(
        username="pemberi.kerja",
        role=Role.EMPLOYER,
        first_name="Hendra",
        last_name="Gunawan",
    ),
    DemoUser(
        username="asesor.standar",
        role=Role.STANDARDS_ASSESSOR,
        first_name="Wulan",
        last_name="Sari",
    ),
)


def logins_table() -> list[str]:
    """The demo logins that exist in the database, as lines for the console."""
    by_name = {
        user.username: user
        for user in get_user_model()
        .objects.filter(username__in=[demo.username for demo in DEMO_USERS])
        .select_related("facility")
    }
    if not by_name:
        return []
    rows = [("username", "role", "scope")]
    for demo in DEMO_USERS:
        user = by_name.get(demo.username)
        if user is not None:
            rows.append((user.username, str(user.get_role_display()), str(user.scope_label)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"Demo logins (password for every one: {DEMO_PASSWORD})"]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        lines.append(("  " + "  ".join(cells)).rstrip())
    if any(by_name[name].requires_two_factor for name in by_name):
        lines.append(
            "  The national administrator adds a TOTP authenticator app at the first sign-in "
            "(the page shows a QR code)."
        )
    return lines
