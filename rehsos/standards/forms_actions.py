"""Forms of the improvement-plan pages. They check the shape of the input only; the
rules live in :mod:`rehsos.standards.services_actions`, whose field names they share."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rehsos.core.forms import BootstrapForm
from rehsos.core.uploads import max_bytes
from rehsos.standards.models import Action
from rehsos.standards.selectors_actions import agreement_choices, criterion_choices, owner_choices
from rehsos.standards.services_actions import COST_MAX, TITLE_MAX

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _user_label(user) -> str:
    name = user.get_full_name() or user.get_username()
    where = user.facility.name if user.facility_id else _("national")
    return f"{name} ({user.get_role_display()}, {where})"


class ActionForm(BootstrapForm):
    title = forms.CharField(label=_("Action"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    criterion = forms.TypedChoiceField(
        label=_("Criterion"), required=False, coerce=int, empty_value=None
    )
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    due_on = forms.DateField(label=_("Due on"), widget=DATE)
    cost_estimate = forms.DecimalField(
        label=_("Cost estimate (Rp)"),
        required=False,
        min_value=0,
        max_value=COST_MAX,
        decimal_places=0,
        help_text=_("Whole rupiah, without dots or commas."),
        widget=forms.NumberInput(attrs={"step": 1, "min": 0}),
    )
    funding = forms.ChoiceField(label=_("Funding"), choices=Action.Funding.choices)
    agreement = forms.ChoiceField(
        label=_("Partner agreement"),
        required=False,
        help_text=_("Only for partner funding: an agreement that is signed or in force."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, facility, **kwargs):
        super().__init__(*args, **kwargs)
        owners = owner_choices(facility).select_related("facility")
        self.fields["owner"].choices = [("", _("(nobody yet)"))] + [
            (u.pk, _user_label(u)) for u in owners
        ]
        critical = str(_("critical"))
        self.fields["criterion"].choices = [("", _("(none)"))] + [
            (
                c.pk,
                " · ".join([c.code, c.get_domain_display(), *([critical] if c.critical else [])]),
            )
            for c in criterion_choices(facility)
        ]
        self.fields["agreement"].choices = [("", _("(none)"))] + [
            (str(a.public_id), f"{a.partner} · {a.title}") for a in agreement_choices()
        ]

    def clean(self):
        cleaned = super().clean()
        # A leftover agreement in the select is not kept when the funding is not a partner's.
        if cleaned.get("funding") != Action.Funding.PARTNER:
            cleaned["agreement"] = None
        return cleaned


class StatusForm(BootstrapForm):
    status = forms.ChoiceField(label=_("New status"), choices=Action.Status.choices)
    note = forms.CharField(
        label=_("How it was closed, or why it is cancelled"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    closed_on = forms.DateField(
        label=_("Closed on"), required=False, widget=DATE, help_text=_("Default: today.")
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, allowed: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (value, label) for value, label in Action.Status.choices if value in allowed
        ]


class EvidenceForm(BootstrapForm):
    file = forms.FileField(label=_("File"))
    valid_from = forms.DateField(
        label=_("Valid from"),
        widget=DATE,
        help_text=_("The date the evidence shows: the photo's day, the letter's date."),
    )
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("PDF, JPEG, PNG, DOCX or XLSX, at most %(mb)s MB.") % {
            "mb": max_bytes() // (1024 * 1024)
        }


class AttestationForm(BootstrapForm):
    statement = forms.CharField(
        label=_("Statement"),
        widget=forms.Textarea(attrs={"rows": 5}),
        initial=_(
            "As head of this centre I attest that its quality improvement plan is being "
            "kept: every action has an owner and a due date, progress is reviewed, and "
            "overdue actions have been followed up."
        ),
    )
    confirm = forms.BooleanField(
        label=_("I have reviewed the plan and make this statement as head of the centre.")
    )


class PlanFilterForm(BootstrapForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("active", _("Open or in progress")), *Action.Status.choices],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    funding = forms.ChoiceField(
        label=_("Funding"), required=False, choices=[("", _("All")), *Action.Funding.choices]
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
