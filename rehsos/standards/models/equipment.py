"""Equipment and furniture: the standard list per function (how many of an item a
centre needs, per N residents, per room or per centre) against each centre's
inventory, giving a costed shortfall; stock-takes count what is really there."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from rehsos.core.permissions import ScopeFields
from rehsos.facilities.models import RoomKind

# Rows of a centre, scoped through the centre (a join: these tables are small per centre).
CENTRE_SCOPE = ScopeFields(province="facility__province_code", facility="facility_id")


class EquipmentItem(models.Model):
    """One line of the standard list."""

    class Basis(models.TextChoices):
        PER_RESIDENTS = "residents", _("Per N residents")
        PER_ROOM = "room", _("Per room")
        PER_FACILITY = "facility", _("Per centre")

    class Category(models.TextChoices):
        FURNITURE = "furniture", _("Furniture")
        ASSISTIVE = "assistive", _("Assistive product")
        MEDICAL = "medical", _("Medical and therapy")
        TRAINING = "training", _("Training and workshop")
        SAFETY = "safety", _("Safety")
        ICT = "ict", _("ICT")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_id = models.CharField(_("name (Indonesian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    spec = models.TextField(_("specification"), blank=True)
    # Functions (clusters) it applies to; empty: every centre.
    clusters = models.JSONField(_("functions"), default=list, blank=True)
    basis = models.CharField(_("counted"), max_length=12, choices=Basis.choices)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    per_n = models.PositiveIntegerField(_("per N residents"), null=True, blank=True)
    room_kind = models.CharField(_("room"), max_length=16, choices=RoomKind.choices, blank=True)
    unit_cost = models.DecimalField(
        _("unit cost (Rp)"), max_digits=14, decimal_places=0, null=True, blank=True
    )
    # WHO Priority Assistive Products List entry, when it is one.
    who_apl = models.CharField(_("WHO APL item"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Row version: an edit carries the version it read (stale: 409).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("standard equipment item")
        verbose_name_plural = _("standard equipment")
        ordering = ["category", "code"]
        constraints = [
            models.CheckConstraint(
                name="equipment_per_residents_has_n",
                condition=~models.Q(basis="residents") | models.Q(per_n__gte=1),
            ),
            models.CheckConstraint(
                name="equipment_per_room_has_kind",
                condition=~models.Q(basis="room") | ~models.Q(room_kind=""),
            ),
        ]

    def __str__(self) -> str:
        return self.name_en


class InventoryItem(models.Model):
    class Condition(models.TextChoices):
        GOOD = "good", _("Good")
        FAIR = "fair", _("Fair")
        POOR = "poor", _("Poor")
        BROKEN = "broken", _("Broken")

    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="inventory"
    )
    item = models.ForeignKey(
        EquipmentItem,
        verbose_name=_("standard item"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inventory",
    )
    description = models.CharField(_("description"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"))
    condition = models.CharField(
        _("condition"), max_length=8, choices=Condition.choices, default=Condition.GOOD
    )
    acquired_on = models.DateField(_("acquired"), null=True, blank=True)
    funded_by = models.ForeignKey(
        "partners.Agreement",
        verbose_name=_("funded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    location = models.CharField(_("location"), max_length=120, blank=True)
    last_counted_on = models.DateField(_("last counted"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    scope_fields = CENTRE_SCOPE

    class Meta:
        verbose_name = _("inventory item")
        verbose_name_plural = _("inventory")
        ordering = ["facility", "description"]
        indexes = [models.Index(fields=["facility", "item"])]

    def __str__(self) -> str:
        return self.description


class StockTake(models.Model):
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, related_name="stock_takes"
    )
    started_on = models.DateField(_("started on"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    counted_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    # Only the inventory at this location is counted (blank: the whole centre).
    location = models.CharField(_("location"), max_length=120, blank=True)
    finished_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    scope_fields = CENTRE_SCOPE

    class Meta:
        verbose_name = _("stock-take")
        verbose_name_plural = _("stock-takes")
        ordering = ["facility", "-started_on"]
        constraints = [
            # Two open counts of the same shelves would overwrite each other at the finish.
            models.UniqueConstraint(
                fields=["facility"],
                condition=models.Q(finished_at__isnull=True),
                name="stock_take_one_open_per_centre",
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.started_on}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class StockTakeLine(models.Model):
    """What the inventory said (``expected``) and what was found (``counted``;
    null: not counted yet)."""

    stock_take = models.ForeignKey(StockTake, on_delete=models.CASCADE, related_name="lines")
    inventory_item = models.ForeignKey(
        InventoryItem, on_delete=models.CASCADE, related_name="counts"
    )
    expected = models.PositiveIntegerField(_("expected"))
    # The inventory's condition when the count started (what the report compares with).
    expected_condition = models.CharField(
        _("condition expected"),
        max_length=8,
        choices=InventoryItem.Condition.choices,
        blank=True,
    )
    counted = models.PositiveIntegerField(_("counted"), null=True, blank=True)
    condition = models.CharField(
        _("condition"), max_length=8, choices=InventoryItem.Condition.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("stock-take line")
        verbose_name_plural = _("stock-take lines")
        constraints = [
            models.UniqueConstraint(
                fields=["stock_take", "inventory_item"], name="stock_take_line_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.inventory_item_id}: {self.counted}/{self.expected}"

    @property
    def missing(self) -> int:
        """Units not found (0 while not counted)."""
        return 0 if self.counted is None else max(self.expected - self.counted, 0)
