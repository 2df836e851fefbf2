"""Incoming referrals (the queue, receive, screen, accept as a case, decline) and
outgoing referrals from a case to other services with their outcome."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from rehsos.cases import access
from rehsos.cases.models import (
    Cluster,
    OutgoingReferral,
    PpksType,
    Referral,
    ReferralSource,
    RiskLevel,
    Setting,
)
from rehsos.cases.services import referrals as referral_services
from rehsos.cases.views_workflow import CaseFieldsForm, StaffChoice, _staff_queryset
from rehsos.core.access import log_access
from rehsos.core.errors import Conflict, DomainError
from rehsos.core.permissions import can, requires, scoped
from rehsos.facilities.models import Facility
from rehsos.registry import selectors as person_selectors

QUEUE_SIZE = 200


def _blank(choices) -> list:
    return [("", "—"), *choices]


def _styled(form: forms.Form) -> forms.Form:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")
    return form


def _add_errors(form, exc: DomainError) -> None:
    if not exc.fields:
        form.add_error(None, str(exc.message))
    for name, message in exc.fields.items():
        form.add_error(name if name in form.fields else None, str(message))


def _person_or_none(user, public_id):
    if not public_id:
        return None
    try:
        person, _redirected = person_selectors.person_for(user, public_id)
    except (DomainError, ValueError, DjangoValidationError):
        return None
    return person


class ReferralForm(forms.Form):
    source = forms.ChoiceField(
        label=gettext_lazy("Referred by"), choices=_blank(ReferralSource.choices)
    )
    source_name = forms.CharField(
        label=gettext_lazy("Referring organisation or person"), max_length=200
    )
    source_contact = forms.CharField(
        label=gettext_lazy("Contact of the referrer"), max_length=200, required=False
    )
    source_reference = forms.CharField(
        label=gettext_lazy("Referrer's reference"), max_length=80, required=False
    )
    referred_on = forms.DateField(
        label=gettext_lazy("Referred on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Referred to"), queryset=Facility.objects.none()
    )
    cluster = forms.ChoiceField(label=gettext_lazy("Cluster"), choices=_blank(Cluster.choices))
    ppks_type = forms.ModelChoiceField(
        label=gettext_lazy("PPKS type"), queryset=PpksType.objects.none(), required=False
    )
    urgency = forms.ChoiceField(
        label=gettext_lazy("Urgency"), choices=RiskLevel.choices, initial=RiskLevel.MEDIUM
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for referral"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scoped(user, Facility.objects.filter(is_active=True))
        self.fields["ppks_type"].queryset = PpksType.objects.in_force().order_by("number")
        _styled(self)


class ScreenForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Screening note"), max_length=5000, widget=forms.Textarea({"rows": 3})
    )


class DeclineForm(forms.Form):
    decline_reason = forms.ChoiceField(
        label=gettext_lazy("Reason for declining"),
        choices=_blank(Referral.DeclineReason.choices),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea({"rows": 2}),
    )


class AcceptForm(CaseFieldsForm):
    social_worker = StaffChoice(
        label=gettext_lazy("Social worker"),
        queryset=get_user_model().objects.none(),
        required=False,
    )
    supervisor = StaffChoice(
        label=gettext_lazy("Supervisor"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ppks_type"].required = False
        del self.fields["cluster"]  # the referral's cluster
        for name in ("social_worker", "supervisor"):
            self.fields[name].queryset = _staff_queryset(user)
            self.fields[name].widget.attrs["class"] = "form-select"


class OutgoingForm(forms.Form):
    service_name = forms.CharField(
        label=gettext_lazy("Service referred to"), max_length=200, required=False
    )
    to_unit = forms.ModelChoiceField(
        label=gettext_lazy("Or a unit in rehsos"),
        queryset=Facility.objects.filter(is_active=True),
        required=False,
    )
    service_kind = forms.CharField(
        label=gettext_lazy("Kind of service"), max_length=100, required=False
    )
    referred_on = forms.DateField(
        label=gettext_lazy("Referred on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=5000, widget=forms.Textarea({"rows": 3})
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"), choices=OutgoingReferral.Outcome.choices
    )
    outcome_on = forms.DateField(
        label=gettext_lazy("Outcome on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Outcome note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea({"rows": 2}),
    )


# --- incoming ----------------------------------------------------------------------------------


@requires("cases.referrals")
def queue(request):
    status = request.GET.get("status", "open")
    rows = referral_services.queue(request.user).select_related("case")
    if status == "open":
        rows = rows.filter(status__in=referral_services.OPEN_STATUSES).order_by("referred_on", "pk")
    elif status in Referral.Status.values:
        rows = rows.filter(status=status).order_by("-referred_on", "-pk")
    else:
        status = "all"
        rows = rows.order_by("-referred_on", "-pk")
    rows = list(rows[:QUEUE_SIZE])
    persons = [r.person for r in rows if r.person_id]
    if persons:
        log_access(request, persons, purpose="referral queue")
    return render(
        request,
        "cases/referrals/queue.html",
        {
            "referrals": rows,
            "status": status,
            "statuses": [("open", _("Waiting")), *Referral.Status.choices, ("all", _("All"))],
        },
    )


@requires("cases.referrals")
def receive(request):
    initial = {"unit": request.user.facility_id} if request.user.facility_id else {}
    form = ReferralForm(request.POST or None, user=request.user, initial=initial)
    person = _person_or_none(request.user, request.POST.get("person") or request.GET.get("person"))
    if person is not None:
        log_access(request, person, purpose="referral")
    if request.method == "POST" and form.is_valid():
        try:
            referral = referral_services.receive(request.user, person=person, **form.cleaned_data)
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The referral is received."))
            return redirect("cases:referral", public_id=referral.public_id)
    return render(request, "cases/referrals/receive.html", {"form": form, "person": person})


def _detail_context(request, referral, **forms_given) -> dict:
    user = request.user
    initial = {
        "risk_level": referral.urgency,
        "ppks_type": referral.ppks_type_id,
        "cluster": referral.cluster,
        "summary": referral.reason,
    }
    if user.role == "social_worker":
        initial["social_worker"] = user.pk
    candidate = _person_or_none(user, request.GET.get("person"))
    if candidate is not None:
        log_access(request, candidate, purpose="referral")
    return {
        "referral": referral,
        "undecided": referral.status in referral_services.OPEN_STATUSES,
        "candidate": candidate,
        "screen_form": forms_given.get("screen_form") or _styled(ScreenForm()),
        "decline_form": forms_given.get("decline_form") or _styled(DeclineForm()),
        "accept_form": forms_given.get("accept_form") or AcceptForm(user=user, initial=initial),
        "settings": Setting.choices,
    }


@requires("cases.referrals")
def detail(request, public_id):
    referral = referral_services.referral_for(request.user, public_id)
    if referral.person_id:
        log_access(request, referral.person, purpose="referral")
    return render(request, "cases/referrals/detail.html", _detail_context(request, referral))


def _done(referral):
    return redirect("cases:referral", public_id=referral.public_id)


def _version(request):
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@require_POST
@requires("cases.referrals")
def link(request, public_id):
    referral = referral_services.referral_for(request.user, public_id)
    person = _person_or_none(request.user, request.POST.get("person"))
    try:
        referral_services.link_person(request.user, referral, person, version=_version(request))
    except DomainError as exc:
        messages.error(request, " ".join(str(m) for m in exc.fields.values()) or str(exc.message))
    else:
        messages.success(request, _("The person is linked to the referral."))
    return _done(referral)


@require_POST
@requires("cases.referrals")
def screen(request, public_id):
    referral = referral_services.referral_for(request.user, public_id)
    form = _styled(ScreenForm(request.POST))
    if form.is_valid():
        try:
            referral_services.screen(
                request.user, referral, note=form.cleaned_data["note"], version=_version(request)
            )
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The screening is recorded."))
            return _done(referral)
    context = _detail_context(request, referral, screen_form=form)
    return render(request, "cases/referrals/detail.html", context, status=422)


@require_POST
@requires("cases.referrals")
def decline(request, public_id):
    referral = referral_services.referral_for(request.user, public_id)
    form = _styled(DeclineForm(request.POST))
    if form.is_valid():
        try:
            referral_services.decline(
                request.user,
                referral,
                reason=form.cleaned_data["decline_reason"],
                note=form.cleaned_data["note"],
                version=_version(request),
            )
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The referral is declined."))
            return _done(referral)
    context = _detail_context(request, referral, decline_form=form)
    return render(request, "cases/referrals/detail.html", context, status=422)


@require_POST
@requires("cases.referrals")
def accept(request, public_id):
    referral = referral_services.referral_for(request.user, public_id)
    form = AcceptForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            referral = referral_services.accept(
                request.user,
                referral,
                setting=data["setting"],
                ppks_type=data["ppks_type"],
                social_worker=data["social_worker"],
                supervisor=data["supervisor"],
                risk_level=data["risk_level"],
                flags=form.flags(),
                summary=data["summary"],
                version=_version(request),
            )
        except Conflict as exc:
            messages.error(request, str(exc.message))
            return _done(referral)
        except DomainError as exc:
            form.add_service_errors(exc.fields)
            if not exc.fields:
                form.add_error(None, str(exc.message))
        else:
            messages.success(
                request, _("Case %(number)s is open.") % {"number": referral.case.number}
            )
            return redirect("cases:detail", public_id=referral.case.public_id)
    context = _detail_context(request, referral, accept_form=form)
    return render(request, "cases/referrals/detail.html", context, status=422)


# --- outgoing ----------------------------------------------------------------------------------


@requires("cases.view")
def outgoing(request, public_id):
    case = access.get_case(request, public_id)
    may_refer = can(request.user, "cases.referrals")
    form = _styled(OutgoingForm(request.POST or None))
    if request.method == "POST":
        if not may_refer:
            messages.error(request, _("You do not have permission to do this."))
            return redirect("cases:outgoing", public_id=case.public_id)
        if form.is_valid():
            try:
                referral_services.refer_out(request.user, case, **form.cleaned_data)
            except DomainError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The referral is recorded."))
                return redirect("cases:outgoing", public_id=case.public_id)
    rows = case.outgoing_referrals.select_related("to_unit").order_by("-referred_on", "-pk")
    return render(
        request,
        "cases/referrals/outgoing.html",
        {
            "case": case,
            "form": form,
            "rows": rows,
            "may_refer": may_refer,
            "outcomes": OutgoingReferral.Outcome.choices,
        },
    )


@require_POST
@requires("cases.referrals")
def outcome(request, public_id):
    found = referral_services.outgoing_for(request.user, public_id)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            referral_services.record_outcome(
                request.user,
                found,
                outcome=form.cleaned_data["outcome"],
                outcome_on=form.cleaned_data["outcome_on"],
                note=form.cleaned_data["note"],
                version=_version(request) or 0,
            )
        except DomainError as exc:
            messages.error(
                request, " ".join(str(m) for m in exc.fields.values()) or str(exc.message)
            )
        else:
            messages.success(request, _("The outcome is recorded."))
    else:
        messages.error(request, _("Choose the outcome from the list."))
    return redirect("cases:outgoing", public_id=found.case.public_id)


urlpatterns = [
    path("referrals/", queue, name="referrals"),
    path("referrals/new/", receive, name="referral_new"),
    path("referrals/<uuid:public_id>/", detail, name="referral"),
    path("referrals/<uuid:public_id>/link/", link, name="referral_link"),
    path("referrals/<uuid:public_id>/screen/", screen, name="referral_screen"),
    path("referrals/<uuid:public_id>/accept/", accept, name="referral_accept"),
    path("referrals/<uuid:public_id>/decline/", decline, name="referral_decline"),
    path("<uuid:public_id>/outgoing/", outgoing, name="outgoing"),
    path("outgoing/<uuid:public_id>/outcome/", outcome, name="outgoing_outcome"),
]
