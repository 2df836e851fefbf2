"""Forms of the centre pages. They check the shape of the input only; the rules (and
their messages, by field name) live in :mod:`rehsos.facilities.services`."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rehsos.core.forms import BootstrapForm
from rehsos.facilities.models import Cluster, Facility, FacilityName, RoomKind, Setting
from rehsos.regions.forms import RegionField, RegionSelectWidget
from rehsos.regions.models import Level, Region

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CHECKS = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


class OwnerRegionField(RegionField):
    """The province or the regency whose social office owns a UPTD: the chooser stops
    at the regency, and a province alone is a valid choice."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", RegionSelectWidget(level=Level.REGENCY))
        super().__init__(level=Level.REGENCY, **kwargs)

    def to_python(self, value) -> Region | None:
        if isinstance(value, Region):
            return value
        code = str(value or "").strip()
        if code in self.empty_values:
            return None
        region = Region.objects.filter(code=code, level__lte=Level.REGENCY).first()
        if region is None:
            raise forms.ValidationError(
                self.error_messages["unknown"], code="unknown", params={"code": code[:20]}
            )
        return region


class _Checks(BootstrapForm):
    """BootstrapForm gives every other widget ``form-control``; a list of checkboxes
    keeps its own class."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.widget.attrs["class"] = "form-check-input"


class FacilityForm(_Checks):
    """Create (with code, name and the first name's date) or edit a centre's record."""

    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("Lowercase letters, digits and hyphens; it never changes afterwards."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    founded_on = forms.DateField(
        label=_("Name valid from"),
        required=False,
        widget=DATE,
        help_text=_("When the centre took this name (founded or last renamed), if known."),
    )
    legal_basis = forms.CharField(
        label=_("Legal basis of the name"), required=False, max_length=200
    )
    short_name = forms.CharField(label=_("Short name"), required=False, max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=Facility.Kind.choices)
    owner = forms.ChoiceField(label=_("Owner"), choices=Facility.Owner.choices)
    owner_region = OwnerRegionField(
        label=_("Owner's province or regency"),
        required=False,
        help_text=_("For a UPTD: the province or regency whose social office runs it."),
    )
    owner_name = forms.CharField(
        label=_("Owning organisation"),
        required=False,
        max_length=200,
        help_text=_("For an LKS: the organisation that runs it."),
    )
    clusters = forms.MultipleChoiceField(
        label=_("Clusters served"), choices=Cluster.choices, widget=CHECKS, required=False
    )
    settings_offered = forms.MultipleChoiceField(
        label=_("Settings offered"), choices=Setting.choices, widget=CHECKS, required=False
    )
    region = RegionField(label=_("Village"), required=False)
    address = forms.CharField(label=_("Address"), required=False, max_length=300)
    latitude = forms.CharField(
        label=_("Latitude"),
        required=False,
        max_length=20,
        help_text=_("Decimal degrees, e.g. -6.3021 (south of the equator is negative)."),
    )
    longitude = forms.CharField(
        label=_("Longitude"),
        required=False,
        max_length=20,
        help_text=_("Decimal degrees, e.g. 106.8838."),
    )
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)
    is_model = forms.BooleanField(label=_("National model centre"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, editing: bool, national: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            for name in ("code", "name", "founded_on", "legal_basis"):
                del self.fields[name]
            self.fields["version"].required = True
        else:
            del self.fields["version"]
        if not national:
            # Decided nationally: shown, never posted back.
            for name in ("kind", "owner", "owner_region", "owner_name", "is_model", "is_active"):
                self.fields[name].disabled = True

    def changes(self) -> dict:
        """The record's fields as the service takes them."""
        data = dict(self.cleaned_data)
        for name in ("code", "name", "founded_on", "legal_basis", "version"):
            data.pop(name, None)
        if isinstance(data.get("region"), Region):
            data["region"] = data["region"].code
        elif data.get("region") is None:
            data["region"] = ""
        owner_region = data.get("owner_region")
        data["owner_region"] = owner_region.code if isinstance(owner_region, Region) else ""
        return data


def initial_of(facility: Facility) -> dict:
    return {
        "short_name": facility.short_name,
        "kind": facility.kind,
        "owner": facility.owner,
        "owner_region": facility.owner_region_id or "",
        "owner_name": facility.owner_name,
        "clusters": list(facility.clusters or []),
        "settings_offered": list(facility.settings_offered or []),
        "region": facility.region_id,
        "address": facility.address,
        "latitude": "" if facility.latitude is None else facility.latitude.normalize(),
        "longitude": "" if facility.longitude is None else facility.longitude.normalize(),
        "phone": facility.phone,
        "email": facility.email,
        "is_model": facility.is_model,
        "is_active": facility.is_active,
        "version": facility.version,
    }


class RenameForm(BootstrapForm):
    name = forms.CharField(label=_("New name"), max_length=200)
    short_name = forms.CharField(
        label=_("New short name"),
        required=False,
        max_length=60,
        help_text=_("Leave empty to keep the current short name."),
    )
    on = forms.DateField(label=_("Valid from"), widget=DATE)
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            (FacilityName.Reason.RENAMED, FacilityName.Reason.RENAMED.label),
            (FacilityName.Reason.RESTRUCTURED, FacilityName.Reason.RESTRUCTURED.label),
        ],
    )
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        max_length=200,
        help_text=_("The decree or regulation, e.g. Permensos 3/2022."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)


class MergeForm(BootstrapForm):
    into = forms.ChoiceField(label=_("Merge into"))
    on = forms.DateField(
        label=_("Merged on"),
        widget=DATE,
        help_text=_(
            "The first day the centres work as one; the merged centre's name ends the day before."
        ),
    )
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        max_length=200,
        help_text=_("The decree or regulation, e.g. Permensos 3/2022."),
    )
    confirm = forms.BooleanField(
        label=_("I understand: the merged centre becomes inactive and cannot be changed again."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, facility: Facility, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)
        others = (
            Facility.objects.filter(is_active=True)
            .exclude(pk=facility.pk)
            .order_by("name")
            .values_list("code", "name")
        )
        self.fields["into"].choices = [("", "—"), *others]


class CapacityForm(BootstrapForm):
    """Places per cluster the centre serves, or a total when no per-cluster figures
    are known."""

    total = forms.IntegerField(
        label=_("Total places"),
        required=False,
        min_value=0,
        help_text=_("Only when no per-cluster figure is given; otherwise it is their sum."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, facility: Facility, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Cluster.choices)
        for cluster in facility.clusters or []:
            self.fields[self.key(cluster)] = forms.IntegerField(
                label=labels.get(cluster, cluster), required=False, min_value=0
            )
            self.fields[self.key(cluster)].widget.attrs["class"] = "form-control"
        self.order_fields([*(self.key(c) for c in facility.clusters or []), "total"])

    @staticmethod
    def key(cluster: str) -> str:
        return "places_" + cluster.replace("-", "_")

    def places(self, facility: Facility) -> dict:
        return {c: self.cleaned_data.get(self.key(c)) for c in facility.clusters or []}

    def field_of(self, service_field: str) -> str:
        """The form field behind a service's field name (``places.TS-KPO``)."""
        if service_field.startswith("places."):
            return self.key(service_field.split(".", 1)[1])
        return service_field


class RoomsForm(BootstrapForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in RoomKind.choices:
            self.fields[f"rooms_{kind}"] = forms.IntegerField(
                label=label, required=False, min_value=0
            )
            self.fields[f"rooms_{kind}"].widget.attrs["class"] = "form-control"

    def rooms(self) -> dict:
        return {kind: self.cleaned_data.get(f"rooms_{kind}") for kind in RoomKind.values}


class ContactForm(BootstrapForm):
    position = forms.CharField(label=_("Position"), required=False, max_length=120)
    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)

    def is_blank(self) -> bool:
        return not any((self.cleaned_data or {}).get(f) for f in self.fields)


ContactFormSet = forms.formset_factory(ContactForm, extra=2, max_num=30, absolute_max=40)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class PhotoForm(BootstrapForm):
    file = forms.FileField(
        label=_("Photo"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    caption = forms.CharField(label=_("Caption"), required=False, max_length=200)
    taken_on = forms.DateField(label=_("Taken on"), required=False, widget=DATE)
