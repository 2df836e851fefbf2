from django.shortcuts import redirect
from django.urls import reverse


class RequireTwoFactorMiddleware:
    """Users whose role requires a second factor (national admins) reach nothing
    but the enrolment and verification pages until they have passed it."""

    ALLOWED_PREFIXES = ("/static/", "/i18n/", "/health", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "requires_two_factor", False)
            and not user.is_verified()
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            allowed = {
                reverse("core:two_factor"),
                reverse("core:two_factor_setup"),
                reverse("core:logout"),
            }
            if request.path not in allowed:
                return redirect(f"{reverse('core:two_factor')}?next={request.get_full_path()}")
        return self.get_response(request)

