"""Units that serve PPKS: the ministry's centres (balai / sentra), provincial and
district units (UPTD) and social welfare institutions (LKS).

A centre keeps its history: every name it has had (renamed, merged) with the dates,
the owner, the functions (clusters served), the settings it offers, capacity per
cluster, rooms (the equipment standards count per room), contacts and photos.
Occupancy is computed from the residential stays that ``cases`` records; this app
never imports ``cases`` (``cases`` reads ``FacilityCapacity`` and plugs an occupancy
panel into the centre's page through :mod:`rehsos.facilities.panels`).
"""

from django.core.validators import MaxValueValidator, MinValueValidator
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


class Setting(models.TextChoices):
    FAMILY = "family", _("Family")
    COMMUNITY = "community", _("Community")
    RESIDENTIAL = "residential", _("Residential")


class Facility(BaseModel):
    class Kind(models.TextChoices):
        NATIONAL = "national", _("Ministry centre (balai / sentra)")
        PROVINCIAL = "provincial", _("Provincial unit (UPTD)")
        DISTRICT = "district", _("District unit (UPTD)")
        LKS = "lks", _("Social welfare institution (LKS)")

    class Owner(models.TextChoices):
        MINISTRY = "ministry", _("Ministry of Social Affairs")
        PROVINCE = "province", _("Provincial social office (Dinas Sosial)")
        REGENCY = "regency", _("Regency / city social office")
        ORGANISATION = "organisation", _("Organisation")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    owner = models.CharField(
        _("owner"), max_length=16, choices=Owner.choices, default=Owner.MINISTRY
    )
    # The Dinas Sosial's province or regency (a region code), or the organisation's name.
    owner_region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("owner's region"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    owner_name = models.CharField(_("owning organisation"), max_length=200, blank=True)
    clusters = models.JSONField(_("clusters served"), default=list, blank=True)
    settings_offered = models.JSONField(_("settings offered"), default=list, blank=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    province_code = models.CharField(_("province"), max_length=2, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-11), MaxValueValidator(6)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(94), MaxValueValidator(142)],
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # Total residential places; the per-cluster figures are FacilityCapacity rows.
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    # One of the national model centres raised to international standards (JICA).
    is_model = models.BooleanField(_("national model centre"), default=False)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
    )
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


class FacilityName(models.Model):
    """One name a centre has carried, from ``valid_from`` until ``valid_to`` (open:
    the current name). A merge records the absorbed centre's last name here too."""

    class Reason(models.TextChoices):
        FOUNDED = "founded", _("Founded")
        RENAMED = "renamed", _("Renamed")
        MERGED = "merged", _("Merged")
        RESTRUCTURED = "restructured", _("Restructured")

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(_("name"), max_length=200)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("former or current name")
        verbose_name_plural = _("names")
        ordering = ["facility", "valid_from"]

    def __str__(self) -> str:
        return self.name


class FacilityCapacity(models.Model):
    """Residential places for one cluster."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="capacities")
    cluster = models.CharField(_("cluster"), max_length=8, choices=Cluster.choices)
    places = models.PositiveIntegerField(_("places"))

    class Meta:
        verbose_name = _("capacity by cluster")
        verbose_name_plural = _("capacity by cluster")
        constraints = [
            models.UniqueConstraint(fields=["facility", "cluster"], name="facility_cluster_once")
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.cluster}: {self.places}"


class RoomKind(models.TextChoices):
    BEDROOM = "bedroom", _("Bedroom")
    BATHROOM = "bathroom", _("Bathroom / toilet")
    CLASSROOM = "classroom", _("Classroom / workshop")
    THERAPY = "therapy", _("Therapy room")
    CLINIC = "clinic", _("Clinic")
    COUNSELLING = "counselling", _("Counselling room")
    DINING = "dining", _("Dining hall")
    KITCHEN = "kitchen", _("Kitchen")
    OFFICE = "office", _("Office")
    WORSHIP = "worship", _("Place of worship")
    OTHER = "other", _("Other")


class FacilityRoom(models.Model):
    """How many rooms of a kind a centre has: equipment standards count per room."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="rooms")
    kind = models.CharField(_("room"), max_length=16, choices=RoomKind.choices)
    count = models.PositiveIntegerField(_("number"))

    class Meta:
        verbose_name = _("rooms")
        verbose_name_plural = _("rooms")
        constraints = [
            models.UniqueConstraint(fields=["facility", "kind"], name="facility_room_kind_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} × {self.count}"


class FacilityContact(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="contacts")
    position = models.CharField(_("position"), max_length=120)
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["facility", "position"]

    def __str__(self) -> str:
        return f"{self.position}: {self.name}"


class FacilityPhoto(models.Model):
    """A photo of the centre, stored privately (``var/files``) and served through a
    permission check, like every upload."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("file"), upload_to="facilities/photos/")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    taken_on = models.DateField(_("taken on"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["facility", "-uploaded_at"]

    def __str__(self) -> str:
        return self.caption or self.file.name
