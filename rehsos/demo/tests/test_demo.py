"""`rehsos load-demo`: the programme's centres in their real regions, a user for every
role, synthetic persons near their centres, and nothing added on a second run."""

from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, RequestFactory, override_settings

from rehsos.core.models import User
from rehsos.core.roles import REQUIRED_SCOPE, Role, ScopeLevel
from rehsos.demo.accounts import DEMO_PASSWORD, logins_table
from rehsos.facilities.models import Facility
from rehsos.regions.models import Region
from rehsos.registry.models import Person


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, "--without-standards", stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int]:
    return Facility.objects.count(), User.objects.count(), Person.objects.count()


@pytest.fixture
def loaded(db):
    # The case-management and standards demos have their own tests (test_demo_cases,
    # test_demo_standards) and cost ~20 s a load each.
    load("--without-cases")


def test_load_demo_creates_the_data_set_and_a_second_run_adds_nothing(db):
    first = load("--without-cases")
    assert first.strip() == (
        "Demo data added: 18 centres, 11 users, 300 persons (with households, consents and "
        "24 planted duplicates for the review queue) and 0 cases."
    )
    assert Person.objects.filter(source_id__endswith="-dup").count() == 24
    assert Person.objects.exclude(nik_index="").count() > 200
    assert counts() == (18, 11, 324)

    second = load("--without-cases")

    assert second.strip() == "Demo data: nothing to add (already loaded)."
    assert counts() == (18, 11, 324)


def test_the_centres_sit_in_their_real_villages(loaded):
    def place(code):
        facility = Facility.objects.get(code=code)
        village = Region.objects.get(code=facility.region_id)
        district = Region.objects.get(code=village.parent_id)
        regency = Region.objects.get(code=district.parent_id)
        return village.name, district.name, regency.name

    east, south = "Kota Administrasi Jakarta Timur", "Kota Administrasi Jakarta Selatan"
    assert place("brsampk-handayani") == ("Bambu Apus", "Cipayung", east)
    assert place("bbrvpd-inten-suweno") == ("Pakansari", "Cibinong", "Kabupaten Bogor")
    assert place("psbr-taruna-jaya-1") == ("Tebet Barat", "Tebet", south)
    assert place("brskpn-galih-pakuan") == ("Putat Nutug", "Ciseeng", "Kabupaten Bogor")
    taruna = Facility.objects.get(code="psbr-taruna-jaya-1")
    assert (taruna.kind, taruna.capacity, taruna.province_code) == ("provincial", 120, "31")
    served = Counter(c for f in Facility.objects.all() for c in f.clusters)
    assert served == {"PD": 8, "ANAK": 4, "LU": 2, "KPN": 2, "TS-KPO": 2}


def test_every_role_has_a_demo_user_with_its_scope(loaded):
    users = {user.role: user for user in User.objects.exclude(username="peksos.galihpakuan")}
    assert set(users) == set(Role.values)
    for role, user in users.items():
        assert user.scope_level == REQUIRED_SCOPE[role], role
    handayani = Facility.objects.get(code="brsampk-handayani")
    for role in (Role.FACILITY_HEAD, Role.SOCIAL_WORKER, Role.INSTRUCTOR):
        assert users[role].facility == handayani
    assert User.objects.get(username="peksos.galihpakuan").facility.code == "brskpn-galih-pakuan"
    assert users[Role.PROVINCIAL_OFFICER].province_code == "31"
    admin = users[Role.NATIONAL_ADMIN]
    assert (admin.is_staff, admin.is_superuser) == (True, True)
    assert not User.objects.filter(scope_level=ScopeLevel.NATION, facility__isnull=False).exists()


def test_the_demo_password_signs_in(loaded):
    def sign_in(password):
        request = RequestFactory().post("/login/")
        return authenticate(request, username="peksos.handayani", password=password)

    assert sign_in(DEMO_PASSWORD) == User.objects.get(username="peksos.handayani")
    assert sign_in("wrong-password-1") is None


def test_persons_live_near_their_centres(loaded):
    persons = Person.objects.select_related("facility").exclude(source_id__endswith="-dup")
    assert persons.filter(facility__isnull=True).count() == 0
    for person in persons:
        # In a real village of the centre's regency.
        assert person.village_id[:5] == person.facility.region_id[:5]
        assert person.province_code == person.village_id[:2]
    assert Region.objects.filter(code__in=persons.values("village_id"), level=4).count() > 100
    per_centre = Counter(persons.values_list("facility__code", flat=True))
    assert per_centre["brsampk-handayani"] == 34
    assert per_centre["psbr-taruna-jaya-1"] == 27
    assert sum(per_centre.values()) == 300
    # Mulya Jaya serves women.
    mulya_jaya = set(persons.filter(facility__code="brs-mulya-jaya").values_list("sex", flat=True))
    assert mulya_jaya == {"F"}


def test_the_same_people_every_time(db):
    load("--persons", "20", "--without-cases")
    first = list(Person.objects.order_by("source_id").values_list("source_id", "full_name"))
    Person.objects.all().delete()
    load("--persons", "20", "--without-cases")
    again = list(Person.objects.order_by("source_id").values_list("source_id", "full_name"))
    assert again == first


def test_every_demo_role_reaches_its_home_page(loaded):
    for user in User.objects.exclude(role=Role.NATIONAL_ADMIN):
        client = Client()
        client.force_login(user)
        response = client.get("/")
        assert response.status_code == 200, user.username


def test_the_logins_table_lists_every_demo_user(loaded):
    lines = logins_table()
    assert lines[0] == f"Demo logins (password for every one: {DEMO_PASSWORD})"
    assert lines[1].split() == ["username", "role", "scope"]
    assert lines[2].split()[:3] == ["admin.nasional", "National", "administrator"]
    assert len(lines) == 1 + 1 + 11 + 1
    assert "TOTP" in lines[-1]


def test_the_logins_table_is_empty_before_loading(db):
    assert logins_table() == []


@override_settings(PRODUCTION=True)
def test_load_demo_refuses_to_run_in_production(db):
    with pytest.raises(CommandError, match="refuses to run in production"):
        load()
    assert counts() == (0, 0, 0)
