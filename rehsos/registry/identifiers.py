"""NIK and KK numbers at rest: encrypted with AES-256-GCM, found by a keyed blind index.

* ``seal(value)`` → ``"v1:<key id>:<base64 nonce+ciphertext>"``; ``unseal`` reverses it
  with whichever key the value names, so keys can be rotated: add a new key first in
  ``REHSOS_IDENTIFIER_KEYS``, run ``rehsos rotate-identifier-keys``, then drop the old one.
* ``blind_index(value)`` → HMAC-SHA256 hex under ``REHSOS_BLIND_INDEX_KEY``: equal
  numbers give equal indexes, so exact lookup works without decrypting anything.

Keys come from the environment (``REHSOS_IDENTIFIER_KEYS="k2026:<base64 32 bytes>,k2025:…"``,
the first one encrypts). Development and tests derive fixed keys from SECRET_KEY;
production refuses to start without real keys (settings.check_production_settings).
"""

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1"


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: dict[str, bytes]
    index_key: bytes


def _decode_key(name: str, raw: str) -> bytes:
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: a key is not valid base64") from None
    if len(key) != 32:
        raise ImproperlyConfigured(f"{name}: each key must be 32 bytes (base64 of 32 random bytes)")
    return key


def parse_keys(keys_env: str, index_env: str) -> KeyRing:
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for item in keys_env.split(","):
        if not item.strip():
            continue
        key_id, sep, raw = item.strip().partition(":")
        if not sep or not key_id.isalnum():
            raise ImproperlyConfigured(
                "REHSOS_IDENTIFIER_KEYS must look like 'k2026:<base64>,k2025:<base64>'"
            )
        keys[key_id] = _decode_key("REHSOS_IDENTIFIER_KEYS", raw)
        order.append(key_id)
    if not order:
        raise ImproperlyConfigured("REHSOS_IDENTIFIER_KEYS names no key")
    return KeyRing(order[0], keys, _decode_key("REHSOS_BLIND_INDEX_KEY", index_env))


def _development_keys() -> KeyRing:
    seed = settings.SECRET_KEY.encode()
    enc = hashlib.sha256(b"rehsos identifier key\0" + seed).digest()
    idx = hashlib.sha256(b"rehsos blind index key\0" + seed).digest()
    return KeyRing("dev", {"dev": enc}, idx)


@lru_cache(maxsize=1)
def keyring() -> KeyRing:
    keys_env = os.environ.get("REHSOS_IDENTIFIER_KEYS", "")
    index_env = os.environ.get("REHSOS_BLIND_INDEX_KEY", "")
    if keys_env or index_env:
        return parse_keys(keys_env, index_env)
    if settings.PRODUCTION:
        raise ImproperlyConfigured(
            "REHSOS_IDENTIFIER_KEYS and REHSOS_BLIND_INDEX_KEY must be set in production"
        )
    return _development_keys()


class Sealer:
    """Encrypts many values with one key ring; cheap to build once per batch."""

    def __init__(self, ring: KeyRing | None = None):
        self.ring = ring or keyring()
        self._ciphers = {kid: AESGCM(key) for kid, key in self.ring.keys.items()}

    def seal(self, value: str) -> str:
        nonce = os.urandom(12)
        kid = self.ring.current_id
        data = self._ciphers[kid].encrypt(nonce, value.encode(), kid.encode())
        return f"{PREFIX}:{kid}:{base64.b64encode(nonce + data).decode()}"

    def unseal(self, sealed: str) -> str:
        prefix, kid, payload = sealed.split(":", 2)
        if prefix != PREFIX or kid not in self._ciphers:
            raise ImproperlyConfigured(f"no identifier key {kid!r} to decrypt a stored value")
        raw = base64.b64decode(payload)
        return self._ciphers[kid].decrypt(raw[:12], raw[12:], kid.encode()).decode()

    def key_id(self, sealed: str) -> str:
        return sealed.split(":", 2)[1]

    def blind_index(self, value: str) -> str:
        return hmac.new(self.ring.index_key, value.encode(), hashlib.sha256).hexdigest()


def seal(value: str) -> str:
    return Sealer().seal(value)


def unseal(sealed: str) -> str:
    return Sealer().unseal(sealed)


def blind_index(value: str) -> str:
    return Sealer().blind_index(value)
