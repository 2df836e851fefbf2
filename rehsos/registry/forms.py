"""Registry forms. Business rules live in services; forms parse and show errors in place."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rehsos.regions.forms import RegionField
from rehsos.registry.models import (
    WG_DOMAINS,
    DatePrecision,
    Difficulty,
    Education,
    Guardian,
    LawfulBasis,
    MaritalStatus,
    Purpose,
    Relationship,
    Religion,
    Sex,
)


def _blank(choices) -> list:
    return [("", "—"), *choices]


class PersonForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    other_names = forms.CharField(
        label=_("Other names"),
        required=False,
        max_length=500,
        help_text=_("Aliases or former names, separated by semicolons."),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=_blank(Sex.choices))
    birth_date = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    birth_date_precision = forms.ChoiceField(
        label=_("Precision of the date of birth"),
        choices=DatePrecision.choices,
        initial=DatePrecision.EXACT,
    )
    birth_place = forms.CharField(label=_("Place of birth"), required=False, max_length=120)
    nik = forms.CharField(
        label="NIK",
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("16 digits, from the KTP or KK."),
    )
    kk_number = forms.CharField(
        label=_("KK number"),
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    mother_name = forms.CharField(label=_("Mother's name"), required=False, max_length=200)
    village = RegionField(label=_("Village (kelurahan / desa)"))
    address = forms.CharField(label=_("Street address"), required=False, max_length=300)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    education = forms.ChoiceField(
        label=_("Education"), required=False, choices=_blank(Education.choices)
    )
    marital_status = forms.ChoiceField(
        label=_("Marital status"), required=False, choices=_blank(MaritalStatus.choices)
    )
    religion = forms.ChoiceField(
        label=_("Religion (optional)"), required=False, choices=_blank(Religion.choices)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in WG_DOMAINS:
            self.fields[name] = forms.TypedChoiceField(
                label=label,
                required=False,
                coerce=int,
                empty_value=None,
                choices=_blank(Difficulty.choices),
            )

    @property
    def wg_fields(self):
        return [self[name] for name, _label in WG_DOMAINS]

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["village"] = getattr(data.get("village"), "code", data.get("village"))
        return data

    def add_service_errors(self, fields: dict) -> None:
        for name, message in fields.items():
            self.add_error(name if name in self.fields else None, str(message))


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    lawful_basis = forms.ChoiceField(
        label=_("Lawful basis"), choices=LawfulBasis.choices, initial=LawfulBasis.CONSENT
    )
    given_by = forms.ChoiceField(
        label=_("Given by"),
        choices=[
            ("self", _("The person")),
            ("parent", _("A parent")),
            ("guardian", _("A guardian")),
        ],
    )
    giver_name = forms.CharField(
        label=_("Name of the parent or guardian"), required=False, max_length=200
    )
    scope = forms.CharField(label=_("Scope"), required=False, max_length=300)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


class HouseholdForm(forms.Form):
    kk_number = forms.CharField(label=_("KK number"), required=False, max_length=24)
    village = RegionField(label=_("Village (kelurahan / desa)"))
    address = forms.CharField(label=_("Street address"), required=False, max_length=300)
    relationship = forms.ChoiceField(
        label=_("Relationship to the head"), choices=Relationship.choices
    )


class JoinHouseholdForm(forms.Form):
    relationship = forms.ChoiceField(
        label=_("Relationship to the head"), choices=Relationship.choices
    )


class GuardianForm(forms.Form):
    name = forms.CharField(label=_("Guardian's name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    relationship = forms.CharField(label=_("Relationship"), max_length=60)
    basis = forms.ChoiceField(label=_("Basis"), choices=Guardian._meta.get_field("basis").choices)


class CorrectionForm(forms.Form):
    field = forms.ChoiceField(label=_("Field to correct"))
    value = forms.CharField(label=_("Correct value"), max_length=300)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = PersonForm().fields
        self.fields["field"].choices = [
            (name, field.label) for name, field in labels.items() if name != "village"
        ]


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the request"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Accept and apply")), ("no", _("Refuse"))],
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
