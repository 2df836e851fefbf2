"""Django admin for the workforce: read-mostly views for national administrators.
Writes with business rules (eligibility, scores, decisions, places) go through the
pages and the API, which call :mod:`rehsos.workforce.services`; the admin shows
those fields read-only."""

from django.contrib import admin

from rehsos.workforce import models


class QualificationInline(admin.TabularInline):
    model = models.Qualification
    extra = 0


class CertificationInline(admin.TabularInline):
    model = models.Certification
    extra = 0


class CompetencyInline(admin.TabularInline):
    model = models.Competency
    extra = 0


@admin.register(models.StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("name", "role", "employment", "facility", "started_on", "left_on")
    list_filter = ("role", "employment")
    search_fields = ("name", "position", "facility__name", "facility__code")
    autocomplete_fields = ("facility",)
    raw_id_fields = ("user",)
    readonly_fields = ("province_code", "version", "public_id")
    inlines = (QualificationInline, CertificationInline, CompetencyInline)


class ParticipantInline(admin.TabularInline):
    model = models.TrainingParticipant
    extra = 0
    raw_id_fields = ("staff",)


@admin.register(models.Training)
class TrainingAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "provider", "facility", "starts_on", "ends_on", "hours")
    list_filter = ("kind",)
    search_fields = ("title", "provider")
    date_hierarchy = "starts_on"
    inlines = (ParticipantInline,)


@admin.register(models.InternshipCall)
class InternshipCallAdmin(admin.ModelAdmin):
    list_display = ("title", "partner", "country", "opens_on", "closes_on", "places", "status")
    list_filter = ("status", "country")
    search_fields = ("title",)
    readonly_fields = ("status", "eligibility", "scoring", "version", "public_id")


class ReentryInline(admin.TabularInline):
    model = models.ReentryAction
    extra = 0


class ReportInline(admin.StackedInline):
    model = models.InternshipReport
    extra = 0


@admin.register(models.Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("call", "staff", "eligible", "total", "decision", "submitted_at")
    list_filter = ("decision", "eligible")
    search_fields = ("staff__name", "call__title")
    raw_id_fields = ("staff", "call")
    readonly_fields = (
        "eligibility_result",
        "eligible",
        "scores",
        "total",
        "decision",
        "rationale",
        "decided_by",
        "decided_at",
        "submitted_by",
        "version",
        "public_id",
    )
    inlines = (ReportInline, ReentryInline)
