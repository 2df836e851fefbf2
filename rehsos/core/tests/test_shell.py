"""The page shell: each role's home page and its counts, the navigation per role,
the language switch, and `rehsos serve`."""

import datetime
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.shortcuts import render
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from rehsos.core.models import AccessLog, Job, User
from rehsos.core.roles import Role, ScopeLevel
from rehsos.facilities.models import Facility
from rehsos.registry.models import Person, Sex

# ---- helpers ---------------------------------------------------------------------------


def make_user(username: str, role: str, **scope) -> User:
    """A user without a password hash (hashing costs half a second; tests sign in directly)."""
    scope.setdefault("scope_level", ScopeLevel.NATION)
    return User.objects.create(username=username, role=role, **scope)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    if user.requires_two_factor:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def make_centre(code: str, village: str, clusters: list[str], **fields) -> Facility:
    fields.setdefault("name", code)
    fields.setdefault("kind", Facility.Kind.NATIONAL)
    return Facility.objects.create(code=code, region_id=village, clusters=clusters, **fields)


def add_persons(count: int, *, village: str, facility=None, sex=Sex.FEMALE, prefix="Orang"):
    for i in range(count):
        Person.objects.create(
            full_name=f"{prefix} {chr(65 + i % 26)}{i}",
            sex=sex,
            birth_date=datetime.date(2008, 3, 1),
            village_id=village,
            facility=facility,
        )


def figures(html: str, name: str) -> list[str]:
    return [
        value.strip() for value in re.findall(rf'data-figure="{name}">([^<]*)<', html, flags=re.S)
    ]


def nav_keys(html: str) -> list[str]:
    return re.findall(r'data-nav="([a-z_]+)"', html)


def home(user, language: str = "en") -> str:
    """The user's home page, in English unless asked otherwise (assertions read msgids)."""
    client = signed_in(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def handayani(db):
    return make_centre("brsampk-handayani", "31.75.10.1006", ["ANAK"], name="Sentra Handayani")


@pytest.fixture
def galih_pakuan(db):
    return make_centre("brskpn-galih-pakuan", "32.01.33.2001", ["KPN"], name="Sentra Galih Pakuan")


@pytest.fixture
def taruna_jaya(db):
    return make_centre(
        "psbr-taruna-jaya-1",
        "31.74.01.1002",
        ["ANAK"],
        name="PSBR Taruna Jaya I",
        kind=Facility.Kind.PROVINCIAL,
    )


@pytest.fixture
def two_centres(handayani, galih_pakuan):
    """Two persons at Handayani (one man), one at Galih Pakuan."""
    add_persons(1, village="31.75.10.1006", facility=handayani)
    add_persons(1, village="31.75.10.1001", facility=handayani, sex=Sex.MALE)
    add_persons(1, village="32.01.33.2002", facility=galih_pakuan, sex=Sex.MALE)


# ---- home pages ------------------------------------------------------------------------


def test_a_social_worker_sees_the_persons_of_their_centre_only(two_centres, handayani):
    worker = make_user(
        "peksos.handayani",
        Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=handayani,
    )
    html = home(worker)
    assert figures(html, "persons") == ["2"]
    assert figures(html, "sex") == ["1", "1"]  # female, male
    assert figures(html, "staff") == ["1"]
    assert "Sentra Handayani" in html
    assert "Sentra Galih Pakuan" not in html


def test_a_social_worker_of_an_empty_centre_sees_zero(two_centres, db):
    empty = make_centre("brslu-gau-mabaji", "73.06.06.1001", ["LU"])
    worker = make_user(
        "peksos.gau", Role.SOCIAL_WORKER, scope_level=ScopeLevel.FACILITY, facility=empty
    )
    html = home(worker)
    assert figures(html, "persons") == ["0"]
    assert figures(html, "sex") == ["0", "0"]


def test_the_head_of_galih_pakuan_sees_none_of_handayani(two_centres, galih_pakuan, handayani):
    head = make_user(
        "kepala.galih", Role.FACILITY_HEAD, scope_level=ScopeLevel.FACILITY, facility=galih_pakuan
    )
    make_user(
        "peksos.galih", Role.SOCIAL_WORKER, scope_level=ScopeLevel.FACILITY, facility=galih_pakuan
    )
    make_user("peksos.h", Role.SOCIAL_WORKER, scope_level=ScopeLevel.FACILITY, facility=handayani)
    html = home(head)
    assert figures(html, "persons") == ["1"]
    assert figures(html, "sex") == ["0", "1"]
    assert figures(html, "staff") == ["2"]


def test_a_merged_person_is_not_counted(handayani):
    add_persons(2, village="31.75.10.1006", facility=handayani)
    first, second = Person.objects.order_by("pk")
    second.merged_into = first
    second.save()
    worker = make_user(
        "peksos.handayani", Role.SOCIAL_WORKER, scope_level=ScopeLevel.FACILITY, facility=handayani
    )
    assert figures(home(worker), "persons") == ["1"]


def test_a_provincial_officer_sees_persons_and_centres_of_the_province(
    two_centres, handayani, taruna_jaya
):
    add_persons(3, village="31.74.01.1002", facility=taruna_jaya)
    add_persons(1, village="31.71.01.1001")  # registered without a centre
    officer = make_user(
        "dinsos.dki", Role.PROVINCIAL_OFFICER, scope_level=ScopeLevel.PROVINCE, province_code="31"
    )
    html = home(officer)
    assert figures(html, "persons") == ["6"]
    assert figures(html, "centres") == ["2"]
    # Per centre, by name: PSBR Taruna Jaya I, Sentra Handayani.
    assert figures(html, "centre-persons") == ["3", "2"]
    assert "Sentra Galih Pakuan" not in html


def test_a_national_admin_sees_the_state_of_the_system(two_centres, handayani):
    admin = make_user("admin.nasional", Role.NATIONAL_ADMIN, is_staff=True)
    worker = make_user(
        "peksos.handayani", Role.SOCIAL_WORKER, scope_level=ScopeLevel.FACILITY, facility=handayani
    )
    make_user("analis", Role.NATIONAL_ANALYST, is_active=False)
    AccessAttempt.objects.create(
        username="peksos.handayani",
        ip_address="127.0.0.1",
        user_agent="test",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/login/",
    )
    AccessAttempt.objects.create(
        username="analis",
        ip_address="127.0.0.1",
        user_agent="test",
        failures_since_start=1,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/login/",
    )
    Job.objects.create(kind="import", title="a", status=Job.Status.RUNNING, created_by=worker)
    Job.objects.create(kind="import", title="b", status=Job.Status.FAILED, created_by=worker)
    Job.objects.create(kind="import", title="c", status=Job.Status.FAILED, created_by=worker)
    Job.objects.create(kind="import", title="d", status=Job.Status.DONE, created_by=worker)
    person = Person.objects.first()
    AccessLog.objects.create(
        user=worker, subject_type="registry.person", subject_id=str(person.public_id), via="t"
    )
    AccessLog.objects.create(
        user=worker,
        subject_type="registry.person",
        subject_id=str(person.public_id),
        via="t",
        at=timezone.now() - datetime.timedelta(days=2),
    )
    html = home(admin)
    assert figures(html, "users-active") == ["2"]
    assert figures(html, "users-locked") == ["1"]
    assert figures(html, "jobs-running") == ["1"]
    assert figures(html, "jobs-failed") == ["2"]
    assert figures(html, "access-today") == ["1"]
    # One row per role, in the order of the roles, zero where there is nobody.
    by_role = dict(zip([role.value for role in Role], figures(html, "role-users"), strict=True))
    assert by_role == {
        Role.NATIONAL_ADMIN: "1",
        Role.NATIONAL_ANALYST: "1",
        Role.FACILITY_HEAD: "0",
        Role.SOCIAL_WORKER: "1",
        Role.INSTRUCTOR: "0",
        Role.PROVINCIAL_OFFICER: "0",
        Role.PARTNER_VIEWER: "0",
        Role.EMPLOYER: "0",
        Role.STANDARDS_ASSESSOR: "0",
    }


def test_an_empty_system_shows_zeros_to_the_admin(db):
    admin = make_user("admin.nasional", Role.NATIONAL_ADMIN)
    html = home(admin)
    assert figures(html, "users-locked") == ["0"]
    assert figures(html, "jobs-running") == ["0"]
    assert figures(html, "jobs-failed") == ["0"]
    assert figures(html, "access-today") == ["0"]


@pytest.fixture
def national_spread(handayani, galih_pakuan, taruna_jaya):
    """DKI 12, Jawa Barat 6, Jawa Tengah 3 persons."""
    add_persons(8, village="31.75.10.1006", facility=handayani, prefix="Dki")
    add_persons(4, village="31.74.01.1002", facility=taruna_jaya, prefix="Dki")
    add_persons(6, village="32.01.33.2001", facility=galih_pakuan, prefix="Jabar")
    add_persons(3, village="33.72.04.1010", prefix="Jateng")


@pytest.mark.parametrize("role", [Role.NATIONAL_ANALYST, Role.PARTNER_VIEWER])
def test_analysts_and_partners_see_aggregates_with_small_cells_suppressed(role, national_spread):
    viewer = make_user("viewer", role)
    html = home(viewer)
    rows = re.findall(
        r'<th scope="row" class="fw-normal">([^<]+)</th>\s*<td class="text-end" '
        r'data-figure="province-persons">([^<]+)</td>',
        html,
    )
    assert rows == [
        ("Daerah Khusus Ibukota Jakarta", "12"),
        # 6 is hidden too: with only Jawa Tengah hidden, total − the rest would give it away.
        ("Jawa Barat", "hidden"),
        ("Jawa Tengah", "&lt;5"),
    ]
    assert figures(html, "persons-total") == ["21"]
    assert figures(html, "cluster-centres") == ["2", "1"]  # ANAK, KPN
    assert figures(html, "centres-total") == ["3"]
    # No personal data: no name of anyone registered appears.
    assert not re.search(r"(Dki|Jabar|Jateng) [A-Z]\d", html)


def test_a_single_small_province_is_shown_as_under_five(handayani):
    add_persons(3, village="31.75.10.1006", facility=handayani)
    html = home(make_user("analis", Role.NATIONAL_ANALYST))
    assert figures(html, "province-persons") == ["&lt;5"]
    assert figures(html, "persons-total") == ["&lt;5"]


def test_an_empty_registry_shows_zero_to_analysts(db):
    html = home(make_user("analis", Role.NATIONAL_ANALYST))
    assert figures(html, "province-persons") == []
    assert figures(html, "persons-total") == ["0"]
    assert figures(html, "centres-total") == ["0"]


def test_an_instructor_sees_the_centre_and_own_jobs(two_centres, handayani):
    instructor = make_user(
        "instruktur", Role.INSTRUCTOR, scope_level=ScopeLevel.FACILITY, facility=handayani
    )
    Job.objects.create(kind="export", title="x", created_by=instructor)
    html = home(instructor)
    assert figures(html, "facility") == ["Sentra Handayani"]
    assert figures(html, "persons") == ["2"]
    assert figures(html, "own-jobs") == ["1"]


@pytest.mark.parametrize("role", [Role.EMPLOYER, Role.STANDARDS_ASSESSOR])
def test_employers_and_assessors_see_centres_and_own_jobs_but_no_persons(role, two_centres):
    user = make_user("someone", role)
    html = home(user)
    assert figures(html, "centres") == ["2"]
    assert figures(html, "own-jobs") == ["0"]
    assert figures(html, "persons") == []


def test_large_numbers_are_grouped_in_the_page_language(db):
    admin = make_user("admin.nasional", Role.NATIONAL_ADMIN)
    Job.objects.bulk_create(
        [Job(kind="k", title="t", status=Job.Status.FAILED) for _ in range(1234)]
    )
    client = signed_in(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    assert figures(client.get("/").content.decode(), "jobs-failed") == ["1.234"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert figures(client.get("/").content.decode(), "jobs-failed") == ["1,234"]


def _queries_of_home(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("core:home")).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.PROVINCIAL_OFFICER, {"scope_level": ScopeLevel.PROVINCE, "province_code": "31"}),
        (Role.NATIONAL_ANALYST, {}),
        (Role.NATIONAL_ADMIN, {}),
    ],
)
def test_home_pages_do_not_query_per_row(role, scope, handayani, taruna_jaya):
    client = signed_in(make_user("someone", role, **scope))
    add_persons(2, village="31.75.10.1006", facility=handayani)
    client.get(reverse("core:home"))  # warm the session and the caches
    few = _queries_of_home(client)
    for i, village in enumerate(
        ["31.71.01.1001", "32.01.33.2001", "33.72.04.1010", "73.71.13.1006"]
    ):
        centre = make_centre(f"centre-{i}", village, ["PD", "LU"])
        add_persons(3, village=village, facility=centre)
        make_user(
            f"staff-{i}", Role.SOCIAL_WORKER, scope_level=ScopeLevel.FACILITY, facility=centre
        )
    assert _queries_of_home(client) == few


def test_the_home_page_asks_anonymous_visitors_to_sign_in(db):
    response = Client().get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


# ---- navigation ------------------------------------------------------------------------

STAFF_ONLY = {"users", "audit", "access_log", "admin"}


@pytest.mark.parametrize(
    "role",
    [
        Role.SOCIAL_WORKER,
        Role.FACILITY_HEAD,
        Role.INSTRUCTOR,
        Role.PROVINCIAL_OFFICER,
        Role.NATIONAL_ANALYST,
        Role.PARTNER_VIEWER,
        Role.EMPLOYER,
        Role.STANDARDS_ASSESSOR,
    ],
)
def test_the_navigation_shows_no_administration_to_other_roles(role, handayani):
    scope = {}
    if role in {Role.SOCIAL_WORKER, Role.FACILITY_HEAD, Role.INSTRUCTOR}:
        scope = {"scope_level": ScopeLevel.FACILITY, "facility": handayani}
    elif role == Role.PROVINCIAL_OFFICER:
        scope = {"scope_level": ScopeLevel.PROVINCE, "province_code": "31"}
    keys = nav_keys(home(make_user("someone", role, **scope)))
    assert not STAFF_ONLY & set(keys)
    assert keys[0] == "home"
    assert {"jobs", "account", "logout"} <= set(keys)


def test_the_navigation_of_a_national_admin_has_every_item(db):
    keys = nav_keys(home(make_user("admin.nasional", Role.NATIONAL_ADMIN, is_staff=True)))
    expected = [
        "home",
        "persons",
        "cases",
        "referrals",
        "duplicates",
        "imports",
        "centres",
        "standards",
        "workforce",
        "users",
        "audit",
        "access_log",
        "jobs",
        "instruments",
        "admin",
        "account",
        "logout",
    ]
    assert [key for key in keys if key != "regions"] == expected


def test_a_national_admin_without_the_second_factor_gets_only_log_out(db):
    admin = make_user("admin.nasional", Role.NATIONAL_ADMIN, is_staff=True)
    client = Client()
    client.force_login(admin)
    response = client.get(reverse("core:two_factor_setup"))
    assert response.status_code == 200
    assert nav_keys(response.content.decode()) == ["logout"]


def test_the_current_page_is_marked_in_the_navigation(db):
    html = home(make_user("analis", Role.NATIONAL_ANALYST))
    assert re.search(r'href="/" data-nav="home" aria-current="page"', html)


def test_anonymous_visitors_get_no_navigation_but_the_language_switch(db):
    html = Client().get(reverse(settings.LOGIN_URL)).content.decode()
    assert nav_keys(html) == []
    assert 'id="language-form"' in html


# ---- the shell itself ------------------------------------------------------------------


def test_the_shell_is_accessible_and_serves_its_assets_locally(db):
    html = home(make_user("analis", Role.NATIONAL_ANALYST), language="id")
    assert '<html lang="id">' in html
    assert 'href="#content"' in html
    for landmark in ("<header>", "<nav ", '<main id="content"', "<footer "):
        assert landmark in html
    assert "/static/bootstrap/css/bootstrap.min.css" in html
    assert "/static/bootstrap/js/bootstrap.bundle.min.js" in html
    assert "/static/django_htmx/htmx-2.min.js" in html
    # Every script and stylesheet comes from our own static files (no CDN); the random
    # CSRF tokens in the page are not searched, they may spell anything.
    assets = re.findall(r'<(?:script[^>]* src|link[^>]* href)="([^"]+)"', html)
    assert assets
    assert all(url.startswith("/static/") for url in assets), assets
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in html
    assert '<a href="https://www.npmjs.com/package/idn-area-data">idn-area-data</a>' in html
    assert ">ODbL</a>" in html


def test_the_static_assets_are_served(db):
    client = Client()
    for path in (
        "/static/bootstrap/css/bootstrap.min.css",
        "/static/rehsos/shell.css",
        "/static/django_htmx/htmx-2.min.js",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        b"".join(response.streaming_content)


def test_messages_are_shown_as_alerts(db):
    request = RequestFactory().get("/")
    SessionMiddleware(lambda r: None).process_request(request)
    MessageMiddleware(lambda r: None).process_request(request)
    request.user = make_user("analis", Role.NATIONAL_ANALYST)
    messages.error(request, "Something went wrong")
    messages.success(request, "Saved")
    html = render(request, "base.html").content.decode()
    assert re.search(r'alert alert-danger alert-dismissible"\s+role="alert">\s*Something', html)
    assert re.search(r'alert alert-success alert-dismissible"\s+role="status">\s*Saved', html)


# ---- the language switch ---------------------------------------------------------------


def test_switching_language_sets_the_cookie_and_the_users_language(db):
    user = make_user("analis", Role.NATIONAL_ANALYST)
    client = signed_in(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    assert '<html lang="id">' in client.get("/").content.decode()

    response = client.post(reverse("core:set_language"), {"language": "en", "next": "/?x=1"})

    assert response.status_code == 302
    assert response["Location"] == "/?x=1"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    user.refresh_from_db()
    assert user.language == "en"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "<title>Home · rehsos</title>" in html
    assert "Skip to main content" in html
    pressed = re.findall(r'value="(\w+)" lang="\w+"\s+class="[^"]+"\s+aria-pressed="true"', html)
    assert pressed == ["en"]


def test_an_anonymous_visitor_can_switch_language(db):
    client = Client()
    response = client.post(
        reverse("core:set_language"), {"language": "en", "next": reverse(settings.LOGIN_URL)}
    )
    assert response["Location"] == reverse(settings.LOGIN_URL)
    assert '<html lang="en">' in client.get(reverse(settings.LOGIN_URL)).content.decode()


def test_the_language_switch_never_redirects_off_site(db):
    response = Client().post(
        reverse("core:set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("core:home")


def test_an_unknown_language_changes_nothing(db):
    user = make_user("analis", Role.NATIONAL_ANALYST)
    response = signed_in(user).post(reverse("core:set_language"), {"language": "xx", "next": "/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    user.refresh_from_db()
    assert user.language == "id"


def test_the_language_switch_only_accepts_post(db):
    assert Client().get(reverse("core:set_language")).status_code == 405


# ---- rehsos serve ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _rehsos(database: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "REHSOS_ENV": "development"}
    return subprocess.Popen(
        [sys.executable, "-m", "rehsos.manage", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory) -> Path:
    database = tmp_path_factory.mktemp("serve") / "rehsos.sqlite3"
    migrate = _rehsos(database, "migrate", "--noinput")
    output, _ = migrate.communicate(timeout=120)
    assert migrate.returncode == 0, output
    return database


def _wait_for_health(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as reply:
                assert reply.status == 200
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("rehsos serve did not answer within 30 s")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_serve_runs_web_and_worker_and_stops_both(migrated_database):
    port = _free_port()
    serve = _rehsos(migrated_database, "serve", "--port", str(port), "--workers", "1")
    try:
        _wait_for_health(port, serve)
        children = _children(serve.pid)
        assert len(children) == 2
        serve.send_signal(signal.SIGTERM)
        output, _ = serve.communicate(timeout=20)
    finally:
        if serve.poll() is None:
            serve.kill()
    assert serve.returncode == 0, output
    assert f"rehsos is serving http://127.0.0.1:{port}/" in output
    assert "The task worker runs beside it." in output
    assert "rehsos stopped." in output
    assert not [pid for pid in children if _alive(pid)]


def test_serve_stops_everything_when_the_web_server_dies(migrated_database):
    port = _free_port()
    serve = _rehsos(migrated_database, "serve", "--port", str(port), "--workers", "1")
    try:
        _wait_for_health(port, serve)
        children = _children(serve.pid)
        web = next(
            pid for pid in children if "gunicorn" in Path(f"/proc/{pid}/cmdline").read_text()
        )
        os.kill(web, signal.SIGKILL)
        output, _ = serve.communicate(timeout=20)
    finally:
        if serve.poll() is None:
            serve.kill()
    assert serve.returncode == 1
    assert "the web server stopped unexpectedly" in output
    assert not [pid for pid in children if _alive(pid)]


def test_serve_refuses_an_unmigrated_database(tmp_path):
    serve = _rehsos(tmp_path / "empty.sqlite3", "serve", "--port", str(_free_port()))
    output, _ = serve.communicate(timeout=60)
    assert serve.returncode == 1
    assert "run `rehsos migrate` first" in output
