"""Forms of the catalogue pages. They check the shape of the input; the rules (codes
unique, ratios only with a role, drafts only, …) live in ``services_catalogue``, whose
field names these forms share so a refusal lands on the right field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rehsos.core.forms import BootstrapForm
from rehsos.standards.models import Domain, Scale
from rehsos.standards.services_catalogue import (
    CLUSTERS,
    CODE_MAX,
    LONG_TEXT_MAX,
    REFERENCE_MAX,
    RESIDENTS_MAX,
    TEXT_MAX,
    WEIGHT_MAX,
    staff_roles,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _textarea(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class CatalogueForm(BootstrapForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("Lower-case letters, digits and hyphens, e.g. centre-lu. It cannot change."),
    )
    name_id = forms.CharField(label=_("Name (Indonesian)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    clusters = forms.MultipleChoiceField(
        label=_("Functions"),
        required=False,
        choices=[(c, c) for c in CLUSTERS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The clusters whose centres the catalogue applies to; none: every centre."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=4000, widget=_textarea(3)
    )


class DraftForm(BootstrapForm):
    notes = forms.CharField(
        label=_("What this version changes"),
        required=False,
        max_length=4000,
        widget=_textarea(3),
    )


class CriterionForm(BootstrapForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=CODE_MAX,
        help_text=_("Unique in the version, e.g. ACC-01. Letters, digits, dots, hyphens."),
    )
    domain = forms.ChoiceField(label=_("Domain"), choices=[("", "—"), *Domain.choices])
    text_id = forms.CharField(
        label=_("Criterion (Indonesian)"), max_length=TEXT_MAX, widget=_textarea(3)
    )
    text_en = forms.CharField(
        label=_("Criterion (English)"), max_length=TEXT_MAX, widget=_textarea(3)
    )
    guidance_id = forms.CharField(
        label=_("Guidance (Indonesian)"),
        required=False,
        max_length=LONG_TEXT_MAX,
        widget=_textarea(3),
    )
    guidance_en = forms.CharField(
        label=_("Guidance (English)"), required=False, max_length=LONG_TEXT_MAX, widget=_textarea(3)
    )
    evidence_id = forms.CharField(
        label=_("Evidence required (Indonesian)"),
        required=False,
        max_length=LONG_TEXT_MAX,
        widget=_textarea(2),
    )
    evidence_en = forms.CharField(
        label=_("Evidence required (English)"),
        required=False,
        max_length=LONG_TEXT_MAX,
        widget=_textarea(2),
    )
    weight = forms.DecimalField(
        label=_("Weight"),
        min_value=0,
        max_value=WEIGHT_MAX,
        decimal_places=2,
        help_text=_("0 or more; the starter catalogue uses 1 to 3."),
    )
    scale = forms.ChoiceField(label=_("Rating scale"), choices=Scale.choices)
    critical = forms.BooleanField(
        label=_("Critical: a rating below met fails the whole domain"), required=False
    )
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=REFERENCE_MAX,
        help_text=_("The public source or topic, e.g. ISO 21542 – accessible toilets."),
    )
    staff_role = forms.ChoiceField(label=_("Staff role (staffing ratio)"), required=False)
    residents_per_staff = forms.IntegerField(
        label=_("Residents per staff member"),
        required=False,
        min_value=1,
        max_value=RESIDENTS_MAX,
        help_text=_("With a staff role: one staff member of that role per this many residents."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff_role"].choices = [("", "—"), *staff_roles().items()]

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class VersionStampForm(BootstrapForm):
    """A confirmation that carries the row version the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class AdoptForm(VersionStampForm):
    effective_from = forms.DateField(
        label=_("In force from"),
        widget=DATE,
        help_text=_(
            "The version adopted before ends the day before this date and is retired on it."
        ),
    )


class RetireForm(VersionStampForm):
    on = forms.DateField(
        label=_("Withdrawn from"),
        widget=DATE,
        help_text=_("Its last day in force is the day before. Today: retired at once."),
    )


class ImportForm(BootstrapForm):
    file = forms.FileField(
        label=_("Excel workbook (.xlsx)"),
        help_text=_("A file exported from this catalogue and edited in Excel."),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )


class ConfirmImportForm(BootstrapForm):
    token = forms.CharField(widget=forms.HiddenInput)


class DiffForm(BootstrapForm):
    before = forms.TypedChoiceField(label=_("From version"), coerce=int)
    after = forms.TypedChoiceField(label=_("To version"), coerce=int)

    def __init__(self, *args, numbers: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(n, f"v{n}") for n in numbers]
        self.fields["before"].choices = choices
        self.fields["after"].choices = choices
