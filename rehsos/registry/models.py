"""Persons served by the programme. The foundation keeps only what the home pages
and demo data need; the registry issue adds NIK, households, consent and more."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from rehsos.core.models import BaseModel
from rehsos.core.permissions import ScopeFields


class Person(BaseModel):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")

    full_name = models.CharField(_("full name"), max_length=200)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    village = models.ForeignKey(
        "regions.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    province_code = models.CharField(_("province"), max_length=2, db_index=True, editable=False)
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("registering centre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    scope_fields = ScopeFields(province="province_code", facility="facility")

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [models.Index(fields=["province_code", "facility"])]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.province_code = self.village_id[:2]
        super().save(*args, **kwargs)
