"""Filters of the audit trail and of the access log.

One form per log validates them, whoever asks: the pages (re-rendered with the
errors in place), the API (422 naming each field), the export jobs (whose params
hold the cleaned filters) and the command line. A form's ``filters`` is a frozen
dataclass that the selectors take and that round-trips through a job's JSON params.
"""

from dataclasses import asdict, dataclass, fields
from datetime import date

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from rehsos.core.errors import ValidationFailed

# The audit actions a user can filter on, by the name the pages and the API use.
AUDIT_ACTIONS: dict[str, int] = {
    "create": LogEntry.Action.CREATE,
    "update": LogEntry.Action.UPDATE,
    "delete": LogEntry.Action.DELETE,
}
AUDIT_ACTION_LABELS = {"create": _("Created"), "update": _("Updated"), "delete": _("Deleted")}
ACTION_NAMES: dict[int, str] = {number: name for name, number in AUDIT_ACTIONS.items()}

CHANNELS = [("page", _("page")), ("api", _("API")), ("cli", _("command line"))]


class _Filters:
    """Shared behaviour of the two filter sets: JSON params in and out."""

    def as_params(self) -> dict[str, str]:
        return {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in asdict(self).items()
            if value not in ("", None)
        }

    @classmethod
    def from_params(cls, params: dict):
        values = {}
        for field in fields(cls):
            value = params.get(field.name)
            if value in ("", None):
                continue
            values[field.name] = (
                date.fromisoformat(value) if field.name.startswith("date_") else value
            )
        return cls(**values)

    @property
    def is_empty(self) -> bool:
        return not self.as_params()


@dataclass(frozen=True)
class AuditFilters(_Filters):
    model: str = ""  # "app_label.model", as in registry.person
    action: str = ""  # a key of AUDIT_ACTIONS
    actor: str = ""  # username
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class AccessFilters(_Filters):
    user: str = ""  # username
    record_type: str = ""  # "app_label.model"
    record_id: str = ""
    channel: str = ""
    date_from: date | None = None
    date_to: date | None = None


def audited_models() -> list[tuple[str, str]]:
    """The models whose changes are recorded, as (label, name) choices."""
    models = sorted(auditlog.get_models(), key=lambda m: m._meta.label_lower)
    return [(m._meta.label_lower, capfirst(m._meta.verbose_name)) for m in models]


class _DateRangeForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs.setdefault("class", "form-select" if is_select else "form-control")

    def full_clean(self):
        super().full_clean()
        # Mark the bad fields for Bootstrap and for screen readers.
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self[name].auto_id}_error"

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def field_errors(self) -> dict[str, str]:
        return {name: " ".join(str(m) for m in messages) for name, messages in self.errors.items()}

    def validated(self):
        """The filters, or ValidationFailed naming each bad field."""
        if not self.is_valid():
            raise ValidationFailed(fields=self.field_errors())
        return self.filters


class AuditFilterForm(_DateRangeForm):
    model = forms.ChoiceField(label=_("Record type"), required=False)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Any")), *AUDIT_ACTION_LABELS.items()],
    )
    actor = forms.CharField(label=_("User"), required=False, max_length=150)
    object_id = forms.CharField(label=_("Record id"), required=False, max_length=64)

    field_order = ["model", "action", "actor", "object_id", "date_from", "date_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("Any")), *audited_models()]

    @property
    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            model=data.get("model") or "",
            action=data.get("action") or "",
            actor=(data.get("actor") or "").strip(),
            object_id=(data.get("object_id") or "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class AccessFilterForm(_DateRangeForm):
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    record_type = forms.CharField(
        label=_("Record type"),
        required=False,
        max_length=64,
        help_text=_("For example registry.person"),
    )
    record_id = forms.CharField(label=_("Record id"), required=False, max_length=64)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any")), *CHANNELS]
    )

    field_order = ["user", "record_type", "record_id", "channel", "date_from", "date_to"]

    def clean_record_type(self) -> str:
        return (self.cleaned_data.get("record_type") or "").strip().lower()

    @property
    def filters(self) -> AccessFilters:
        data = self.cleaned_data
        return AccessFilters(
            user=(data.get("user") or "").strip(),
            record_type=data.get("record_type") or "",
            record_id=(data.get("record_id") or "").strip(),
            channel=data.get("channel") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
