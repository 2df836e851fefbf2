"""The main navigation, built per user from the permission table.

An item appears only when the user may perform its action and its page exists:
an app that is not installed (or not written yet) simply leaves its item out
instead of breaking every page.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from rehsos.core.permissions import can


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url: str
    active: bool


# (key, label, action needed, URL name). Order is the order in the bar.
MENU: tuple[tuple[str, Promise, str, str], ...] = (
    ("home", _("Home"), "home.view", "core:home"),
    ("persons", _("Persons"), "persons.view", "registry:search"),
    ("cases", _("Cases"), "cases.view", "cases:caseload"),
    ("referrals", _("Referrals"), "cases.referrals", "cases:referrals"),
    ("duplicates", _("Duplicates"), "persons.review_duplicates", "dedup:queue"),
    ("imports", _("Imports"), "persons.import", "registry:imports"),
    ("centres", _("Centres"), "facilities.view", "facilities:list"),
    ("standards", _("Standards"), "standards.view", "standards:home"),
    ("partner", _("Our centres"), "partners.portfolio", "standards:partner_portfolio"),
    ("workforce", _("Workforce"), "workforce.view", "workforce:home"),
    ("regions", _("Regions"), "regions.view", "regions:index"),
    ("users", _("Users"), "users.manage", "core:users"),
    ("audit", _("Audit log"), "audit.view", "core:audit"),
    ("access_log", _("Access log"), "access_log.view", "core:access_log"),
    ("jobs", _("Jobs"), "jobs.view_own", "core:jobs"),
    ("instruments", _("Instruments"), "cases.manage_instruments", "cases:instruments"),
    ("admin", _("Admin"), "admin.site", "admin:index"),
)
ACCOUNT = ("account", _("Account"), "account.view", "core:account")


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _is_active(url: str, path: str, key: str) -> bool:
    if key == "home":
        return path == url
    return path == url or path.startswith(url.rstrip("/") + "/")


def _items(user, path: str, menu) -> list[NavItem]:
    items = []
    for key, label, action, url_name in menu:
        if not can(user, action):
            continue
        url = _url(url_name)
        if url is None:
            continue
        items.append(NavItem(key=key, label=label, url=url, active=_is_active(url, path, key)))
    return items


def main_menu(user, path: str = "") -> list[NavItem]:
    """The items of the navigation bar that this user may open."""
    if not user or not user.is_authenticated:
        return []
    return _items(user, path, MENU)


def account_menu(user, path: str = "") -> list[NavItem]:
    """The user's own items (account page); logout is a form in the template."""
    if not user or not user.is_authenticated:
        return []
    return _items(user, path, (ACCOUNT,))
