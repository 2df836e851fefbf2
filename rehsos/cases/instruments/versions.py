"""Administering instruments without code: add one from an uploaded definition,
keep a draft, publish it as a new version, retire it.

A published version never changes (assessments point at it); a change is a new
draft, published as the next version, which retires the one before. Retired
versions are kept: their assessments stay readable and editable."""

import json

import yaml
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rehsos.cases.instruments.schema import Definition, DefinitionError, validate_definition
from rehsos.cases.models import Instrument, InstrumentVersion
from rehsos.core.errors import NotFound, ValidationFailed
from rehsos.core.permissions import require

MAX_DEFINITION_BYTES = 1_000_000
ACTION = "cases.manage_instruments"


def parse_definition(content: bytes | str, filename: str = "") -> dict:
    """The data of a JSON or YAML definition file, or ValidationFailed naming the problem."""
    if isinstance(content, bytes):
        if len(content) > MAX_DEFINITION_BYTES:
            raise ValidationFailed(
                fields={
                    "definition": _("The file is larger than 1 MB; a definition is much smaller.")
                }
            )
        try:
            content = content.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed(
                fields={"definition": _("The file is not UTF-8 text.")}
            ) from None
    name = filename.lower()
    try:
        if name.endswith((".yaml", ".yml")):
            data = yaml.safe_load(content)
        elif name.endswith(".json") or content.lstrip().startswith(("{", "[")):
            data = json.loads(content)
        else:
            data = yaml.safe_load(content)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            fields={
                "definition": _("Not valid JSON (line %(line)s, column %(col)s): %(msg)s")
                % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
            }
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ValidationFailed(
            fields={"definition": _("Not valid YAML%(where)s.") % {"where": where}}
        ) from None
    return data


def checked(data) -> Definition:
    """The definition, or ValidationFailed with one field per problem (definition.<path>)."""
    try:
        return validate_definition(data)
    except DefinitionError as exc:
        raise ValidationFailed(
            _("The definition is not valid: %(count)s problem(s).") % {"count": len(exc.errors)},
            fields={
                (f"definition.{path}" if path else "definition"): message
                for path, message in exc.errors
            },
        ) from None


@transaction.atomic
def add_instrument(user, data) -> InstrumentVersion:
    """A new instrument with its definition as draft version 1."""
    require(user, ACTION)
    definition = checked(data)
    if Instrument.objects.filter(code=definition.code).exists():
        raise ValidationFailed(
            fields={
                "definition.code": _(
                    "An instrument with the code %(code)s exists: upload a new version on its page."
                )
                % {"code": definition.code}
            }
        )
    try:
        with transaction.atomic():
            instrument = Instrument.objects.create(
                code=definition.code,
                name_id=definition.title.id[:200],
                name_en=definition.title.en[:200],
                clusters=list(definition.clusters),
            )
    except IntegrityError:
        raise ValidationFailed(
            fields={"definition.code": _("An instrument with this code exists.")}
        ) from None
    return InstrumentVersion.objects.create(
        instrument=instrument, version=1, definition=data, created_by=user
    )


@transaction.atomic
def save_draft(user, instrument: Instrument, data) -> InstrumentVersion:
    """Replace the instrument's draft with this definition, or start a draft as the
    next version."""
    require(user, ACTION)
    definition = checked(data)
    if definition.code != instrument.code:
        raise ValidationFailed(
            fields={
                "definition.code": _("The code must stay %(code)s for this instrument.")
                % {"code": instrument.code}
            }
        )
    instrument = Instrument.objects.select_for_update().get(pk=instrument.pk)
    draft = instrument.versions.filter(status=InstrumentVersion.Status.DRAFT).first()
    if draft is not None:
        draft.definition = data
        draft.created_by = user
        draft.save(update_fields=["definition", "created_by"])
        return draft
    number = (
        instrument.versions.order_by("-version").values_list("version", flat=True).first() or 0
    ) + 1
    return InstrumentVersion.objects.create(
        instrument=instrument, version=number, definition=data, created_by=user
    )


@transaction.atomic
def publish(user, version: InstrumentVersion) -> InstrumentVersion:
    """Publish a draft: it becomes the version new assessments use; the published
    one before it is retired."""
    require(user, ACTION)
    version = InstrumentVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != InstrumentVersion.Status.DRAFT:
        raise ValidationFailed(
            fields={
                "status": _("Only a draft can be published; this version is %(status)s.")
                % {"status": version.get_status_display()}
            }
        )
    definition = checked(version.definition)
    InstrumentVersion.objects.filter(
        instrument_id=version.instrument_id, status=InstrumentVersion.Status.PUBLISHED
    ).update(status=InstrumentVersion.Status.RETIRED)
    version.status = InstrumentVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at"])
    Instrument.objects.filter(pk=version.instrument_id).update(
        name_id=definition.title.id[:200],
        name_en=definition.title.en[:200],
        clusters=list(definition.clusters),
    )
    return version


@transaction.atomic
def retire(user, version: InstrumentVersion) -> InstrumentVersion:
    """Take a published version out of use; its assessments stay readable."""
    require(user, ACTION)
    version = InstrumentVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != InstrumentVersion.Status.PUBLISHED:
        raise ValidationFailed(fields={"status": _("Only a published version can be retired.")})
    version.status = InstrumentVersion.Status.RETIRED
    version.save(update_fields=["status"])
    return version


@transaction.atomic
def discard_draft(user, version: InstrumentVersion) -> None:
    require(user, ACTION)
    if version.status != InstrumentVersion.Status.DRAFT:
        raise ValidationFailed(fields={"status": _("Only a draft can be discarded.")})
    instrument = version.instrument
    version.delete()
    if not instrument.versions.exists():
        instrument.delete()


def get_version(code: str, number: int) -> InstrumentVersion:
    found = (
        InstrumentVersion.objects.select_related("instrument")
        .filter(instrument__code=code, version=number)
        .first()
    )
    if found is None:
        raise NotFound(_("No such instrument version."))
    return found
