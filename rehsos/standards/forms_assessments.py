"""Forms of the assessment pages. They check the shape of the input only; the rules
live in :mod:`rehsos.standards.services_assessments`, whose field names they share."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rehsos.core.forms import BootstrapForm
from rehsos.standards.models import Assessment, Evidence, Finding
from rehsos.standards.services_assessments import CAPTION_MAX, TEXT_MAX, TITLE_MAX
from rehsos.standards.services_schedules import INTERVAL_MAX_MONTHS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _user_label(user) -> str:
    return user.get_full_name() or user.get_username()


class StartSelfForm(BootstrapForm):
    facility = forms.ChoiceField(label=_("Centre"))
    catalogue = forms.ChoiceField(label=_("Catalogue"))
    started_on = forms.DateField(label=_("Started on"), widget=DATE)
    title = forms.CharField(label=_("Title"), required=False, max_length=TITLE_MAX)

    def __init__(self, *args, facilities, catalogues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [(f.code, f.name) for f in facilities]
        self.fields["catalogue"].choices = [(c.code, str(c)) for c in catalogues]


class CreateAuditForm(StartSelfForm):
    visit_on = forms.DateField(label=_("Visit date"), required=False, widget=DATE)
    lead = forms.ChoiceField(label=_("Lead assessor"))
    assessors = forms.MultipleChoiceField(
        label=_("Assessors"), required=False, widget=forms.CheckboxSelectMultiple
    )

    field_order = ["facility", "catalogue", "title", "started_on", "visit_on", "lead", "assessors"]

    def __init__(self, *args, auditors, **kwargs):
        super().__init__(*args, **kwargs)
        people = [(str(u.pk), _user_label(u)) for u in auditors]
        self.fields["lead"].choices = [("", "—"), *people]
        self.fields["assessors"].choices = people
        self.fields["assessors"].widget.attrs["class"] = "form-check-input"


class AssessmentEditForm(BootstrapForm):
    title = forms.CharField(label=_("Title"), required=False, max_length=TITLE_MAX)
    visit_on = forms.DateField(label=_("Visit date"), required=False, widget=DATE)
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    lead = forms.ChoiceField(label=_("Lead assessor"), required=False)
    assessors = forms.MultipleChoiceField(
        label=_("Assessors"), required=False, widget=forms.CheckboxSelectMultiple
    )
    row_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, assessment: Assessment, auditors=(), **kwargs):
        super().__init__(*args, **kwargs)
        if assessment.kind == Assessment.Kind.SELF:
            del self.fields["lead"]
            del self.fields["assessors"]
            return
        people = [(str(u.pk), _user_label(u)) for u in auditors]
        self.fields["lead"].choices = [("", "—"), *people]
        self.fields["assessors"].choices = people
        self.fields["assessors"].widget.attrs["class"] = "form-check-input"


class AnswerForm(forms.Form):
    """One criterion's answer as the form page posts it: ``choice`` is a rating, ``na``
    or empty (not rated)."""

    choice = forms.CharField(required=False, max_length=4)
    justification = forms.CharField(required=False, max_length=TEXT_MAX)
    comment = forms.CharField(required=False, max_length=TEXT_MAX)
    revision = forms.IntegerField(min_value=1, max_value=2_000_000_000)

    def rating_and_na(self) -> tuple[int | None, bool, str | None]:
        """(rating, not applicable, error for ``rating`` or None)."""
        choice = (self.cleaned_data.get("choice") or "").strip()
        if choice == "na":
            return None, True, None
        if choice == "":
            return None, False, None
        if not choice.isdigit():
            return None, False, str(_("Choose one of the levels of the scale."))
        return int(choice), False, None


class EvidenceForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Evidence.Kind.choices)
    file = forms.FileField(label=_("File"))
    valid_from = forms.DateField(
        label=_("Valid from"),
        widget=DATE,
        help_text=_("The day the photo was taken or the document's date."),
    )
    caption = forms.CharField(label=_("Caption"), required=False, max_length=CAPTION_MAX)


class FindingForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Finding.Kind.choices)
    criterion = forms.ChoiceField(label=_("Criterion"), required=False)
    text = forms.CharField(
        label=_("Finding"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = [
            ("", _("(the whole centre)")),
            *[(c.code, c.code) for c in criteria],
        ]


class ReopenForm(BootstrapForm):
    reason = forms.CharField(
        label=_("Why reopen it"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class ScheduleForm(BootstrapForm):
    facility = forms.ChoiceField(label=_("Centre"))
    catalogue = forms.ChoiceField(label=_("Catalogue"))
    kind = forms.ChoiceField(label=_("Kind"), choices=Assessment.Kind.choices)
    next_due = forms.DateField(label=_("Next due"), widget=DATE)
    interval_months = forms.IntegerField(
        label=_("Every (months)"), min_value=1, max_value=INTERVAL_MAX_MONTHS, initial=12
    )
    assessor = forms.ChoiceField(label=_("Assessor"), required=False)

    def __init__(self, *args, facilities=(), catalogues=(), people=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            for name in ("facility", "catalogue", "kind"):
                del self.fields[name]
        else:
            self.fields["facility"].choices = [(f.code, f.name) for f in facilities]
            self.fields["catalogue"].choices = [(c.code, str(c)) for c in catalogues]
        self.fields["assessor"].choices = [
            ("", _("(none)")),
            *[(str(u.pk), _user_label(u)) for u in people],
        ]


class ListFilterForm(BootstrapForm):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Assessment.Kind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *Assessment.Status.choices],
    )
    facility = forms.ChoiceField(label=_("Centre"), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)

    def __init__(self, *args, facilities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [
            ("", _("All centres")),
            *[(f.code, f.name) for f in facilities],
        ]
