"""Indonesian name normalisation and phonetic keys, for search and deduplication.

Names are written many ways: old and new spelling (Soekarno / Sukarno,
Djoko / Joko, Tjahjo / Cahyo), short forms of Muhammad (Moh., Mochamad,
Muhamad), Nur / Noor, titles and honorifics (H., Hj., Drs., S.Kom, Bapak, Ibu).
``normalise`` gives a clean lowercase form for display matching; ``key`` a
spelling-insensitive key per word; ``phonetic`` a coarse sound key per word.
"""

import re
import unicodedata
from functools import lru_cache

# Titles, degrees and honorifics dropped before comparison (lower case, no dots).
HONORIFICS = frozenset(
    [
        "h",
        "hj",
        "haji",
        "hajjah",
        "kh",
        "drs",
        "dra",
        "dr",
        "drh",
        "ir",
        "prof",
        "st",
        "sh",
        "se",
        "spd",
        "skom",
        "sag",
        "sos",
        "ssos",
        "ssi",
        "ssit",
        "sst",
        "amd",
        "amk",
        "mm",
        "mpd",
        "msi",
        "mkes",
        "mh",
        "mba",
        "ba",
        "bsc",
        "msc",
        "phd",
        "bapak",
        "bpk",
        "pak",
        "ibu",
        "bu",
        "sdr",
        "sdri",
        "saudara",
        "saudari",
        "tn",
        "ny",
        "nn",
        "nona",
        "tuan",
        "nyonya",
        "raden",
        "rd",
        "rr",
        "mas",
        "mbak",
        "kak",
        "abang",
        "bang",
    ]
)

# Variants of one given name, mapped to one canonical spelling.
CANONICAL = {
    **dict.fromkeys(
        [
            "muhammad",
            "muhamad",
            "mohammad",
            "mohamad",
            "mohammed",
            "muhammed",
            "mochammad",
            "mochamad",
            "mokhamad",
            "mokhammad",
            "mukhamad",
            "mukhammad",
            "muchammad",
            "muchamad",
            "moch",
            "moh",
            "muh",
            "mhd",
            "md",
            "mohd",
            "muhd",
        ],
        "muhammad",
    ),
    **dict.fromkeys(["nur", "noor", "nurul", "noer"], "nur"),
    **dict.fromkeys(["abdul", "abd", "abdoel"], "abdul"),
    **dict.fromkeys(["siti", "sitti", "st"], "siti"),
}

# Old (Van Ophuijsen / Soewandi) spellings to the 1972 EYD spelling, applied in order.
_SPELLING = [
    ("oe", "u"),
    ("dj", "j"),
    ("tj", "c"),
    ("sj", "sy"),
    ("nj", "ny"),
    ("ch", "kh"),
]

_WORD = re.compile(r"[a-z]+")


def _ascii(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(name: str) -> list[str]:
    """Lowercase ASCII words of a name, with titles and honorifics removed.

    A dotted abbreviation ("Moh.") and a degree glued by dots ("S.Kom") are read
    as one word before the honorifics are dropped."""
    text = _ascii(name or "").lower()
    text = re.sub(r"\b([a-z])\.(?=[a-z]{2,}\b)", r"\1", text)  # s.kom -> skom, s.pd -> spd
    found = _WORD.findall(text.replace("'", ""))
    kept = [w for w in found if w not in HONORIFICS]
    return kept or found


def normalise(name: str) -> str:
    return " ".join(words(name))


# Word keys are pure and names repeat their words: a bulk import of a million persons
# computes each distinct word once.
@lru_cache(maxsize=65536)
def spelling_key(word: str) -> str:
    """One spelling for a word: canonical given names, old spelling modernised,
    doubled letters collapsed, a trailing 'h' dropped."""
    if word in CANONICAL:
        return CANONICAL[word]
    text = word
    for old, new in _SPELLING:
        text = text.replace(old, new)
    text = re.sub(r"(.)\1+", r"\1", text)
    if len(text) > 3 and text.endswith("h"):
        text = text[:-1]
    return CANONICAL.get(text, text)


def key(name: str) -> str:
    return " ".join(spelling_key(w) for w in words(name))


_PHONETIC_MAP = str.maketrans(
    {"v": "f", "p": "f", "z": "s", "q": "k", "c": "k", "x": "k", "d": "t", "b": "f", "g": "k"}
)


@lru_cache(maxsize=65536)
def phonetic_word(word: str) -> str:
    """A coarse sound key: first letter kept, vowels dropped after it, similar consonants
    merged (b/p/f/v, d/t, c/k/q/g/x, s/z), 'kh'/'gh' unified, and 'j'/'y' unified because
    the old spelling wrote 'j' for today's 'y' (Jahja / Yahya)."""
    text = spelling_key(word)
    if not text:
        return ""
    text = text.replace("kh", "k").replace("gh", "g").replace("ph", "f").replace("j", "y")
    first, rest = text[0], text[1:]
    rest = rest.translate(_PHONETIC_MAP)
    rest = re.sub(r"[aeiouhw]", "", rest)
    rest = re.sub(r"(.)\1+", r"\1", rest)
    head = "a" if first in "aeiou" else first.translate(_PHONETIC_MAP)
    return (head + rest)[:6]


def phonetic(name: str) -> str:
    return " ".join(phonetic_word(w) for w in words(name))
