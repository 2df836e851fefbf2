"""Pages of the duplicate review: the queue, a pair side by side with the decision,
the merge (field by field), a merge's record with its undo, and starting a run."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rehsos.core.access import log_access
from rehsos.core.errors import DomainError
from rehsos.core.jobs import start_job
from rehsos.core.pagination import keyset_page
from rehsos.core.permissions import can, requires
from rehsos.registry.dedup import explain, queue
from rehsos.registry.models import MatchPair, Person
from rehsos.registry.services import merge as merge_services
from rehsos.registry.services.persons import masked_identifier

PAGE = 50
DEDUP_JOB = "registry.dedup"


def _display(person: Person, name: str) -> str:
    """A field of the merge choice, as a reviewer reads it (NIK and KK masked)."""
    if name == "other_names":
        return "; ".join(person.other_names)
    if name == "sex":
        return person.get_sex_display()
    if name == "birth_date":
        if not person.birth_date:
            return ""
        shown = person.birth_date.isoformat()
        if person.birth_date_precision != "exact":
            shown += f" ({person.get_birth_date_precision_display()})"
        return shown
    if name == "nik":
        return masked_identifier(person, "nik")
    if name == "kk_number":
        return masked_identifier(person, "kk")
    if name == "village":
        return f"{person.village.name} ({person.village_id})"
    if name in ("education", "marital_status", "religion"):
        return getattr(person, f"get_{name}_display")()
    if name == "functioning":
        answers = [getattr(person, column) for column in merge_services.CHOICES["functioning"]]
        if all(a is None for a in answers):
            return ""
        return "/".join("–" if a is None else str(a) for a in answers)
    if name == "photo":
        return _("photo on file") if person.photo else ""
    if name == "facility":
        return str(person.facility) if person.facility_id else ""
    return str(getattr(person, name) or "")


def field_rows(first: Person, second: Person) -> list[dict]:
    rows = []
    for name in merge_services.CHOICES:
        a, b = _display(first, name), _display(second, name)
        rows.append(
            {
                "name": name,
                "label": merge_services.LABELS[name],
                "left": a,
                "right": b,
                "same": a == b,
            }
        )
    return rows


@requires("persons.review_duplicates")
def queue_page(request):
    decision = request.GET.get("decision", MatchPair.Decision.PENDING)
    if decision not in MatchPair.Decision.values:
        decision = MatchPair.Decision.PENDING
    try:
        page = keyset_page(
            queue.pairs_visible_to(request.user, decision=decision),
            order=("probability", "id"),
            after=request.GET.get("after") or None,
            limit=PAGE,
            descending=True,
        )
    except DomainError:
        return redirect(f"{request.path}?decision={decision}")
    log_access(
        request,
        [person for pair in page.items for person in (pair.left, pair.right)],
        purpose="duplicate review",
    )
    rows = [
        {"pair": pair, "reasons": explain.describe(pair.explanation)[:3]} for pair in page.items
    ]
    return render(
        request,
        "registry/dedup/queue.html",
        {
            "rows": rows,
            "next": page.next_cursor,
            "decision": decision,
            "decisions": MatchPair.Decision.choices,
            "counts": queue.counts(request.user),
            "can_run": can(request.user, "persons.run_dedup"),
        },
    )


@requires("persons.review_duplicates")
def pair_page(request, pair_id: int):
    pair = queue.pair_for(request.user, pair_id)
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        try:
            merge_services.decide_pair(pair=pair, decision=decision, by=request.user)
        except DomainError as exc:
            messages.error(request, " ".join(str(m) for m in exc.fields.values()) or exc.message)
            return redirect("dedup:pair", pair_id=pair.pk)
        if decision == MatchPair.Decision.SAME:
            return redirect("dedup:merge", pair_id=pair.pk)
        messages.success(request, _("Decision recorded."))
        return redirect("dedup:queue")
    log_access(request, [pair.left, pair.right], purpose="duplicate review")
    return render(
        request,
        "registry/dedup/pair.html",
        {
            "pair": pair,
            "rows": field_rows(pair.left, pair.right),
            "reasons": explain.describe(pair.explanation),
        },
    )


def _merge_context(pair: MatchPair, survivor_side: str, error: str = "", chosen=None) -> dict:
    survivor, merged = (
        (pair.left, pair.right) if survivor_side == "left" else (pair.right, pair.left)
    )
    rows = field_rows(survivor, merged)
    for row in rows:
        default = "merged" if (not row["left"] and row["right"]) else "survivor"
        if row["name"] == "other_names":
            default = "both"
        row["choice"] = (chosen or {}).get(row["name"], default)
    return {
        "pair": pair,
        "survivor": survivor,
        "merged": merged,
        "survivor_side": survivor_side,
        "rows": rows,
        "error": error,
    }


@requires("persons.review_duplicates")
def merge_page(request, pair_id: int):
    pair = queue.pair_for(request.user, pair_id)
    side = request.POST.get("survivor_side") or request.GET.get("survivor", "left")
    side = side if side in ("left", "right") else "left"
    if request.method == "POST":
        chosen = {
            name: request.POST[f"choice_{name}"]
            for name in merge_services.CHOICES
            if request.POST.get(f"choice_{name}")
        }
        survivor, merged = (pair.left, pair.right) if side == "left" else (pair.right, pair.left)
        try:
            merge = merge_services.merge_persons(
                survivor=survivor,
                merged=merged,
                chosen=chosen,
                survivor_version=int(request.POST.get("survivor_version") or 0),
                merged_version=int(request.POST.get("merged_version") or 0),
                by=request.user,
            )
        except DomainError as exc:
            fresh = queue.pairs_visible_to(request.user, decision=None).filter(pk=pair.pk).first()
            pair = fresh or pair
            detail = " ".join(str(m) for m in exc.fields.values()) or str(exc.message)
            context = _merge_context(pair, side, error=detail, chosen=chosen)
            context["stale"] = exc.status == 409
            return render(request, "registry/dedup/merge.html", context, status=exc.status)
        messages.success(request, _("The records are merged."))
        return redirect("dedup:merge_detail", merge_id=merge.pk)
    log_access(request, [pair.left, pair.right], purpose="merge")
    return render(request, "registry/dedup/merge.html", _merge_context(pair, side))


def _moved_summary(merge) -> list[dict]:
    counts: dict[tuple[str, bool], int] = {}
    for entry in merge.moved:
        key = (entry["model"], bool(entry.get("kept")))
        counts[key] = counts.get(key, 0) + 1
    return [
        {"model": model, "kept": kept, "count": count}
        for (model, kept), count in sorted(counts.items())
    ]


@requires("persons.review_duplicates")
def merge_detail(request, merge_id: int):
    merge = queue.merge_for(request.user, merge_id)
    log_access(request, [merge.survivor, merge.merged], purpose="merge record")
    chosen = [
        {"label": merge_services.LABELS.get(name, name), "source": choice["from"]}
        for name, choice in merge.chosen.items()
    ]
    return render(
        request,
        "registry/dedup/merge_detail.html",
        {"merge": merge, "chosen": chosen, "moved": _moved_summary(merge)},
    )


@require_POST
@requires("persons.review_duplicates")
def undo_merge(request, merge_id: int):
    merge = queue.merge_for(request.user, merge_id)
    try:
        merge_services.unmerge(merge=merge, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The merge is undone; both records are as they were."))
    return redirect("dedup:merge_detail", merge_id=merge.pk)


@require_POST
@requires("persons.run_dedup")
def start_run(request):
    job = start_job(DEDUP_JOB, user=request.user, title=_("Looking for duplicate persons"))
    messages.info(request, _("The duplicate check has started; its progress is shown here."))
    return redirect("core:job", job_id=job.public_id)
