"""Forms of the equipment pages. They check the input's shape; the rules live in
:mod:`rehsos.standards.services_equipment`, whose field names they share."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rehsos.core.forms import BootstrapForm
from rehsos.facilities.models import Cluster, RoomKind
from rehsos.standards.models import EquipmentItem, InventoryItem
from rehsos.standards.services_equipment import MAX_QUANTITY, funding_agreements

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NUMBER = {"inputmode": "numeric", "min": 0}


class StandardItemForm(BootstrapForm):
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Lower-case letters, digits and hyphens; it cannot be changed later."),
    )
    name_id = forms.CharField(label=_("Name (Indonesian)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=EquipmentItem.Category.choices)
    clusters = forms.MultipleChoiceField(
        label=_("Functions"),
        choices=Cluster.choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text=_("None selected: the item applies to every centre."),
    )
    basis = forms.ChoiceField(label=_("Counted"), choices=EquipmentItem.Basis.choices)
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, widget=forms.NumberInput(NUMBER)
    )
    per_n = forms.IntegerField(
        label=_("Per N residents"),
        min_value=1,
        max_value=MAX_QUANTITY,
        required=False,
        widget=forms.NumberInput(NUMBER),
        help_text=_("Counted per N residents: the quantity is needed for every N places."),
    )
    room_kind = forms.ChoiceField(
        label=_("Room"),
        choices=[("", "—"), *RoomKind.choices],
        required=False,
        help_text=_("Counted per room: the quantity is needed in every room of this kind."),
    )
    unit_cost = forms.IntegerField(
        label=_("Unit cost (Rp, estimate)"),
        min_value=0,
        required=False,
        widget=forms.NumberInput(NUMBER),
    )
    who_apl = forms.CharField(
        label=_("WHO Priority Assistive Products List item"), max_length=100, required=False
    )
    spec = forms.CharField(
        label=_("Specification"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True


class InventoryForm(BootstrapForm):
    item = forms.ModelChoiceField(
        label=_("Standard item"),
        queryset=EquipmentItem.objects.none(),
        required=False,
        empty_label=_("(not on the standard list)"),
        help_text=_("Linked items count towards the centre's required quantities."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("Brand, model, serial or asset number; blank: the standard item's name."),
    )
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=0, max_value=MAX_QUANTITY, widget=forms.NumberInput(NUMBER)
    )
    condition = forms.ChoiceField(
        label=_("Condition"),
        choices=InventoryItem.Condition.choices,
        help_text=_("Only items in good or fair condition count as available."),
    )
    location = forms.CharField(label=_("Location"), max_length=120, required=False)
    acquired_on = forms.DateField(label=_("Acquired on"), required=False, widget=DATE)
    funded_by = forms.ModelChoiceField(
        label=_("Funded by"),
        queryset=funding_agreements(),
        required=False,
        empty_label=_("(own budget)"),
    )
    last_counted_on = forms.DateField(label=_("Last counted on"), required=False, widget=DATE)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = EquipmentItem.objects.filter(is_active=True).order_by(
            "category", "name_en"
        )
        self.fields["item"].label_from_instance = lambda item: (
            f"{item.name_id} / {item.name_en} ({item.code})"
        )
        self.fields["funded_by"].queryset = funding_agreements()
        self.fields["funded_by"].label_from_instance = lambda agreement: (
            f"{agreement.partner}: {agreement.title}"
        )


class InventoryFilterForm(BootstrapForm):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    condition = forms.ChoiceField(
        label=_("Condition"),
        choices=[("", _("All conditions")), *InventoryItem.Condition.choices],
        required=False,
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    location = forms.ChoiceField(label=_("Location"), required=False)

    def __init__(self, *args, locations: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ("", _("All categories")),
            *EquipmentItem.Category.choices,
            ("free", _("Not on the standard list")),
        ]
        self.fields["location"].choices = [("", _("All locations"))] + [
            (name, name) for name in locations
        ]


class StandardFilterForm(BootstrapForm):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    cluster = forms.ChoiceField(
        label=_("Function"), choices=[("", _("All functions")), *Cluster.choices], required=False
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("All categories")), *EquipmentItem.Category.choices],
        required=False,
    )
    basis = forms.ChoiceField(
        label=_("Counted"),
        choices=[("", _("Any basis")), *EquipmentItem.Basis.choices],
        required=False,
    )
    inactive = forms.BooleanField(label=_("Show inactive items"), required=False)


class StartStockTakeForm(BootstrapForm):
    started_on = forms.DateField(label=_("Started on"), widget=DATE)
    location = forms.ChoiceField(
        label=_("Location"),
        required=False,
        help_text=_("Count one location only, or the whole centre."),
    )
    note = forms.CharField(
        label=_("Note"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, locations: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [("", _("The whole centre"))] + [
            (name, name) for name in locations
        ]


class CountLineForm(forms.Form):
    """One line of the quick-entry table (plain inputs: the table styles them)."""

    line = forms.IntegerField(widget=forms.HiddenInput)
    counted = forms.IntegerField(label=_("Counted"), min_value=0, max_value=MAX_QUANTITY)
    condition = forms.ChoiceField(
        label=_("Condition"),
        choices=[("", _("unchanged")), *InventoryItem.Condition.choices],
        required=False,
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class FinishStockTakeForm(BootstrapForm):
    note = forms.CharField(
        label=_("Closing note"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
