"""Keep the translation catalogues in step with the code.

    python -m rehsos.devtools.messages --update   # make messages
    python -m rehsos.devtools.messages --check    # make check

``--update`` extracts every translatable string into rehsos/locale/{id,en}
(Django's makemessages, old entries dropped) and fills the English catalogue
with msgstr = msgid: English is the source language. Indonesian is translated
by hand in rehsos/locale/id/LC_MESSAGES/django.po.

``--check`` extracts into a temporary copy of the sources, leaving the tree
untouched, and prints one line per problem: a string in the code missing from a
catalogue, a catalogue entry no longer in the code, an untranslated or fuzzy
Indonesian entry. It exits 1 when there is any problem.

Extraction needs GNU gettext (xgettext, msgmerge); compiling the catalogues for
the running app does not (``rehsos compile-translations`` uses polib).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "rehsos"
LOCALE_DIR = ROOT / PACKAGE / "locale"
SOURCE_LANGUAGE = "en"
LANGUAGES = ("id", "en")
# Paths makemessages must not read: the venv, generated files, tests (strings only
# tests use need no translation) and developer tooling.
IGNORE = (
    ".venv/*",
    "var/*",
    "bench/*",
    "docs/*",
    "build/*",
    "test-artifacts/*",
    "*.egg-info/*",
    "rehsos/*/tests/*",
    "rehsos/devtools/*",
    "rehsos/conftest.py",
)
SOURCE_SUFFIXES = {".py", ".html", ".txt"}
GETTEXT_TOOLS = ("xgettext", "msgmerge", "msguniq", "msgattrib")


def po_path(locale_dir: Path, language: str) -> Path:
    return locale_dir / language / "LC_MESSAGES" / "django.po"


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def makemessages(cwd: Path, *extra: str) -> None:
    command = [
        sys.executable,
        "-m",
        "django",
        "makemessages",
        *(f"--locale={language}" for language in LANGUAGES),
        "--no-obsolete",
        "--no-wrap",
        "--verbosity=0",
        *(f"--ignore={pattern}" for pattern in IGNORE),
        *extra,
    ]
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="rehsos.settings",
        PYTHONPATH=str(cwd),
        # Extraction reads the code only; it needs none of production's settings.
        REHSOS_ENV="development",
    )
    # S603: our own interpreter running Django's makemessages with fixed arguments.
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise SystemExit(f"makemessages failed: {result.stderr.strip() or result.stdout.strip()}")


def set_header(path: Path, language: str) -> polib.POFile:
    catalogue = polib.pofile(str(path), wrapwidth=0)
    catalogue.metadata["Project-Id-Version"] = "rehsos"
    catalogue.metadata["Language"] = language
    catalogue.metadata_is_fuzzy = False
    return catalogue


def fill_source_language(catalogue: polib.POFile) -> int:
    """English catalogue: every msgstr is its msgid. Returns the number of entries."""
    for entry in catalogue:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
        else:
            entry.msgstr = entry.msgid
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = None
        entry.previous_msgid_plural = None
        entry.previous_msgctxt = None
    return len(catalogue)


def key(entry: polib.POEntry) -> tuple[str | None, str]:
    return entry.msgctxt, entry.msgid


def label(entry_key: tuple[str | None, str]) -> str:
    context, msgid = entry_key
    shown = msgid if len(msgid) <= 70 else msgid[:67] + "..."
    return f"{shown!r}" + (f" (context {context!r})" if context else "")


def is_translated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def catalogue_problems(
    expected: set[tuple[str | None, str]], language: str, path: Path
) -> list[str]:
    name = relative(path)
    if not path.exists():
        return [f"{name}: missing; run `make messages`"]
    catalogue = polib.pofile(str(path))
    present = {key(entry) for entry in catalogue if not entry.obsolete}
    problems = [
        f"{name}: {label(k)} is in the code but not in the catalogue; run `make messages`"
        for k in sorted(expected - present, key=str)
    ]
    problems += [
        f"{name}: {label(k)} is no longer in the code; run `make messages`"
        for k in sorted(present - expected, key=str)
    ]
    for entry in catalogue:
        if entry.obsolete or key(entry) not in expected:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"{name}: {label(key(entry))} is fuzzy; check and unmark it")
        elif language != SOURCE_LANGUAGE and not is_translated(entry):
            problems.append(f"{name}: {label(key(entry))} is not translated")
    return problems


def _copy_ignore(directory: str, names: list[str]) -> set[str]:
    def skip(name: str) -> bool:
        path = Path(directory) / name
        if name == "__pycache__" or name.startswith("."):
            return True
        return path.is_file() and path.suffix not in SOURCE_SUFFIXES

    return {name for name in names if skip(name)}


def extracted_messages() -> set[tuple[str | None, str]]:
    """The (context, msgid) pairs the code holds today, extracted in a temporary copy."""
    with tempfile.TemporaryDirectory(prefix="rehsos-messages-") as tmp:
        copy = Path(tmp)
        shutil.copytree(ROOT / PACKAGE, copy / PACKAGE, ignore=_copy_ignore)
        # Extract against empty catalogues: the copy's own locale dir receives the .pot.
        shutil.rmtree(copy / PACKAGE / "locale", ignore_errors=True)
        (copy / PACKAGE / "locale").mkdir()
        makemessages(copy, "--keep-pot")
        pot = polib.pofile(str(copy / PACKAGE / "locale" / "django.pot"))
        return {key(entry) for entry in pot if not entry.obsolete}


def missing_tools() -> list[str]:
    return [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]


def update() -> int:
    makemessages(ROOT)
    count = 0
    for language in LANGUAGES:
        catalogue = set_header(po_path(LOCALE_DIR, language), language)
        if language == SOURCE_LANGUAGE:
            count = fill_source_language(catalogue)
        catalogue.save()
    print(f"{relative(LOCALE_DIR)}: {count} messages; English filled from the source")
    untranslated = [
        line for line in check_catalogues(extracted=None) if line.endswith("not translated")
    ]
    if untranslated:
        print(f"{len(untranslated)} Indonesian messages still to translate (make check lists them)")
    return 0


def check_catalogues(extracted: set[tuple[str | None, str]] | None) -> list[str]:
    if extracted is None:
        # After --update the catalogues are the extraction.
        source = polib.pofile(str(po_path(LOCALE_DIR, SOURCE_LANGUAGE)))
        extracted = {key(entry) for entry in source if not entry.obsolete}
    problems = []
    for language in LANGUAGES:
        problems += catalogue_problems(extracted, language, po_path(LOCALE_DIR, language))
    return problems


def check() -> int:
    problems = check_catalogues(extracted_messages())
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} translation problems", file=sys.stderr)
        return 1
    print("translations: every string is in the catalogues and translated")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rehsos.devtools.messages")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--update", action="store_true", help="extract strings into the catalogues")
    mode.add_argument(
        "--check", action="store_true", help="fail on missing or untranslated strings"
    )
    options = parser.parse_args(argv)
    missing = missing_tools()
    if missing:
        print(
            f"GNU gettext is needed to extract strings ({', '.join(missing)} not found): "
            "install it with `apt-get install gettext`",
            file=sys.stderr,
        )
        return 1
    return update() if options.update else check()


if __name__ == "__main__":
    sys.exit(main())
