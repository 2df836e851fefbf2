"""Django admin for users and API tokens (staff only; national admins use /users/)."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from rehsos.core.models import ApiToken, User
from rehsos.core.services import accounts

SCOPE_FIELDS = ("role", "scope_level", "province_code", "facility")


class _ScopeCheck:
    """The same role/scope rule as the user-management page, as field errors."""

    def clean(self):
        cleaned = super().clean()
        if all(name in self.fields for name in SCOPE_FIELDS):
            errors = accounts.scope_errors(
                role=cleaned.get("role") or "",
                scope_level=cleaned.get("scope_level") or "",
                province_code=cleaned.get("province_code") or "",
                facility=cleaned.get("facility"),
            )
            for field, message in errors.items():
                self.add_error(field, message)
        return cleaned


class UserAddForm(_ScopeCheck, AdminUserCreationForm):
    pass


class UserEditForm(_ScopeCheck, UserChangeForm):
    pass


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "language")}),
        (_("Role and scope"), {"fields": SCOPE_FIELDS}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    *SCOPE_FIELDS,
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = (
        "username",
        "first_name",
        "last_name",
        "role",
        "scope_level",
        "province_code",
        "facility",
        "is_active",
        "is_staff",
    )
    list_filter = ("role", "scope_level", "is_active", "is_staff", "is_superuser")
    list_select_related = ("facility",)
    raw_id_fields = ("facility",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued on the account page or by `rehsos create-token`; the admin
    only lists and revokes them. The stored digest is never shown."""

    list_display = ("name", "user", "created_at", "expires_at", "last_used_at", "status")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "user__username")
    list_select_related = ("user",)
    fields = ("name", "user", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("status"))
    def status(self, token: ApiToken) -> str:
        if token.revoked_at is not None:
            return str(_("revoked"))
        if token.expires_at <= timezone.now():
            return str(_("expired"))
        return str(_("active"))

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        count = accounts.revoke_tokens(tokens=queryset)
        self.message_user(
            request,
            ngettext("%(count)d token was revoked.", "%(count)d tokens were revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )
