"""Training pages: the list, a training with its participants (in the reader's scope),
results and summary (completion, mean score gain), and the forms."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rehsos.core.errors import Conflict, NotFound, ValidationFailed
from rehsos.core.forms import add_domain_errors
from rehsos.core.permissions import can, requires
from rehsos.partners.models import Partner
from rehsos.workforce import selectors
from rehsos.workforce.forms import ParticipantsForm, ResultForm, TrainingForm
from rehsos.workforce.models import Training
from rehsos.workforce.services import trainings as services
from rehsos.workforce.views_staff import facility_choices

PAGE_SIZE = 50
MAX_STAFF_CHOICES = 500


def partner_choices() -> list[tuple[str, str]]:
    return [(p.code, str(p)) for p in Partner.objects.filter(is_active=True).order_by("name")]


def _partner(code: str):
    if not code:
        return None
    partner = Partner.objects.filter(code=code).first()
    if partner is None:
        raise ValidationFailed(fields={"partner": _("No such partner.")})
    return partner


def _training_data(request, form) -> dict:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    data["partner"] = _partner(data.get("partner") or "")
    code = data.get("facility") or ""
    if code:
        try:
            data["facility"] = selectors.facility_for(request.user, code)
        except NotFound as exc:
            raise ValidationFailed(
                fields={"facility": _("Choose a centre in your scope.")}
            ) from exc
    else:
        data["facility"] = None
    return data


@requires("workforce.view")
def training_list(request):
    q = request.GET.get("q", "").strip()[:100]
    try:
        year = int(request.GET.get("year", "") or 0) or None
    except ValueError:
        year = None
    page = Paginator(selectors.trainings(request.user, q=q, year=year), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "workforce/trainings/list.html",
        {
            "page": page,
            "q": q,
            "year": year or "",
            "can_manage": can(request.user, "workforce.manage"),
        },
    )


def _form(request, training: Training | None):
    initial = {}
    if training is not None:
        initial = {
            "title": training.title,
            "kind": training.kind,
            "provider": training.provider,
            "partner": training.partner.code if training.partner_id else "",
            "facility": training.facility.code if training.facility_id else "",
            "starts_on": training.starts_on,
            "ends_on": training.ends_on,
            "hours": training.hours,
            "competencies": training.competencies,
            "version": training.version,
        }
    elif request.user.facility_id:
        initial["facility"] = request.user.facility.code
    return TrainingForm(
        request.POST or None,
        initial=initial,
        facilities=facility_choices(request.user),
        partners=partner_choices(),
    )


@requires("workforce.manage")
def training_create(request):
    form = _form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            training = services.create_training(request.user, **_training_data(request, form))
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The training is added."))
            return redirect("workforce:training_detail", public_id=training.public_id)
    return render(request, "workforce/trainings/form.html", {"form": form, "training": None})


@requires("workforce.manage")
def training_edit(request, public_id):
    training = selectors.training_for(request.user, public_id)
    form = _form(request, training)
    conflict, status = None, 200
    if request.method == "POST" and form.is_valid():
        try:
            training = services.update_training(
                request.user,
                training,
                version=form.cleaned_data.get("version"),
                **_training_data(request, form),
            )
        except Conflict:
            training.refresh_from_db()
            status = 409
            conflict = {
                "version": training.version,
                "rows": [
                    (_("Title"), training.title, form.cleaned_data.get("title")),
                    (_("Starts on"), training.starts_on, form.cleaned_data.get("starts_on")),
                    (_("Ends on"), training.ends_on, form.cleaned_data.get("ends_on")),
                ],
            }
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The training is saved."))
            return redirect("workforce:training_detail", public_id=training.public_id)
    return render(
        request,
        "workforce/trainings/form.html",
        {"form": form, "training": training, "conflict": conflict},
        status=status,
    )


def _staff_choices(user, training: Training) -> list[tuple[str, str]]:
    enrolled = training.participants.values("staff_id")
    rows = (
        selectors.active_in_scope(user, training.starts_on)
        .exclude(pk__in=enrolled)
        .order_by("facility__name", "name")[:MAX_STAFF_CHOICES]
    )
    return [
        (str(s.public_id), f"{s.name} · {s.get_role_display()} · {s.facility.name}") for s in rows
    ]


@requires("workforce.view")
def training_detail(request, public_id):
    user = request.user
    training = selectors.training_for(user, public_id)
    can_manage = can(user, "workforce.manage")
    form = None
    if can_manage:
        form = ParticipantsForm(
            request.POST if request.method == "POST" else None,
            staff_choices=_staff_choices(user, training),
        )
        if request.method == "POST" and form.is_valid():
            chosen = list(
                selectors.staff_in_scope(user).filter(public_id__in=form.cleaned_data["staff"])
            )
            try:
                services.add_participants(user, training, chosen)
            except ValidationFailed as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("The participants are enrolled."))
                return redirect("workforce:training_detail", public_id=training.public_id)
    elif request.method == "POST":
        return redirect("workforce:training_detail", public_id=training.public_id)
    participants = [
        (
            p,
            ResultForm(
                prefix=f"p{p.pk}",
                form_id=f"result-{p.pk}",
                initial={"result": p.result, "pre_score": p.pre_score, "score": p.score},
            ),
        )
        for p in selectors.participants_in_scope(user, training)
    ]
    return render(
        request,
        "workforce/trainings/detail.html",
        {
            "training": training,
            "summary": selectors.training_summary(training),
            "participants": participants,
            "form": form,
            "can_manage": can_manage,
            "can_edit": selectors.may_edit_training(user, training),
        },
        status=422 if form is not None and form.errors else 200,
    )


@requires("workforce.manage")
@require_POST
def participant_result(request, pk):
    participant = selectors.participant_for(request.user, pk)
    form = ResultForm(request.POST, prefix=f"p{participant.pk}")
    if form.is_valid():
        try:
            services.record_result(request.user, participant, **form.cleaned_data)
        except ValidationFailed as exc:
            for message in exc.fields.values():
                messages.error(request, f"{participant.staff.name}: {message}")
        else:
            messages.success(
                request, _("The result of %(name)s is saved.") % {"name": participant.staff.name}
            )
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, f"{participant.staff.name}: {message}")
    return redirect("workforce:training_detail", public_id=participant.training.public_id)


@requires("workforce.manage")
@require_POST
def participant_remove(request, pk):
    participant = selectors.participant_for(request.user, pk)
    services.remove_participant(request.user, participant)
    messages.success(request, _("The participant is removed."))
    return redirect("workforce:training_detail", public_id=participant.training.public_id)


@requires("workforce.view")
def staff_trainings(request, public_id):
    """A staff member's training history (also shown on their page)."""
    staff = selectors.staff_for(request.user, public_id)
    return render(
        request,
        "workforce/trainings/history.html",
        {"staff": staff, "rows": selectors.training_history(staff)},
    )


urlpatterns = [
    path("trainings/", training_list, name="training_list"),
    path("trainings/new/", training_create, name="training_create"),
    path("trainings/<uuid:public_id>/", training_detail, name="training_detail"),
    path("trainings/<uuid:public_id>/edit/", training_edit, name="training_edit"),
    path("participants/<int:pk>/result/", participant_result, name="participant_result"),
    path("participants/<int:pk>/remove/", participant_remove, name="participant_remove"),
    path("staff/<uuid:public_id>/trainings/", staff_trainings, name="staff_trainings"),
]
