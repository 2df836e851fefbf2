"""What every page's shell needs: the navigation, the languages, the version."""

from functools import cache
from importlib import metadata

from django.conf import settings

from rehsos.core.middleware import must_verify
from rehsos.core.navigation import account_menu, main_menu


@cache
def app_version() -> str:
    try:
        return metadata.version("rehsos")
    except metadata.PackageNotFoundError:
        return "dev"


def _awaits_second_factor(request, user) -> bool:
    """Signed in but not yet past a required second factor: every page but the
    second-factor ones is closed to this session, so the menu offers none."""
    if not user or not user.is_authenticated:
        return False
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and not is_verified() and must_verify(request, user))


def shell(request):
    user = getattr(request, "user", None)
    path = request.path
    if _awaits_second_factor(request, user):
        user = None
    return {
        "nav_items": main_menu(user, path),
        "account_items": account_menu(user, path),
        "shell_languages": settings.LANGUAGES,
        "app_version": app_version(),
    }
