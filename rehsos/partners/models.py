"""Partners and their agreements: the part that the standards and workforce apps
need (who funds a renovation, an action or an internship, and under which
agreement). The partners issue grows this app (approval trail, projects, CSR
programmes, priority areas)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from rehsos.core.models import BaseModel


class Partner(BaseModel):
    class Kind(models.TextChoices):
        BILATERAL = "bilateral", _("Bilateral agency")
        EMBASSY = "embassy", _("Embassy")
        COMPANY = "company", _("Company")
        NGO = "ngo", _("NGO")
        LKS = "lks", _("Social welfare institution (LKS)")
        UNIVERSITY = "university", _("University")
        GOVERNMENT = "government", _("Government body")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    acronym = models.CharField(_("acronym"), max_length=30, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166-1"))
    # IATI organisation identifier, e.g. "JP-8" for JICA, "KR-GOV-010" for KOICA.
    iati_id = models.CharField(_("IATI organisation identifier"), max_length=60, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.acronym or self.name


class Agreement(BaseModel):
    class Kind(models.TextChoices):
        MOU = "mou", _("Memorandum of understanding")
        GRANT = "grant", _("Grant agreement")
        PKS = "pks", _("Implementing arrangement (PKS)")
        ROD = "rod", _("Record of discussion")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        NEGOTIATION = "negotiation", _("Under negotiation")
        SIGNED = "signed", _("Signed")
        IN_FORCE = "in_force", _("In force")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="agreements")
    parent = models.ForeignKey(
        "self",
        verbose_name=_("umbrella agreement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=300)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="IDR")

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["partner", "-starts_on"]

    def __str__(self) -> str:
        return self.title


class PartnerUser(models.Model):
    """Links a partner viewer's account to the partner whose data it may see."""

    user = models.OneToOneField("core.User", on_delete=models.CASCADE, related_name="partner_link")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="users")

    class Meta:
        verbose_name = _("partner user")
        verbose_name_plural = _("partner users")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.partner_id}"
