"""Partners, agreements and the partner viewers' links in Django admin (national
administrators): the pages of the partners app come with the partners issue."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rehsos.core.roles import Role
from rehsos.partners.models import Agreement, Partner, PartnerUser


class AgreementInline(admin.TabularInline):
    model = Agreement
    fk_name = "partner"
    extra = 0
    fields = ("kind", "number", "title", "status", "signed_on", "starts_on", "ends_on")
    show_change_link = True


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "acronym", "kind", "country", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "acronym", "iati_id")
    inlines = [AgreementInline]


class AgreementAdminForm(forms.ModelForm):
    class Meta:
        model = Agreement
        fields = (
            "partner",
            "parent",
            "kind",
            "number",
            "title",
            "status",
            "signed_on",
            "starts_on",
            "ends_on",
            "value",
            "currency",
        )

    def clean(self):
        cleaned = super().clean()
        partner, parent = cleaned.get("partner"), cleaned.get("parent")
        if parent is not None and partner is not None and parent.partner_id != partner.pk:
            self.add_error("parent", _("The umbrella agreement must be one of the same partner."))
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The end is before the start."))
        return cleaned


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    form = AgreementAdminForm
    list_display = ("title", "partner", "kind", "number", "status", "starts_on", "ends_on")
    list_filter = ("kind", "status", "partner")
    search_fields = ("title", "number", "partner__name", "partner__code")
    list_select_related = ("partner",)
    raw_id_fields = ("parent",)


class PartnerUserAdminForm(forms.ModelForm):
    class Meta:
        model = PartnerUser
        fields = ("user", "partner")

    def clean_user(self):
        user = self.cleaned_data["user"]
        if user.role != Role.PARTNER_VIEWER:
            raise forms.ValidationError(
                _("Only a partner viewer's account can be linked to a partner.")
            )
        return user


@admin.register(PartnerUser)
class PartnerUserAdmin(admin.ModelAdmin):
    form = PartnerUserAdminForm
    list_display = ("user", "partner")
    list_filter = ("partner",)
    search_fields = ("user__username", "partner__code", "partner__name")
    list_select_related = ("user", "partner")
    raw_id_fields = ("user",)
