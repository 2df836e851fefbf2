"""Forms of the account pages. They check input shape only; the rules live in
:mod:`rehsos.core.services.accounts`, whose field names these forms share."""

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from rehsos.core.errors import ValidationFailed
from rehsos.core.models import User
from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.services.accounts import TOKEN_MAX_DAYS, TOKEN_MIN_DAYS, province_choices


def add_domain_errors(form: forms.Form, error: ValidationFailed) -> None:
    """Put a service's field errors in place on the form (unknown fields go on top)."""
    if not error.fields:
        form.add_error(None, str(error.message))
    for field, message in error.fields.items():
        form.add_error(field if field in form.fields else None, str(message))


class BootstrapForm(forms.Form):
    """Gives each widget its Bootstrap 5 class, so templates render ``{{ field }}``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field, error):
        super().add_error(field, error)
        if field in self.fields:
            widget = self.fields[field].widget
            if "is-invalid" not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class LoginForm(BootstrapForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(BootstrapForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The six digits shown by your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class SetupCodeForm(BootstrapForm):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=12,
        help_text=_("Enter the six digits the app shows now."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class LanguageForm(BootstrapForm):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class PasswordChangeForm(BootstrapForm):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self):
        old = self.cleaned_data["old_password"]
        if not self.user.check_password(old):
            raise forms.ValidationError(_("The current password is not correct."))
        return old

    def clean(self):
        cleaned = super().clean()
        one, two = cleaned.get("new_password1"), cleaned.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", _("The two new passwords are not the same."))
        return cleaned


class TokenForm(BootstrapForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, such as the script that uses it."),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=TOKEN_MIN_DAYS,
        max_value=TOKEN_MAX_DAYS,
        initial=90,
    )


def _facility_choices():
    facility = apps.get_model("facilities", "Facility")
    return facility.objects.filter(is_active=True).order_by("name")


class _UserFieldsForm(BootstrapForm):
    """The fields of a user that an administrator sets: names, role and scope."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    scope_level = forms.ChoiceField(
        label=_("Scope"),
        choices=ScopeLevel.choices,
        help_text=_(
            "Centre roles (head, social worker, instructor) need a centre; provincial "
            "officers need a province; the others work nationwide."
        ),
    )
    province_code = forms.ChoiceField(label=_("Province"), required=False)
    facility = forms.ModelChoiceField(
        label=_("Centre"), queryset=None, required=False, empty_label=_("(none)")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province_code"].choices = [("", _("(none)")), *province_choices()]
        self.fields["facility"].queryset = _facility_choices()


class UserCreateForm(_UserFieldsForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and . @ + - _ only."),
    )
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Initial password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    field_order = [
        "username",
        "first_name",
        "last_name",
        "email",
        "role",
        "scope_level",
        "province_code",
        "facility",
        "password",
        "password2",
    ]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        User.username_validator(username)
        return username

    def clean(self):
        cleaned = super().clean()
        one, two = cleaned.get("password"), cleaned.get("password2")
        if one and two and one != two:
            self.add_error("password2", _("The two passwords are not the same."))
        return cleaned


class UserEditForm(_UserFieldsForm):
    is_active = forms.BooleanField(label=_("Active"), required=False)


class UserFilterForm(BootstrapForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    role = forms.ChoiceField(label=_("Role"), required=False)
    scope_level = forms.ChoiceField(label=_("Scope"), required=False)
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("yes", _("Active")), ("no", _("Deactivated"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", _("All roles")), *Role.choices]
        self.fields["scope_level"].choices = [("", _("All scopes")), *ScopeLevel.choices]
