"""Admin for reference data: PPKS types, ATENSI components, stage lists.

Regulations change by new rows with dates (``effective_from`` / ``effective_to``), not
by editing the old ones. A stage's requirements must name rules of
:mod:`rehsos.cases.services.stage_rules` and its movers must be roles: both are checked
here, so a typo never reaches a case."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rehsos.cases.models import PpksType, ServiceComponent, Stage, StageSet
from rehsos.cases.services.stage_rules import RULES
from rehsos.core.roles import Role


@admin.register(PpksType)
class PpksTypeAdmin(admin.ModelAdmin):
    list_display = ("number", "code", "name_id", "name_en", "cluster", "effective_from")
    list_filter = ("cluster",)
    search_fields = ("code", "name_id", "name_en")
    ordering = ("number", "effective_from")


@admin.register(ServiceComponent)
class ServiceComponentAdmin(admin.ModelAdmin):
    list_display = ("number", "code", "name_id", "name_en", "effective_from", "effective_to")
    search_fields = ("code", "name_id", "name_en")
    ordering = ("number", "effective_from")


class StageForm(forms.ModelForm):
    class Meta:
        model = Stage
        fields = (
            "order",
            "code",
            "name_id",
            "name_en",
            "requirements",
            "movers",
            "is_closing",
            "is_aftercare",
            "target_days",
        )

    def clean_requirements(self):
        value = self.cleaned_data.get("requirements") or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise forms.ValidationError(_('Give a list of rule names, e.g. ["plan_approved"].'))
        unknown = [v for v in value if v not in RULES]
        if unknown:
            raise forms.ValidationError(
                _("Unknown rules: %(unknown)s. Known: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(sorted(RULES))}
            )
        return value

    def clean_movers(self):
        value = self.cleaned_data.get("movers") or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise forms.ValidationError(_('Give a list of roles, e.g. ["facility_head"].'))
        unknown = [v for v in value if v not in Role.values]
        if unknown:
            raise forms.ValidationError(
                _("Unknown roles: %(unknown)s. Known: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(Role.values)}
            )
        return value


class StageInline(admin.TabularInline):
    model = Stage
    form = StageForm
    extra = 0
    ordering = ("order",)


@admin.register(StageSet)
class StageSetAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "version", "is_default", "effective_from", "effective_to")
    list_filter = ("is_default",)
    inlines = [StageInline]
