"""Forms of the workforce pages. They check the shape of the input; the rules live in
:mod:`rehsos.workforce.services`, whose field names these forms share."""

import json
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from rehsos.core.forms import BootstrapForm
from rehsos.workforce.eligibility import plain
from rehsos.workforce.models import (
    Application,
    Certification,
    Competency,
    InternshipCall,
    InternshipReport,
    Qualification,
    ReentryAction,
    StaffMember,
    StaffRole,
    Training,
    TrainingParticipant,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
BLANK = [("", "—")]


class StaffForm(BootstrapForm):
    facility = forms.ChoiceField(label=_("Centre"))
    name = forms.CharField(label=_("Name"), max_length=200)
    sex = forms.ChoiceField(label=_("Sex"), choices=[*BLANK, ("F", _("Female")), ("M", _("Male"))])
    birth_year = forms.IntegerField(label=_("Birth year"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=[*BLANK, *StaffRole.choices])
    employment = forms.ChoiceField(
        label=_("Employment"), choices=[*BLANK, *StaffMember.Employment.choices]
    )
    position = forms.CharField(label=_("Position"), max_length=200, required=False)
    started_on = forms.DateField(label=_("Started on"), widget=DATE)
    left_on = forms.DateField(label=_("Left on"), required=False, widget=DATE)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    account = forms.CharField(
        label=_("User account"),
        max_length=150,
        required=False,
        help_text=_(
            "The username of the staff member's own account at the same centre, so they can "
            "apply for internships and report on them."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [*BLANK, *facilities]

    @classmethod
    def initial_of(cls, staff: StaffMember) -> dict:
        return {
            "facility": staff.facility.code,
            "name": staff.name,
            "sex": staff.sex,
            "birth_year": staff.birth_year,
            "role": staff.role,
            "employment": staff.employment,
            "position": staff.position,
            "started_on": staff.started_on,
            "left_on": staff.left_on,
            "email": staff.email,
            "phone": staff.phone,
            "account": staff.user.username if staff.user_id else "",
            "version": staff.version,
        }


class QualificationForm(BootstrapForm):
    level = forms.ChoiceField(label=_("Level"), choices=[*BLANK, *Qualification.Level.choices])
    field = forms.CharField(label=_("Field"), max_length=200)
    institution = forms.CharField(label=_("Institution"), max_length=200, required=False)
    year = forms.IntegerField(label=_("Year"), required=False)


class CertificationForm(BootstrapForm):
    name = forms.CharField(label=_("Certification"), max_length=200)
    issuer = forms.CharField(label=_("Issuer"), max_length=200, help_text=_("e.g. BNSP / an LSP"))
    number = forms.CharField(label=_("Number"), max_length=100, required=False)
    issued_on = forms.DateField(label=_("Issued on"), widget=DATE)
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=DATE)

    @classmethod
    def initial_of(cls, cert: Certification) -> dict:
        return {
            "name": cert.name,
            "issuer": cert.issuer,
            "number": cert.number,
            "issued_on": cert.issued_on,
            "expires_on": cert.expires_on,
        }


class CompetencyForm(BootstrapForm):
    code = forms.CharField(
        label=_("SKKNI unit code"),
        max_length=40,
        required=False,
        help_text=_("e.g. Q.87SOS00.001.1; leave empty when there is none."),
    )
    name = forms.CharField(label=_("Competency"), max_length=200)
    level = forms.ChoiceField(label=_("Level"), choices=[*BLANK, *Competency.Level.choices])
    assessed_on = forms.DateField(label=_("Assessed on"), required=False, widget=DATE)


class StaffFilterForm(BootstrapForm):
    q = forms.CharField(label=_("Name or position"), required=False, max_length=100)
    facility = forms.ChoiceField(label=_("Centre"), required=False)
    role = forms.ChoiceField(label=_("Role"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("active", _("Active")), ("left", _("Left")), ("all", _("All"))],
    )

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [("", _("All centres")), *facilities]
        self.fields["role"].choices = [("", _("All roles")), *StaffRole.choices]


# --- trainings ------------------------------------------------------------------------


class TrainingForm(BootstrapForm):
    title = forms.CharField(label=_("Title"), max_length=300)
    kind = forms.ChoiceField(label=_("Kind"), choices=[*BLANK, *Training.Kind.choices])
    provider = forms.CharField(label=_("Provider"), max_length=200, required=False)
    partner = forms.ChoiceField(label=_("Partner"), required=False)
    facility = forms.ChoiceField(
        label=_("Held at"),
        required=False,
        help_text=_("The centre where it is held; empty for a training held elsewhere."),
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    hours = forms.IntegerField(label=_("Hours"), required=False)
    competencies = forms.CharField(label=_("Competencies taught"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, facilities, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [("", _("(elsewhere)")), *facilities]
        self.fields["partner"].choices = [("", _("(none)")), *partners]


class ParticipantsForm(BootstrapForm):
    staff = forms.MultipleChoiceField(
        label=_("Staff to enrol"), widget=forms.SelectMultiple(attrs={"size": 8})
    )

    def __init__(self, *args, staff_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].choices = staff_choices


class ResultForm(BootstrapForm):
    result = forms.ChoiceField(label=_("Result"), choices=TrainingParticipant.Result.choices)
    pre_score = forms.DecimalField(
        label=_("Pre-test"), required=False, min_value=0, max_value=100, decimal_places=2
    )
    score = forms.DecimalField(
        label=_("Post-test"), required=False, min_value=0, max_value=100, decimal_places=2
    )

    def __init__(self, *args, form_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if form_id:  # the inputs sit in a table row, outside their <form>
                field.widget.attrs["form"] = form_id
            field.widget.attrs["class"] += " form-control-sm"


# --- internships ----------------------------------------------------------------------


class JSONListField(forms.CharField):
    """A JSON list typed in a text area (the rules are checked by the service)."""

    widget = forms.Textarea(attrs={"rows": 6, "class": "font-monospace"})

    def prepare_value(self, value):
        if isinstance(value, list):
            return json.dumps(value, ensure_ascii=False, indent=1)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return []
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON: %(error)s") % {"error": exc}
            ) from exc
        if not isinstance(parsed, list):
            raise forms.ValidationError(_("Give a JSON list: [ … ]."))
        return parsed


class CallForm(BootstrapForm):
    title = forms.CharField(label=_("Title"), max_length=300)
    partner = forms.ChoiceField(label=_("Partner"), required=False)
    agreement = forms.ChoiceField(label=_("Agreement"), required=False)
    country = forms.CharField(label=_("Country (ISO code)"), max_length=2, initial="JP")
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    opens_on = forms.DateField(label=_("Opens"), widget=DATE)
    closes_on = forms.DateField(label=_("Closes"), widget=DATE)
    places = forms.IntegerField(label=_("Places"), min_value=1)
    eligibility = JSONListField(
        label=_("Eligibility rules (JSON)"),
        required=False,
        help_text=_(
            'e.g. [{"rule": "role_in", "roles": ["instructor", "caregiver"]}, '
            '{"rule": "min_service_years", "years": 2}, {"rule": "max_age", "years": 45}, '
            '{"rule": "facility_model"}, {"rule": "min_qualification", "level": "d3"}]. '
            "The rules are listed in docs/workforce.md."
        ),
    )
    scoring = JSONListField(
        label=_("Scoring criteria (JSON)"),
        required=False,
        help_text=_(
            'e.g. [{"code": "motivation", "label": "Motivation", "weight": 40, "max": 10}, '
            '{"code": "plan", "label": "Re-entry plan", "weight": 60, "max": 10}]; '
            "the weights add up to 100."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, partners, agreements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [("", _("(none)")), *partners]
        self.fields["agreement"].choices = [("", _("(none)")), *agreements]


class CallStatusForm(BootstrapForm):
    status = forms.ChoiceField(choices=InternshipCall.Status.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)


class ApplyForm(BootstrapForm):
    staff = forms.ChoiceField(
        label=_("Applicant"),
        required=False,
        help_text=_("Yourself, or a staff member of your centre."),
    )
    motivation = forms.CharField(
        label=_("Motivation"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you want to learn and what you will change at home."),
    )

    def __init__(self, *args, staff_choices, **kwargs):
        super().__init__(*args, **kwargs)
        if staff_choices:
            self.fields["staff"].choices = staff_choices
        else:
            del self.fields["staff"]


class ScoresForm(BootstrapForm):
    """One field per scoring criterion of the call (0..max points)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        for criterion in criteria:
            most = Decimal(str(criterion["max"]))
            field = forms.DecimalField(
                label=f"{criterion['label']} (× {criterion['weight']}, 0–{plain(most)})",
                required=False,
                min_value=0,
                max_value=most,
                decimal_places=2,
            )
            field.widget.attrs.update({"class": "form-control", "step": "any"})
            self.fields[f"score_{criterion['code']}"] = field

    def points(self) -> dict:
        return {
            name.removeprefix("score_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("score_") and value is not None
        }


class SelectionForm(BootstrapForm):
    """A decision and its rationale for each eligible application of the call."""

    def __init__(self, *args, applications, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for app in applications:
            key = str(app.public_id)
            decision = forms.ChoiceField(
                label=_("Decision"),
                required=False,
                choices=[
                    ("", _("(no change)")),
                    (Application.Decision.SELECTED, _("Selected")),
                    (Application.Decision.RESERVE, _("Reserve")),
                    (Application.Decision.REJECTED, _("Not selected")),
                ],
            )
            decision.widget.attrs["class"] = "form-select form-select-sm"
            rationale = forms.CharField(
                label=_("Rationale"),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
            )
            version = forms.IntegerField(widget=forms.HiddenInput)
            self.fields[f"{key}.decision"] = decision
            self.fields[f"{key}.rationale"] = rationale
            self.fields[f"{key}.version"] = version
            self.initial.setdefault(f"{key}.version", app.version)
            if app.decision in (
                Application.Decision.SELECTED,
                Application.Decision.RESERVE,
                Application.Decision.REJECTED,
            ):
                self.initial.setdefault(f"{key}.rationale", app.rationale)
            self.rows.append(
                (app, self[f"{key}.decision"], self[f"{key}.rationale"], self[f"{key}.version"])
            )

    def decisions(self) -> list[tuple[str, str, str, int]]:
        """(public id, decision, rationale, version) of the rows given a decision."""
        found = []
        for app, *_fields in self.rows:
            key = str(app.public_id)
            decision = self.cleaned_data.get(f"{key}.decision")
            if decision:
                found.append(
                    (
                        key,
                        decision,
                        self.cleaned_data.get(f"{key}.rationale") or "",
                        self.cleaned_data.get(f"{key}.version"),
                    )
                )
        return found


class PlacementForm(BootstrapForm):
    host_institution = forms.CharField(label=_("Host institution"), max_length=200)
    placement_starts_on = forms.DateField(label=_("Placement starts"), widget=DATE)
    placement_ends_on = forms.DateField(label=_("Placement ends"), widget=DATE)
    version = forms.IntegerField(widget=forms.HiddenInput)


class WithdrawForm(BootstrapForm):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReportForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=[*BLANK, *InternshipReport.Kind.choices])
    reported_on = forms.DateField(label=_("Date"), widget=DATE)
    text = forms.CharField(
        label=_("Report"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )


class ReentryActionForm(BootstrapForm):
    what = forms.CharField(label=_("What will change"), max_length=300)
    due_on = forms.DateField(label=_("Due"), widget=DATE)


class ReentryUpdateForm(BootstrapForm):
    status = forms.ChoiceField(label=_("Status"), choices=ReentryAction.Status.choices)
    done_on = forms.DateField(label=_("Done on"), required=False, widget=DATE)
    result = forms.CharField(
        label=_("Result"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What changed; for a dropped action, why."),
    )
