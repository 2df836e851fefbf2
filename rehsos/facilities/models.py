"""Rehabilitation centres (balai / sentra), provincial UPTD and LKS.

The minimal centre that scopes need; the facilities issue grows it (name
history, functions, capacity)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from rehsos.core.models import BaseModel
from rehsos.core.permissions import ScopeFields


class Cluster(models.TextChoices):
    ANAK = "ANAK", _("Children")
    LU = "LU", _("Elderly")
    PD = "PD", _("Persons with disabilities")
    KPN = "KPN", _("Victims of drug abuse (NAPZA)")
    TS_KPO = "TS-KPO", _("Socially excluded and victims of trafficking")


class Facility(BaseModel):
    class Kind(models.TextChoices):
        NATIONAL = "national", _("Ministry centre (balai / sentra)")
        PROVINCIAL = "provincial", _("Provincial unit (UPTD)")
        LKS = "lks", _("Social welfare institution (LKS)")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    clusters = models.JSONField(_("clusters served"), default=list, blank=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    province_code = models.CharField(_("province"), max_length=2, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=300, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_fields = ScopeFields(province="province_code", facility="pk")

    class Meta:
        verbose_name = _("centre")
        verbose_name_plural = _("centres")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.province_code = self.region_id[:2]
        super().save(*args, **kwargs)
