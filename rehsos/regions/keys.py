"""Region keys: the shape of a Kemendagri code, and the search key of a name.

A code has one segment per level: ``NN`` (province), ``NN.NN`` (regency/city),
``NN.NN.NN`` (district), ``NN.NN.NN.NNNN`` (village). Its ancestors are its own
prefixes, so a region's path needs no walk up the parent chain.
"""

import re
import unicodedata

CODE_PATTERN = r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$"
_CODE_RE = re.compile(CODE_PATTERN)
# Apostrophes vanish ("Regapu’u" is found by "regapuu" and "regapu'u"); every other
# non-alphanumeric character separates words.
_APOSTROPHES = re.compile(r"['’‘`ʼ]")
_WORDS = re.compile(r"[^\W_]+")


def is_code(value: str) -> bool:
    return bool(_CODE_RE.fullmatch(value))


def level_of(code: str) -> int:
    """The level (1 province … 4 village) a well-formed code belongs to."""
    return code.count(".") + 1


def ancestor_codes(code: str) -> list[str]:
    """The codes from the province down to ``code`` itself: 11, 11.01, 11.01.01, …"""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def parent_code(code: str) -> str | None:
    head, _sep, _tail = code.rpartition(".")
    return head or None


def name_key(text: str) -> str:
    """Lowercase, accent-free, punctuation-free, whitespace-collapsed: the form that
    names are stored in ``Region.name_key`` and that queries are matched in."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_WORDS.findall(_APOSTROPHES.sub("", text.casefold())))
