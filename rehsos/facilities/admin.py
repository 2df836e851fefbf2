"""Django admin for centres (staff only; the centre pages are where centres are kept).

Edits here bump the row version, so a page opened before them gets a conflict instead
of overwriting them, and keep ``Facility.capacity`` the sum of the per-cluster places.
Photos are added on the centre's page, where the upload is checked; here they are
read-only."""

from django.contrib import admin
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from rehsos.facilities.models import (
    Facility,
    FacilityCapacity,
    FacilityContact,
    FacilityName,
    FacilityPhoto,
    FacilityRoom,
)


class NameInline(admin.TabularInline):
    model = FacilityName
    fk_name = "facility"
    extra = 0
    fields = ("name", "valid_from", "valid_to", "reason", "legal_basis")


class CapacityInline(admin.TabularInline):
    model = FacilityCapacity
    extra = 0


class RoomInline(admin.TabularInline):
    model = FacilityRoom
    extra = 0


class ContactInline(admin.TabularInline):
    model = FacilityContact
    extra = 0


class PhotoInline(admin.TabularInline):
    model = FacilityPhoto
    extra = 0
    fields = ("caption", "taken_on", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "owner", "province_code", "capacity", "is_model")
    list_filter = ("kind", "owner", "is_model", "is_active", "province_code")
    search_fields = ("code", "name", "short_name", "names__name")
    raw_id_fields = ("region", "owner_region", "merged_into")
    readonly_fields = ("public_id", "province_code", "version", "created_at", "updated_at")
    inlines = (NameInline, CapacityInline, RoomInline, ContactInline, PhotoInline)
    fieldsets = (
        (None, {"fields": ("code", "name", "short_name", "kind", "is_model", "is_active")}),
        (_("Owner"), {"fields": ("owner", "owner_region", "owner_name")}),
        (_("Services"), {"fields": ("clusters", "settings_offered", "capacity")}),
        (
            _("Location and contact"),
            {
                "fields": (
                    "region",
                    "province_code",
                    "address",
                    "latitude",
                    "longitude",
                    "phone",
                    "email",
                )
            },
        ),
        (
            _("History"),
            {"fields": ("merged_into", "public_id", "version", "created_at", "updated_at")},
        ),
    )

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        facility = form.instance
        total = facility.capacities.aggregate(total=Sum("places"))["total"]
        if total is not None and total != facility.capacity:
            Facility.objects.filter(pk=facility.pk).update(capacity=total)
            facility.capacity = total
