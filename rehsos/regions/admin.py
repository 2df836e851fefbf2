from django.contrib import admin

from rehsos.regions.models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """Reference data loaded from the shipped files (``rehsos load-regions``): read-only here."""

    list_display = ("code", "name", "level", "parent", "province_code")
    list_filter = ("level",)
    search_fields = ("^code", "name")
    ordering = ("code",)
    list_select_related = ("parent",)
    show_full_result_count = False
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
