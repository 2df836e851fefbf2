"""Django admin for the standards catalogue: read-only.

Catalogue versions change only through the catalogue pages and API, where drafts are
checked, adopted versions stay immutable and every edit carries its row version; the
admin shows the rows (and lets an administrator correct a catalogue's names)."""

from django.contrib import admin

from rehsos.standards.models import Catalogue, CatalogueImport, CatalogueVersion, Criterion


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CriterionInline(ReadOnlyMixin, admin.TabularInline):
    model = Criterion
    fields = ("order", "code", "domain", "text_en", "weight", "scale", "critical")
    readonly_fields = fields
    ordering = ("order", "code")
    extra = 0
    show_change_link = True


@admin.register(Catalogue)
class CatalogueAdmin(admin.ModelAdmin):
    list_display = ("code", "name_id", "name_en", "clusters", "updated_at")
    search_fields = ("code", "name_id", "name_en")
    fields = ("code", "name_id", "name_en", "clusters", "description")
    readonly_fields = ("code", "clusters")

    def has_add_permission(self, request):
        return False  # through the pages: a catalogue starts with its draft version 1

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("catalogue", "number", "status", "effective_from", "effective_to")
    list_filter = ("status", "catalogue")
    inlines = [CriterionInline]


@admin.register(Criterion)
class CriterionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "version", "domain", "weight", "scale", "critical")
    list_filter = ("domain", "critical", "version__catalogue")
    search_fields = ("code", "text_id", "text_en")
    list_select_related = ("version__catalogue",)


@admin.register(CatalogueImport)
class CatalogueImportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("catalogue_version", "original_name", "status", "created_by", "created_at")
    list_filter = ("status",)
    list_select_related = ("catalogue_version__catalogue", "created_by")
