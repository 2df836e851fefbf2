"""Reads for the review queue: the pairs and merges a user may see.

A pair shows two persons side by side, so a user sees it only when both persons
are in their scope (a centre's head: both registered at the centre; a province's
officer: both living in the province; national roles: all). Pairs whose persons
were merged since, or erased, are not in the queue. Anything else answers 404,
the same for "does not exist" and "not yours".
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from rehsos.core.errors import NotFound
from rehsos.core.permissions import ScopeFields, scope_filter
from rehsos.registry.models import MatchPair, Merge


def _both_in_scope(user, left: str, right: str) -> Q | None:
    conditions = [
        scope_filter(
            user, ScopeFields(province=f"{side}__province_code", facility=f"{side}__facility")
        )
        for side in (left, right)
    ]
    conditions = [c for c in conditions if c is not None]
    if not conditions:
        return None
    combined = conditions[0]
    for condition in conditions[1:]:
        combined &= condition
    return combined


def pairs_visible_to(user, *, decision: str | None = MatchPair.Decision.PENDING):
    """The user's pairs (pending ones by default), most likely first."""
    pairs = MatchPair.objects.filter(
        left__merged_into__isnull=True,
        right__merged_into__isnull=True,
        left__erased_at__isnull=True,
        right__erased_at__isnull=True,
    )
    scope = _both_in_scope(user, "left", "right")
    if scope is not None:
        pairs = pairs.filter(scope)
    if decision:
        pairs = pairs.filter(decision=decision)
    return pairs.select_related("left", "right", "left__village", "right__village", "decided_by")


def pair_for(user, pair_id) -> MatchPair:
    pair = pairs_visible_to(user, decision=None).filter(pk=pair_id).first()
    if pair is None:
        raise NotFound(_("No such pair of records in your area of work."))
    return pair


def merges_visible_to(user):
    merges = Merge.objects.all()
    scope = _both_in_scope(user, "survivor", "merged")
    if scope is not None:
        merges = merges.filter(scope)
    return merges.select_related("survivor", "merged", "by", "undone_by")


def merge_for(user, merge_id) -> Merge:
    merge = merges_visible_to(user).filter(pk=merge_id).first()
    if merge is None:
        raise NotFound(_("No such merge in your area of work."))
    return merge


def counts(user) -> dict[str, int]:
    """How many pairs of each decision the user has (for the queue's tabs)."""
    out = dict.fromkeys(MatchPair.Decision.values, 0)
    for decision in out:
        out[decision] = pairs_visible_to(user, decision=decision).count()
    return out
