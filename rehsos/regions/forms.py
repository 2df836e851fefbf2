"""A region chooser for any Django form: four dependent selects, province → village.

    class PersonForm(forms.Form):
        village = RegionField(label=_("Village"))              # a village is required
        regency = RegionField(level=Level.REGENCY, required=False)

The widget renders one labelled ``<select>`` per level down to the field's level.
Choosing a province asks ``regions:options`` (HTMX) for that province's regencies,
puts them into the next select and empties the ones below it. The form posts
``<name>_1`` … ``<name>_4``; the widget reads the deepest consistent choice, so a
form shown again with errors keeps the chosen path, and without JavaScript each
submit opens the next level. Posting ``<name>`` with a code directly works too.

``cleaned_data[name]`` is the chosen :class:`Region` (its ``code`` is the code).
"""

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from rehsos.regions.keys import ancestor_codes, is_code
from rehsos.regions.models import Level, Region

PLACEHOLDER = _("Choose…")


def _code_of(value) -> str:
    if isinstance(value, Region):
        return value.code
    return str(value or "").strip()


class RegionSelectWidget(forms.Widget):
    template_name = "regions/widgets/region_select.html"
    use_fieldset = True

    def __init__(self, level: int = Level.VILLAGE, attrs: dict | None = None):
        super().__init__(attrs)
        self.level = Level(level)

    def subwidget_name(self, name: str, level: int) -> str:
        return f"{name}_{level}"

    def value_from_datadict(self, data, files, name):
        if data.get(name):
            return data.get(name)
        chosen = ""
        for level in range(1, self.level + 1):
            value = str(data.get(self.subwidget_name(name, level)) or "").strip()
            # Stop at the first empty select, or one left over from an earlier parent.
            if not value or (chosen and not value.startswith(f"{chosen}.")):
                break
            chosen = value
        return chosen

    def value_omitted_from_data(self, data, files, name):
        names = [name] + [self.subwidget_name(name, level) for level in range(1, self.level + 1)]
        return not any(n in data for n in names)

    def id_for_label(self, id_):
        return f"{id_}_1" if id_ else id_

    def format_value(self, value):
        return _code_of(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        code = _code_of(value)
        wanted = ancestor_codes(code)[: self.level] if is_code(code) else []
        # One query for every select: the provinces and the children of each chosen level.
        rows = list(
            Region.objects.filter(Q(level=Level.PROVINCE) | Q(parent_id__in=wanted))
            .order_by("name", "code")
            .only("code", "name", "level", "parent_id")
        )
        known = {row.code for row in rows}
        chosen: list[str] = []
        for ancestor in wanted:
            if ancestor not in known:
                break
            chosen.append(ancestor)

        base_id = context["widget"]["attrs"].get("id") or f"id_{name}"
        shared = {k: v for k, v in context["widget"]["attrs"].items() if k != "id"}
        shared["class"] = " ".join(filter(None, ["form-select", shared.get("class")]))
        ids = [f"{base_id}_{level}" for level in range(1, self.level + 1)]
        options_url = reverse("regions:options")
        selects = []
        for level in range(1, self.level + 1):
            parent = None if level == 1 else (chosen[level - 2] if len(chosen) >= level - 1 else "")
            options = [row for row in rows if row.level == level and row.parent_id == parent]
            select = {
                "name": self.subwidget_name(name, level),
                "id": ids[level - 1],
                "label": Level(level).label,
                "options": options if parent != "" else [],
                "selected": chosen[level - 1] if len(chosen) >= level else "",
                "attrs": shared,
                "hx_get": None,
            }
            if level < self.level:
                query = urlencode({"clear": ids[level + 1 :]}, doseq=True)
                select["hx_get"] = f"{options_url}?{query}" if query else options_url
                select["hx_target"] = f"#{ids[level]}"
            selects.append(select)
        context["widget"].update(
            selects=selects, base_id=base_id, placeholder=PLACEHOLDER, code=code
        )
        return context


class RegionField(forms.Field):
    """A region of one level (a village unless ``level`` says otherwise)."""

    widget = RegionSelectWidget
    default_error_messages = {
        "unknown": _("Unknown region code %(code)s: choose the region from the lists."),
        "level": _(
            "Choose a region down to the level “%(level)s”; %(name)s (%(code)s) is a “%(chosen)s”."
        ),
    }

    def __init__(self, *, level: int = Level.VILLAGE, **kwargs):
        self.level = Level(level)
        kwargs.setdefault("widget", RegionSelectWidget(level=self.level))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return _code_of(value)

    def to_python(self, value) -> Region | None:
        if isinstance(value, Region):
            return value
        code = _code_of(value)
        if code in self.empty_values:
            return None
        region = Region.objects.filter(code=code).first() if is_code(code) else None
        if region is None:
            raise forms.ValidationError(
                self.error_messages["unknown"], code="unknown", params={"code": code}
            )
        if region.level != self.level:
            raise forms.ValidationError(
                self.error_messages["level"],
                code="level",
                params={
                    "level": self.level.label,
                    "name": region.name,
                    "code": region.code,
                    "chosen": Level(region.level).label,
                },
            )
        return region

    def has_changed(self, initial, data):
        return _code_of(initial) != _code_of(data)
