"""Photos of evidence for the reports: read from private storage, shrunk to a
thumbnail and embedded as a ``data:`` URI (the PDF renderer never fetches a URL, and
the files are not under the web root)."""

from __future__ import annotations

import base64
import io
import logging
from dataclasses import dataclass

from django.core.files.storage import default_storage
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

THUMBNAIL_PX = 480  # the longer side; ~6 cm at 200 dpi in print
MAX_SOURCE_BYTES = 25 * 1024 * 1024
# Pillow refuses images beyond this many pixels (a decompression bomb).
Image.MAX_IMAGE_PIXELS = 60_000_000


@dataclass(frozen=True)
class Photo:
    data_uri: str
    caption: str
    label: str  # what it is evidence of: a criterion code, a supervision report's date
    on: object  # the date the photo shows (valid from / taken on)


def thumbnail_uri(name: str, *, size: int = THUMBNAIL_PX) -> str | None:
    """A JPEG thumbnail of the stored image ``name`` as a data URI; None when the file
    is missing or is not an image Pillow can read (the report leaves it out)."""
    try:
        if default_storage.size(name) > MAX_SOURCE_BYTES:
            return None
        with default_storage.open(name, "rb") as handle:
            image = Image.open(handle)
            image = ImageOps.exif_transpose(image)  # a phone photo stands the right way up
            image.thumbnail((size, size))
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, "JPEG", quality=78, optimize=True)
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        logger.warning("report photo %s could not be read", name)
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def photos(rows, *, limit: int) -> list[Photo]:
    """``rows``: (file name, caption, label, date) in the order to show; the first
    ``limit`` that can be read."""
    out: list[Photo] = []
    for name, caption, label, on in rows:
        if len(out) >= limit:
            break
        uri = thumbnail_uri(name)
        if uri:
            out.append(Photo(data_uri=uri, caption=caption, label=label, on=on))
    return out
