"""Kemendagri administrative areas: province, regency/city, district, village."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    PROVINCE = 1, _("Province")
    REGENCY = 2, _("Regency / city")
    DISTRICT = 3, _("District")
    VILLAGE = 4, _("Village")


class Region(models.Model):
    """One area. ``code`` is the Kemendagri code (``NN``, ``NN.NN``, ``NN.NN.NN``,
    ``NN.NN.NN.NNNN``); reference data, so it is not audited row by row."""

    code = models.CharField(_("code"), max_length=13, primary_key=True)
    name = models.CharField(_("name"), max_length=120)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        db_constraint=False,
    )
    province_code = models.CharField(_("province"), max_length=2, db_index=True)
    name_key = models.CharField(max_length=120, db_index=True, editable=False)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "name_key"]), models.Index(fields=["parent", "name"])]

    def __str__(self) -> str:
        return self.name
