"""Forms of the renovation pages. They check the shape of the input; the rules are in
:mod:`rehsos.standards.services_renovation`, whose field names they share."""

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from rehsos.core.forms import BootstrapForm
from rehsos.core.roles import Role
from rehsos.standards.models import Disbursement, RenovationProject

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
Status = RenovationProject.Status


def _text(label, *, required=False, rows=3, max_length=20_000, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _rupiah(label, *, required=True, help_text=""):
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=16,
        decimal_places=0,
        min_value=1,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "1", "min": "1", "inputmode": "numeric"}),
    )


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ImagesField(forms.FileField):
    """Any number of image files (each checked by content in the service)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleImageInput(attrs={"accept": "image/jpeg,image/png", "multiple": True})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(item, initial) for item in data if item]
        return [one(data, initial)] if data else []


class CentrePickForm(BootstrapForm):
    facility = forms.ChoiceField(label=_("Centre"))

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [("", "—"), *facilities]


class ProjectForm(BootstrapForm):
    facility = forms.ChoiceField(label=_("Centre"))
    title = forms.CharField(label=_("Title"), max_length=300)
    scope = _text(_("Scope of works"), required=True, rows=4)
    actions = forms.MultipleChoiceField(
        label=_("Gaps it closes (actions of the centre's improvement plan)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    partner = forms.ChoiceField(label=_("Partner"), required=False)
    agreement = forms.ChoiceField(
        label=_("Agreement"),
        required=False,
        help_text=_("The agreement must belong to the partner; alone it names its partner."),
    )
    budget = _rupiah(_("Budget (Rp)"), help_text=_("Whole rupiah."))
    contractor = forms.CharField(label=_("Contractor"), max_length=200, required=False)
    consultant = forms.CharField(label=_("Supervising consultant"), max_length=200, required=False)
    consultant_user = forms.ChoiceField(
        label=_("Consultant's account"),
        required=False,
        help_text=_("The standards assessor who writes the supervision reports."),
    )
    starts_on = forms.DateField(label=_("Works start"), widget=DATE)
    planned_end_on = forms.DateField(label=_("Planned end"), widget=DATE)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, facilities, actions, partners, agreements, consultants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = facilities
        self.fields["actions"].choices = actions
        self.fields["partner"].choices = [("", "—"), *partners]
        self.fields["agreement"].choices = [("", "—"), *agreements]
        self.fields["consultant_user"].choices = [("", "—"), *consultants]
        # Check boxes are not text inputs.
        self.fields["actions"].widget.attrs["class"] = "form-check-input"


class StatusForm(BootstrapForm):
    to = forms.ChoiceField(label=_("New status"))
    reason = _text(_("Reason (needed to cancel)"), rows=2, max_length=4000)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [("", "—"), *choices]


class MilestoneForm(BootstrapForm):
    name = forms.CharField(label=_("Milestone"), max_length=200, required=False)
    weight = forms.DecimalField(
        label=_("Weight (%)"), required=False, max_digits=5, decimal_places=2, min_value=0
    )
    planned_on = forms.DateField(label=_("Planned"), required=False, widget=DATE)
    done_on = forms.DateField(label=_("Done"), required=False, widget=DATE)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(f) not in (None, "") for f in ("name", "weight", "planned_on"))


MilestoneFormSet = formset_factory(MilestoneForm, extra=3, max_num=60, validate_max=True)


class VersionForm(BootstrapForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class DisbursementForm(BootstrapForm):
    status = forms.ChoiceField(
        label=_("Kind"), choices=Disbursement.Status.choices, initial=Disbursement.Status.PAID
    )
    paid_on = forms.DateField(label=_("Paid on"), required=False, widget=DATE)
    planned_on = forms.DateField(label=_("Planned for"), required=False, widget=DATE)
    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=2, min_value=0)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="IDR")
    rate = forms.DecimalField(
        label=_("Rate to Rp"),
        required=False,
        max_digits=14,
        decimal_places=6,
        help_text=_("Rupiah for one unit of the currency (1 for IDR)."),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("Needed when the money planned and paid passes the budget."),
    )


class PayForm(BootstrapForm):
    disbursement = forms.IntegerField(widget=forms.HiddenInput)
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE)
    amount = forms.DecimalField(
        label=_("Amount paid"), required=False, max_digits=18, decimal_places=2, min_value=0
    )
    rate = forms.DecimalField(
        label=_("Rate of the day"), required=False, max_digits=14, decimal_places=6
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ReportForm(BootstrapForm):
    reported_on = forms.DateField(label=_("Date"), widget=DATE)
    progress = forms.DecimalField(
        label=_("Actual progress (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
    )
    findings = _text(_("Findings"), rows=4)
    instructions = _text(_("Instructions to the contractor"), rows=3)
    progress_note = _text(
        _("Why the progress is lower than before"),
        rows=2,
        help_text=_("Only when the progress is lower than in an earlier report."),
    )
    photos = ImagesField(label=_("Photos (JPEG or PNG)"))
    caption = forms.CharField(label=_("Caption of the photos"), max_length=200, required=False)


class PhotoForm(BootstrapForm):
    report = forms.ChoiceField(label=_("Report"))
    photos = ImagesField(label=_("Photos (JPEG or PNG)"), required=True)
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)
    taken_on = forms.DateField(label=_("Taken on"), required=False, widget=DATE)

    def __init__(self, *args, reports, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report"].choices = reports


class HandoverForm(BootstrapForm):
    handed_over_on = forms.DateField(label=_("Handed over on"), widget=DATE)
    note = _text(_("Handover note"), required=True, rows=4)
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReassessmentForm(BootstrapForm):
    assessment = forms.ChoiceField(label=_("Re-assessment"))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessment"].choices = [("", "—"), *candidates]


class CloseForm(BootstrapForm):
    note = _text(
        _("Closing note"),
        rows=3,
        help_text=_("Needed when some gaps are not proven closed: say what happens to them."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ListFilterForm(BootstrapForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    facility = forms.ChoiceField(label=_("Centre"), required=False)

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *Status.choices]
        self.fields["facility"].choices = [("", _("All centres")), *facilities]


def consultant_choices():
    from rehsos.core.models import User

    return [
        (str(u.pk), f"{u.get_full_name() or u.username} ({u.username})")
        for u in User.objects.filter(role=Role.STANDARDS_ASSESSOR, is_active=True).order_by(
            "first_name", "last_name", "username"
        )
    ]
