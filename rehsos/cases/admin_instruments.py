"""Admin for assessment instruments: add or version an instrument without code.

A definition is uploaded (JSON or YAML) or edited as JSON, validated with the errors
listed by path; only a draft can be changed; publishing and retiring go through the
same services as the instruments pages (``rehsos.cases.instruments.versions``)."""

import json

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from rehsos.cases.instruments import versions as instrument_versions
from rehsos.cases.instruments.schema import DefinitionError, validate_definition
from rehsos.cases.models import Instrument, InstrumentVersion
from rehsos.core.errors import ValidationFailed


class VersionInline(admin.TabularInline):
    model = InstrumentVersion
    fields = ("version", "status", "published_at", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ("code", "name_id", "name_en", "is_builtin")
    search_fields = ("code", "name_id", "name_en")
    readonly_fields = ("is_builtin",)
    inlines = [VersionInline]


class VersionForm(forms.ModelForm):
    upload = forms.FileField(
        label=_("Definition file (JSON or YAML)"),
        required=False,
        help_text=_("Replaces the definition below when given."),
    )

    class Meta:
        model = InstrumentVersion
        fields = ("instrument", "definition")

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        data = cleaned.get("definition")
        if upload is not None:
            try:
                data = instrument_versions.parse_definition(upload.read(), upload.name)
            except ValidationFailed as exc:
                raise forms.ValidationError([str(m) for m in exc.fields.values()]) from None
            cleaned["definition"] = data
        try:
            definition = validate_definition(data)
        except DefinitionError as exc:
            self.add_error("definition", exc.as_lines())
            return cleaned
        instrument = cleaned.get("instrument")
        if instrument is not None and definition.code != instrument.code:
            self.add_error(
                "definition",
                _("The code in the definition must be the instrument's code (%(code)s).")
                % {"code": instrument.code},
            )
        return cleaned


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(admin.ModelAdmin):
    form = VersionForm
    list_display = ("instrument", "version", "status", "published_at")
    list_filter = ("status", "instrument")
    actions = ["publish_versions", "retire_versions"]

    def get_fields(self, request, obj=None):
        if obj is None or obj.status == InstrumentVersion.Status.DRAFT:
            return ("instrument", "upload", "definition")
        return ("instrument", "version", "status", "published_at", "definition_json")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if obj.status == InstrumentVersion.Status.DRAFT:
            return ("instrument",)
        # A published or retired version never changes.
        return ("instrument", "version", "status", "published_at", "definition_json")

    @admin.display(description=_("definition"))
    def definition_json(self, obj):
        from django.utils.html import format_html

        return format_html(
            "<pre>{}</pre>", json.dumps(obj.definition, ensure_ascii=False, indent=2)
        )

    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.status == InstrumentVersion.Status.DRAFT

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data["definition"]
        try:
            if change:
                saved = instrument_versions.save_draft(request.user, obj.instrument, data)
            else:
                saved = instrument_versions.save_draft(
                    request.user, form.cleaned_data["instrument"], data
                )
        except ValidationFailed as exc:
            messages.error(request, "; ".join(str(m) for m in exc.fields.values()))
            return
        obj.pk, obj.version = saved.pk, saved.version

    @admin.action(description=_("Publish the selected drafts"))
    def publish_versions(self, request, queryset):
        for version in queryset:
            try:
                instrument_versions.publish(request.user, version)
            except ValidationFailed as exc:
                messages.error(
                    request, f"{version}: " + "; ".join(str(m) for m in exc.fields.values())
                )
            else:
                messages.success(request, _("%(version)s is published.") % {"version": version})

    @admin.action(description=_("Retire the selected published versions"))
    def retire_versions(self, request, queryset):
        for version in queryset:
            try:
                instrument_versions.retire(request.user, version)
            except ValidationFailed as exc:
                messages.error(
                    request, f"{version}: " + "; ".join(str(m) for m in exc.fields.values())
                )
            else:
                messages.success(request, _("%(version)s is retired.") % {"version": version})
