"""Every write to a centre's record: create, edit, rename, merge, capacity by cluster,
rooms, contacts and photos.

Who may do what:

* ``facilities.create`` (national administrators) creates centres, merges them, and
  changes what the ministry decides about a centre: its kind, owner, the national
  model flag and whether it is active.
* ``facilities.manage`` changes a centre in the user's scope (their own centre, the
  centres of their province, or any centre for a national role): its profile,
  rename, capacity, rooms, contacts and photos. A centre outside the scope is
  refused with ``PermissionDenied`` (the centre itself is no secret: everyone
  signed in reads the list and the profile).

Every edit of the record (profile, rename, merge, capacity, rooms, contacts) carries
the ``version`` the user read; a stale one raises ``Conflict`` and changes nothing.
A merged centre is history: it can no longer be changed.

Bad input raises ``ValidationFailed`` with one message per field, under the field's
name (``places.ANAK``, ``contacts.2.email`` for items of a list).
"""

import datetime

from auditlog.context import set_actor
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from rehsos.core.errors import Conflict, PermissionDenied, ValidationFailed
from rehsos.core.permissions import can, require, scoped
from rehsos.core.roles import ScopeLevel
from rehsos.core.uploads import IMAGES, check_upload, store
from rehsos.facilities import validation as check
from rehsos.facilities.models import (
    Cluster,
    Facility,
    FacilityCapacity,
    FacilityContact,
    FacilityName,
    FacilityPhoto,
    FacilityRoom,
    RoomKind,
    Setting,
)
from rehsos.regions.models import Region

MAX_PLACES = 100_000
MAX_ROOMS = 10_000
MAX_CONTACTS = 30
MAX_PHOTOS = 100
PHOTO_PREFIX = "facilities/photos"

# The profile a centre's own staff keep up; the rest is decided nationally.
PROFILE_FIELDS = (
    "short_name",
    "clusters",
    "settings_offered",
    "region",
    "address",
    "latitude",
    "longitude",
    "phone",
    "email",
)
NATIONAL_FIELDS = ("kind", "owner", "owner_region", "owner_name", "is_model", "is_active")
EDITABLE_FIELDS = PROFILE_FIELDS + NATIONAL_FIELDS
NAME_REASONS = (FacilityName.Reason.RENAMED, FacilityName.Reason.RESTRUCTURED)


# --- permission -----------------------------------------------------------------------


def in_scope(user, facility: Facility) -> bool:
    return scoped(user, Facility.objects.filter(pk=facility.pk)).exists()


def may_manage(user, facility: Facility) -> bool:
    """May the user change this centre's record (``facilities.manage`` in scope)?"""
    return can(user, "facilities.manage") and in_scope(user, facility)


def _require_manage(user, facility: Facility) -> None:
    require(user, "facilities.manage")
    if not in_scope(user, facility):
        raise PermissionDenied(
            _("You can change only the centres in your scope (%(scope)s).")
            % {"scope": user.scope_label}
        )


def _check_version(facility: Facility, version) -> None:
    if version is None or facility.version != version:
        raise Conflict(
            _("Someone else changed this centre after you opened it."),
            extra={"current_version": facility.version, "your_version": version},
        )


def _check_not_merged(facility: Facility) -> None:
    if facility.merged_into_id:
        raise Conflict(
            _("This centre was merged into %(into)s; its record is kept as history.")
            % {"into": facility.merged_into.name},
            code="merged",
        )


def _locked(facility: Facility) -> Facility:
    return (
        Facility.objects.select_for_update(of=("self",))
        .select_related("merged_into")
        .get(pk=facility.pk)
    )


def _current_name(facility: Facility) -> FacilityName | None:
    return (
        FacilityName.objects.filter(facility=facility, valid_to__isnull=True)
        .order_by("-valid_from", "-pk")
        .first()
    )


def _close_name(facility: Facility, last_day: datetime.date) -> FacilityName:
    """End the centre's current name on ``last_day`` (recording it first when the centre
    has no history yet); return the closed row."""
    current = _current_name(facility)
    if current is None:
        return FacilityName.objects.create(
            facility=facility,
            name=facility.name,
            valid_to=last_day,
            reason=FacilityName.Reason.FOUNDED,
        )
    FacilityName.objects.filter(facility=facility, valid_to__isnull=True).update(valid_to=last_day)
    current.valid_to = last_day
    return current


def _starts_after_current(facility: Facility, on, errors: dict, field: str = "on") -> None:
    current = _current_name(facility)
    if on and current and current.valid_from and on <= current.valid_from:
        errors[field] = _("The date must be after %(day)s, when the current name took effect.") % {
            "day": current.valid_from.isoformat()
        }


def _save(facility: Facility, fields) -> None:
    facility.version += 1
    facility.save(update_fields=[*fields, "province_code", "version", "updated_at"])


# --- create and edit ------------------------------------------------------------------


def create_facility(user, *, data: dict) -> Facility:
    """A new centre (``facilities.create``). ``data`` holds ``code``, ``name``, the
    fields of :data:`EDITABLE_FIELDS`, and optionally ``founded_on`` and
    ``legal_basis`` for the first entry of the name history."""
    require(user, "facilities.create")
    errors: dict = {}
    code = str(data.get("code") or "").strip().lower()
    if code in check.RESERVED_CODES:
        errors["code"] = _("%(code)s is reserved; choose another code.") % {"code": code}
    elif not check.CODE_RE.match(code) or len(code) > 40:
        errors["code"] = _(
            "Use lowercase letters, digits and single hyphens (at most 40), e.g. brsampk-handayani."
        )
    elif Facility.objects.filter(code=code).exists():
        errors["code"] = _("A centre with the code %(code)s exists already.") % {"code": code}
    name = check.text(data.get("name"), 200)
    if problem := check.too_long(data.get("name"), 200) or check.name_problem(name):
        errors["name"] = problem
    values = {
        "short_name": "",
        "owner_region": None,
        "owner_name": "",
        "address": "",
        "latitude": None,
        "longitude": None,
        "phone": "",
        "email": "",
        "is_model": False,
        "is_active": True,
        "settings_offered": [],
        **{k: v for k, v in data.items() if k in EDITABLE_FIELDS},
    }
    for required in ("kind", "owner", "clusters", "region", "settings_offered"):
        values.setdefault(required, None)
    values = {**values, **check.clean_fields(values, EDITABLE_FIELDS, errors)}
    check.check_together(values, errors)
    founded_on = check.date_value(data.get("founded_on"), "founded_on", errors, required=False)
    legal_basis = check.text(data.get("legal_basis"), 200)
    if check.too_long(data.get("legal_basis"), 200):
        errors["legal_basis"] = check.too_long(data.get("legal_basis"), 200)
    if errors:
        raise ValidationFailed(fields=errors)
    try:
        with transaction.atomic(), set_actor(user):
            facility = Facility.objects.create(code=code, name=name, **values)
            FacilityName.objects.create(
                facility=facility,
                name=name,
                valid_from=founded_on,
                reason=FacilityName.Reason.FOUNDED,
                legal_basis=legal_basis,
            )
    except IntegrityError as exc:  # the same code created by someone else meanwhile
        raise ValidationFailed(
            fields={"code": _("A centre with the code %(code)s exists already.") % {"code": code}}
        ) from exc
    return facility


def _as_stored(facility: Facility, name: str):
    if name in ("region", "owner_region"):
        return getattr(facility, f"{name}_id")
    return getattr(facility, name)


def _value_key(value):
    return value.code if isinstance(value, Region) else value


def update_facility(user, facility: Facility, *, changes: dict, version: int) -> Facility:
    """Change the fields given in ``changes`` (any of :data:`EDITABLE_FIELDS`; a field
    left out stays as it is). The profile needs ``facilities.manage`` in scope; the
    kind, owner, model flag and active flag need ``facilities.create``. A cluster or
    the residential setting with capacity recorded cannot be dropped."""
    _require_manage(user, facility)
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationFailed(
            fields={name: _("This field cannot be changed here.") for name in unknown}
        )
    with transaction.atomic(), set_actor(user):
        facility = _locked(facility)
        _check_version(facility, version)
        _check_not_merged(facility)
        errors: dict = {}
        clean = check.clean_fields(changes, EDITABLE_FIELDS, errors)
        values = {name: _as_stored(facility, name) for name in EDITABLE_FIELDS}
        values["owner_region"] = facility.owner_region_id or ""
        values.update({k: v for k, v in clean.items() if k not in errors})
        check.check_together(values, errors)
        changed = [
            name
            for name in clean
            if name not in errors
            and _value_key(values[name]) != _value_key(_as_stored(facility, name))
        ]
        national = [name for name in changed if name in NATIONAL_FIELDS]
        if national and not can(user, "facilities.create"):
            raise PermissionDenied(
                fields={
                    name: _("Only a national administrator can change this.") for name in national
                }
            )
        region = values.get("region")
        if (
            "region" in changed
            and user.scope_level == ScopeLevel.PROVINCE
            and isinstance(region, Region)
            and region.province_code != user.province_code
        ):
            errors["region"] = _("Choose a village in your province.")
        _check_capacity_still_fits(facility, values, changed, errors)
        if errors:
            raise ValidationFailed(fields=errors)
        if not changed:
            return facility
        for name in changed:
            setattr(facility, name, values[name])
        _save(facility, changed)
    return facility


def _check_capacity_still_fits(facility: Facility, values: dict, changed, errors: dict) -> None:
    if "clusters" in changed:
        held = set(
            FacilityCapacity.objects.filter(facility=facility).values_list("cluster", flat=True)
        )
        dropped = sorted(held - set(values["clusters"]))
        if dropped:
            errors["clusters"] = _(
                "Capacity is recorded for %(clusters)s: remove it before the cluster."
            ) % {"clusters": ", ".join(dropped)}
    if (
        "settings_offered" in changed
        and Setting.RESIDENTIAL not in values["settings_offered"]
        and (
            facility.capacity is not None
            or FacilityCapacity.objects.filter(facility=facility).exists()
        )
    ):
        errors["settings_offered"] = _(
            "The centre has residential capacity: clear it before dropping the residential setting."
        )


# --- names: rename and merge ------------------------------------------------------------


def rename_facility(
    user,
    facility: Facility,
    *,
    name: str,
    on,
    legal_basis: str,
    reason: str = FacilityName.Reason.RENAMED,
    short_name: str | None = None,
    version: int,
) -> Facility:
    """Give the centre a new name from ``on``: its current name ends the day before,
    the new one starts with its reason (renamed or restructured) and legal basis."""
    _require_manage(user, facility)
    with transaction.atomic(), set_actor(user):
        facility = _locked(facility)
        _check_version(facility, version)
        _check_not_merged(facility)
        errors: dict = {}
        new_name = check.text(name, 200)
        if problem := check.too_long(name, 200) or check.name_problem(new_name):
            errors["name"] = problem
        elif new_name == facility.name:
            errors["name"] = _("This is the current name already.")
        on = check.date_value(on, "on", errors)
        if reason not in NAME_REASONS:
            errors["reason"] = _("Choose renamed or restructured.")
        basis = check.legal_basis(legal_basis, errors)
        if short_name is not None and (problem := check.too_long(short_name, 60)):
            errors["short_name"] = problem
        if "on" not in errors:
            _starts_after_current(facility, on, errors)
        if errors:
            raise ValidationFailed(fields=errors)
        _close_name(facility, on - datetime.timedelta(days=1))
        FacilityName.objects.create(
            facility=facility, name=new_name, valid_from=on, reason=reason, legal_basis=basis
        )
        facility.name = new_name
        fields = ["name"]
        if short_name is not None:
            facility.short_name = check.text(short_name, 60)
            fields.append("short_name")
        _save(facility, fields)
    return facility


def merge_facility(
    user, facility: Facility, *, into: Facility, on, legal_basis: str, version: int
) -> Facility:
    """Merge ``facility`` into ``into`` from ``on`` (``facilities.create``): the merged
    centre becomes inactive with ``merged_into`` set and its name ends the day before;
    the absorbing centre's history gains that name with the reason *merged*. Cases,
    stays and users pointing at the merged centre are not moved here."""
    require(user, "facilities.create")
    with transaction.atomic(), set_actor(user):
        # Fixed lock order (by id), so two merges at once cannot deadlock.
        first, second = sorted([facility.pk, into.pk])
        locked = {
            f.pk: f
            for f in Facility.objects.select_for_update(of=("self",))
            .select_related("merged_into")
            .filter(pk__in=[first, second])
            .order_by("pk")
        }
        facility, into = locked[facility.pk], locked[into.pk]
        _check_version(facility, version)
        _check_not_merged(facility)
        errors: dict = {}
        if into.pk == facility.pk:
            errors["into"] = _("Choose another centre than the one being merged.")
        elif into.merged_into_id or not into.is_active:
            errors["into"] = _("%(name)s is not active; choose an active centre.") % {
                "name": into.name
            }
        if not facility.is_active:
            errors["facility"] = _("This centre is not active.")
        on = check.date_value(on, "on", errors)
        basis = check.legal_basis(legal_basis, errors)
        if "on" not in errors:
            _starts_after_current(facility, on, errors)
        if errors:
            raise ValidationFailed(fields=errors)
        last_day = on - datetime.timedelta(days=1)
        closed = _close_name(facility, last_day)
        FacilityName.objects.create(
            facility=into,
            name=facility.name,
            valid_from=closed.valid_from,
            valid_to=last_day,
            reason=FacilityName.Reason.MERGED,
            legal_basis=basis,
        )
        facility.is_active = False
        facility.merged_into = into
        _save(facility, ["is_active", "merged_into"])
        _save(into, [])
    return facility


# --- capacity, rooms, contacts ------------------------------------------------------------


def set_capacity(
    user,
    facility: Facility,
    *,
    places: dict,
    total: int | None = None,
    version: int,
) -> Facility:
    """Replace the residential places by cluster (``{"ANAK": 40, "PD": 20}``; a cluster
    left out or given ``None`` has no figure of its own). With per-cluster figures
    ``Facility.capacity`` becomes their sum (a ``total`` given must equal it); without
    them the total is ``total`` (``None``: not known)."""
    _require_manage(user, facility)
    with transaction.atomic(), set_actor(user):
        facility = _locked(facility)
        _check_version(facility, version)
        _check_not_merged(facility)
        errors: dict = {}
        figures: dict[str, int] = {}
        served = set(facility.clusters or [])
        for cluster, value in (places or {}).items():
            field = f"places.{cluster}"
            if cluster not in Cluster.values:
                errors[field] = _("%(cluster)s is not a cluster; choose from %(known)s.") % {
                    "cluster": cluster,
                    "known": ", ".join(Cluster.values),
                }
                continue
            number, problem = check.whole(value, low=0, high=MAX_PLACES)
            if problem:
                errors[field] = problem
            elif number is not None and cluster not in served:
                errors[field] = _(
                    "The centre does not serve %(cluster)s: add the cluster to its profile first."
                ) % {"cluster": Cluster(cluster).label}
            elif number is not None:
                figures[cluster] = number
        whole, problem = check.whole(total, low=0, high=MAX_PLACES)
        if problem:
            errors["total"] = problem
        elif figures and whole is not None and whole != sum(figures.values()):
            errors["total"] = _(
                "The total is the sum of the clusters' places (%(sum)s); leave it empty."
            ) % {"sum": sum(figures.values())}
        capacity = sum(figures.values()) if figures else whole
        if (
            capacity is not None
            and not errors
            and Setting.RESIDENTIAL not in (facility.settings_offered or [])
        ):
            errors["places" if figures else "total"] = _(
                "The centre does not offer the residential setting: add it to its profile first."
            )
        if errors:
            raise ValidationFailed(fields=errors)
        FacilityCapacity.objects.filter(facility=facility).exclude(cluster__in=figures).delete()
        existing = {c.cluster: c for c in FacilityCapacity.objects.filter(facility=facility)}
        for cluster, number in figures.items():
            row = existing.get(cluster)
            if row is None:
                FacilityCapacity.objects.create(facility=facility, cluster=cluster, places=number)
            elif row.places != number:
                row.places = number
                row.save(update_fields=["places"])
        facility.capacity = capacity
        _save(facility, ["capacity"])
    return facility


def set_rooms(user, facility: Facility, *, rooms: dict, version: int) -> Facility:
    """Replace the count of rooms by kind (``{"bedroom": 12}``; 0 or ``None`` removes
    the kind)."""
    _require_manage(user, facility)
    with transaction.atomic(), set_actor(user):
        facility = _locked(facility)
        _check_version(facility, version)
        _check_not_merged(facility)
        errors: dict = {}
        counts: dict[str, int] = {}
        for kind, value in (rooms or {}).items():
            field = f"rooms.{kind}"
            if kind not in RoomKind.values:
                errors[field] = _("%(kind)s is not a kind of room; choose from %(known)s.") % {
                    "kind": kind,
                    "known": ", ".join(RoomKind.values),
                }
                continue
            number, problem = check.whole(value, low=0, high=MAX_ROOMS)
            if problem:
                errors[field] = problem
            elif number:
                counts[kind] = number
        if errors:
            raise ValidationFailed(fields=errors)
        FacilityRoom.objects.filter(facility=facility).exclude(kind__in=counts).delete()
        existing = {r.kind: r for r in FacilityRoom.objects.filter(facility=facility)}
        for kind, number in counts.items():
            row = existing.get(kind)
            if row is None:
                FacilityRoom.objects.create(facility=facility, kind=kind, count=number)
            elif row.count != number:
                row.count = number
                row.save(update_fields=["count"])
        _save(facility, [])
    return facility


def set_contacts(user, facility: Facility, *, contacts: list[dict], version: int) -> Facility:
    """Replace the centre's contacts: each with a position and a name, and a phone
    and an e-mail address where known."""
    _require_manage(user, facility)
    with transaction.atomic(), set_actor(user):
        facility = _locked(facility)
        _check_version(facility, version)
        _check_not_merged(facility)
        errors: dict = {}
        rows = []
        if len(contacts or []) > MAX_CONTACTS:
            raise ValidationFailed(
                fields={"contacts": _("Give at most %(limit)s contacts.") % {"limit": MAX_CONTACTS}}
            )
        for i, contact in enumerate(contacts or []):
            prefix = f"contacts.{i}."
            position = check.text(contact.get("position"), 120)
            name = check.text(contact.get("name"), 200)
            phone = check.text(contact.get("phone"), 40)
            email = str(contact.get("email") or "").strip().lower()
            for field, value, limit in (
                ("position", contact.get("position"), 120),
                ("name", contact.get("name"), 200),
                ("phone", contact.get("phone"), 40),
                ("email", contact.get("email"), 254),
            ):
                if problem := check.too_long(value, limit):
                    errors[prefix + field] = problem
            if not position:
                errors.setdefault(prefix + "position", _("Give the position, e.g. Head of centre."))
            if not name:
                errors.setdefault(prefix + "name", _("Give the person's name."))
            if problem := check.phone_problem(phone):
                errors.setdefault(prefix + "phone", problem)
            if problem := check.email_problem(email):
                errors.setdefault(prefix + "email", problem)
            rows.append(
                FacilityContact(
                    facility=facility, position=position, name=name, phone=phone, email=email
                )
            )
        if errors:
            raise ValidationFailed(fields=errors)
        FacilityContact.objects.filter(facility=facility).delete()
        for row in rows:  # one by one, so the audit log records each contact
            row.save()
        _save(facility, [])
    return facility


# --- photos -------------------------------------------------------------------------------


def add_photo(user, facility: Facility, *, upload, caption: str = "", taken_on=None):
    """Check (JPEG or PNG by content, within the size limit) and store a photo of the
    centre under ``facilities/photos``."""
    _require_manage(user, facility)
    _check_not_merged(facility)
    errors: dict = {}
    if problem := check.too_long(caption, 200):
        errors["caption"] = problem
    taken_on = check.date_value(taken_on, "taken_on", errors, required=False)
    if FacilityPhoto.objects.filter(facility=facility).count() >= MAX_PHOTOS:
        errors["file"] = _("The centre has %(limit)s photos, the most it may keep: delete one.") % {
            "limit": MAX_PHOTOS
        }
    try:
        checked = check_upload(upload, field="file", allowed=IMAGES)
    except ValidationFailed as exc:
        errors.update({k: v for k, v in exc.fields.items() if k not in errors})
    if errors:
        raise ValidationFailed(fields=errors)
    stored = store(checked, PHOTO_PREFIX)
    try:
        with transaction.atomic(), set_actor(user):
            photo = FacilityPhoto.objects.create(
                facility=facility,
                file=stored,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                caption=check.text(caption, 200) or checked.original_name,
                taken_on=taken_on,
                uploaded_by=user,
            )
    except BaseException:
        default_storage.delete(stored)
        raise
    return photo


def delete_photo(user, photo: FacilityPhoto) -> None:
    _require_manage(user, photo.facility)
    name = photo.file.name
    with transaction.atomic(), set_actor(user):
        photo.delete()
        transaction.on_commit(lambda: default_storage.delete(name))


def open_photo(photo: FacilityPhoto):
    """The stored photo, opened for reading."""
    return default_storage.open(photo.file.name, "rb")
