"""Shared fixtures: named personas for every role, on real centres and regions.

Region data is loaded by the migrations, so tests use real Kemendagri codes:
31.75.03.1001 is a kelurahan in Jakarta Timur, 32.01 is Kabupaten Bogor.
"""

import factory.random
import pytest
from django.utils import translation

from rehsos.core.roles import Role, ScopeLevel
from rehsos.core.tests.factories import FacilityFactory, PersonFactory, UserFactory

# Synthetic names from Faker are the same on every run, so no test passes or fails by chance.
factory.random.reseed_random("rehsos")


@pytest.fixture(autouse=True)
def _english_and_fast_hashing(settings):
    """Tests assert messages in English, the source language (Indonesian is the site's
    default; tests of the Indonesian pages ask for it). Real password hashing costs
    ~0.2 s per user and is Django's, not ours, to test."""
    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def handayani(db):
    return FacilityFactory(
        code="brsampk-handayani",
        name="Sentra Handayani",
        region_id="31.75.03.1001",
        clusters=["ANAK"],
    )


@pytest.fixture
def galih_pakuan(db):
    return FacilityFactory(
        code="brskpn-galih-pakuan",
        name="Sentra Galih Pakuan",
        region_id="32.01.01.1001",
        clusters=["KPN"],
    )


@pytest.fixture
def national_admin(db):
    return UserFactory(username="admin.nasional", role=Role.NATIONAL_ADMIN)


@pytest.fixture
def analyst(db):
    return UserFactory(username="analis", role=Role.NATIONAL_ANALYST)


@pytest.fixture
def social_worker(handayani):
    return UserFactory(
        username="peksos.handayani",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
    )


@pytest.fixture
def facility_head(handayani):
    return UserFactory(
        username="kepala.handayani",
        role=Role.FACILITY_HEAD,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
    )


@pytest.fixture
def provincial_officer(db):
    return UserFactory(
        username="dinsos.dki",
        role=Role.PROVINCIAL_OFFICER,
        scope_level=ScopeLevel.PROVINCE,
        province_code="31",
    )


@pytest.fixture
def person_in_handayani(handayani):
    return PersonFactory(facility=handayani, village_id="31.75.03.1001")


@pytest.fixture
def person_in_galih_pakuan(galih_pakuan):
    return PersonFactory(facility=galih_pakuan, village_id="32.01.01.1001")


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)):
        return True
    names = getattr(item, "fixturenames", ())
    return "transactional_db" in names or "live_server" in names


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends with a flush of every table, the reference data loaded
    by migrations included (regions, the cases' PPKS types, stages and components, the
    built-in instruments). Put it back once the flush is done, so the tests after it on
    the same worker find their villages and stages."""
    yield
    if not _is_transactional(item) or nextitem is None:
        return  # after the last test the test database is already gone
    from django.apps import apps
    from pytest_django.plugin import blocking_manager_key

    from rehsos.cases import reference
    from rehsos.cases.instruments.builtin import load_builtins
    from rehsos.regions.loader import load_regions

    with item.config.stash[blocking_manager_key].unblock():
        load_regions()  # a no-op when the table is complete
        reference.load(apps)  # get_or_create: a no-op when present
        load_builtins()
