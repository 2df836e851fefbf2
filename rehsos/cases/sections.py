"""The sections of the case page, in order. Each area gives a template (rendered with
``case``, ``user`` and its own context) and a function building that context::

    def section_context(request, case) -> dict

The case page (views_case) renders them; an area without content for the user
returns ``None`` and is left out."""

from importlib import import_module

# (key, label module path of the context function, template)
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("workflow", "rehsos.cases.views_workflow", "cases/sections/workflow.html"),
    ("assessments", "rehsos.cases.views_assessments", "cases/sections/assessments.html"),
    ("plans", "rehsos.cases.views_plans", "cases/sections/plans.html"),
    ("services", "rehsos.cases.views_delivery", "cases/sections/services.html"),
    ("notes", "rehsos.cases.views_notes", "cases/sections/notes.html"),
    ("stays", "rehsos.cases.views_stays", "cases/sections/stays.html"),
)


def build(request, case) -> list[dict]:
    """The sections present for this user and case, each with its template and context."""
    built = []
    for key, module_path, template in SECTIONS:
        context_of = getattr(import_module(module_path), "section_context", None)
        if context_of is None:
            continue
        context = context_of(request, case)
        if context is not None:
            built.append({"key": key, "template": template, "context": context})
    return built
