import base64
import datetime

import pytest
from django.core.management import call_command

from rehsos.registry import identifiers
from rehsos.registry.models import Person
from rehsos.registry.services import persons

OLD = base64.b64encode(b"o" * 32).decode()
NEW = base64.b64encode(b"n" * 32).decode()
INDEX = base64.b64encode(b"i" * 32).decode()


@pytest.fixture
def keys(monkeypatch):
    def use(value: str) -> None:
        monkeypatch.setenv("REHSOS_IDENTIFIER_KEYS", value)
        monkeypatch.setenv("REHSOS_BLIND_INDEX_KEY", INDEX)
        identifiers.keyring.cache_clear()

    yield use
    identifiers.keyring.cache_clear()


@pytest.mark.django_db
def test_rotation_re_encrypts_under_the_new_key_and_keeps_the_index(keys, social_worker):
    keys(f"k2025:{OLD}")
    person = persons.register_person(
        social_worker,
        {
            "full_name": "Siti Aminah",
            "sex": "F",
            "birth_date": datetime.date(2010, 7, 17),
            "village": "31.75.03.1001",
            "nik": "3175035707100001",
        },
        confirmed=True,
    )
    index_before = Person.objects.get(pk=person.pk).nik_index
    keys(f"k2026:{NEW},k2025:{OLD}")
    call_command("rotate_identifier_keys")
    stored = Person.objects.get(pk=person.pk)
    assert stored.nik_sealed.startswith("v1:k2026:")
    assert stored.nik_index == index_before
    keys(f"k2026:{NEW}")
    assert persons.reveal_identifier(stored, "nik") == "3175035707100001"


def test_a_malformed_key_is_refused_with_a_clear_message():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="32 bytes"):
        identifiers.parse_keys("k1:" + base64.b64encode(b"short").decode(), INDEX)
