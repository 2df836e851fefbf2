"""The role × endpoint matrix.

1. Every URL of ``rehsos.urls`` — pages and each operation of the ninja API —
   carries a permission rule (``@requires(action)`` or ``@public``); a new view
   without one fails ``test_every_endpoint_has_a_rule``. Django admin is checked
   on its own (it requires ``is_staff``); ninja's root route, which only ever
   answers 404, is the one other exception.
2. For every role (a user per role, in the scope the role requires) and every
   endpoint, the HTTP answer matches the table in ``rehsos.core.roles``:
   a role without the action gets 403 (a problem+json 403 from the API), a role
   with it does not (2xx, 3xx, 404, 405, 409 or 422 are all fine: the point is the
   permission decision, not the sample data). Pages are opened with GET, and with
   an empty POST when GET answers 405; API operations are called with each of
   their methods, an empty JSON object as the body.
3. Anonymous: a page with a rule redirects to the login page, an API operation
   answers 401.

API operations with required inputs: ninja validates the request before the
view runs, so an empty body can answer 422 before ``@requires`` has decided
anything. For those answers the matrix asks the decorator itself: it calls the
operation's view function (the ``@requires`` wrapper) with the same user and no
arguments. A refusal raises PermissionDenied before the view is reached; an
allowed user gets through the gate and the view, called without its arguments,
fails with TypeError before running a line. So every decision is still made by
the real decorator with the real user, never by reading the table twice.

National admins must pass the second factor: the matrix gives them a confirmed
TOTP device and marks the session verified the way ``django_otp.login`` does
(the device's persistent id under ``django_otp.DEVICE_ID_SESSION_KEY``).

URL parameters come from SAMPLES (kwarg name → a function of the test world
returning a valid value); an endpoint with an unknown kwarg fails with
"add a sample for <kwarg>".
"""

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, path, resolve, reverse
from django.urls.exceptions import Resolver404
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern
from django.utils.regex_helper import normalize
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from ninja import NinjaAPI, Router
from ninja.openapi.views import default_home
from ninja.operation import PathView

from rehsos.core.errors import PermissionDenied
from rehsos.core.models import ApiToken, Job
from rehsos.core.permissions import PUBLIC, public, requires, rule_of
from rehsos.core.roles import PERMISSIONS, REQUIRED_SCOPE, Role, ScopeLevel
from rehsos.core.tests.factories import FacilityFactory, PersonFactory, UserFactory

PROBLEM = "application/problem+json"
ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")
# Answers that show the permission gate let the request through.
PASSED = {*range(200, 400), 404, 405, 409, 422}


@dataclass(frozen=True)
class Endpoint:
    label: str  # the URL name (or route) and, for the API, the method
    route: str  # the route as written, e.g. "api/v1/regions/<code>"
    patterns: tuple  # the route's patterns from the root, to build a URL from samples
    view: Callable  # the function that carries the rule
    methods: tuple[str, ...]  # API: the operation's methods; pages: GET (then POST on 405)
    is_api: bool
    is_operation: bool = False  # an operation of a ninja router (not ninja's schema/docs)

    @property
    def rule(self) -> str | None:
        return rule_of(self.view)

    @property
    def parameters(self) -> list[str]:
        names = []
        for pattern in self.patterns:
            if isinstance(pattern, RoutePattern):
                names += [m["parameter"] for m in ROUTE_PARAMETER.finditer(str(pattern))]
            elif isinstance(pattern, RegexPattern):
                names += list(pattern.regex.groupindex)
        return names


def iter_patterns(patterns, trail=(), namespace="") -> Iterator[tuple[tuple, str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from iter_patterns(entry.url_patterns, (*trail, entry.pattern), inner)
        else:
            yield (*trail, entry.pattern), namespace, entry


def ninja_path_view(callback) -> PathView | None:
    """The ninja PathView behind one of ninja's URL callbacks (its closure holds it)."""
    code = getattr(callback, "__code__", None)
    if code is None or not callback.__closure__:
        return None
    cells = dict(zip(code.co_freevars, callback.__closure__, strict=True))
    candidate = cells["self"].cell_contents if "self" in cells else None
    return candidate if isinstance(candidate, PathView) else None


def is_exempt(route: str, namespace: str, callback) -> bool:
    if namespace.split(":")[0] == "admin":
        return True  # Django admin: checked by test_admin_site_requires_staff
    prefixes = [url.lstrip("/") for url in (settings.STATIC_URL, settings.MEDIA_URL) if url]
    if any(prefix and route.startswith(prefix) for prefix in prefixes):
        return True  # static and media files carry no data of ours
    # ninja's root route only ever raises 404 (test_api_shell checks the answer).
    return isinstance(callback, partial) and callback.func is default_home


def collect(urlpatterns) -> tuple[list[Endpoint], list[str]]:
    """Every endpoint under ``urlpatterns``, and one problem per endpoint without a rule."""
    endpoints, seen_path_views = [], set()
    for trail, namespace, pattern in iter_patterns(urlpatterns):
        route = "".join(str(p) for p in trail)
        if is_exempt(route, namespace, pattern.callback):
            continue
        name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
        path_view = ninja_path_view(pattern.callback)
        if path_view is not None:
            # ninja adds one URL per operation of a path, each serving all of them.
            if id(path_view) in seen_path_views:
                continue
            seen_path_views.add(id(path_view))
            for operation in path_view.operations:
                endpoints.append(
                    Endpoint(
                        label=f"{' '.join(operation.methods)} /{route} "
                        f"({operation.view_func.__name__})",
                        route=route,
                        patterns=trail,
                        view=operation.view_func,
                        methods=tuple(operation.methods),
                        is_api=True,
                        is_operation=True,
                    )
                )
        else:
            endpoints.append(
                Endpoint(
                    label=f"/{route} ({name or 'unnamed'})",
                    route=route,
                    patterns=trail,
                    view=pattern.callback,
                    methods=("GET",),
                    is_api=route.startswith("api/"),
                )
            )
    problems = [
        f"{endpoint.label}: no permission rule; mark the view with @requires(action) or @public"
        for endpoint in endpoints
        if endpoint.rule is None
    ]
    return endpoints, problems


def build_url(endpoint: Endpoint, values: dict[str, str]) -> str:
    parts = []
    for pattern in endpoint.patterns:
        if isinstance(pattern, RoutePattern):
            parts.append(ROUTE_PARAMETER.sub(lambda m: values[m["parameter"]], str(pattern)))
        elif isinstance(pattern, RegexPattern):
            template, names = normalize(pattern.regex.pattern)[0]
            parts.append(template % {name: values[name] for name in names})
        elif isinstance(pattern, LocalePrefixPattern):
            parts.append(pattern.language_prefix)
        else:
            raise TypeError(f"unknown URL pattern type {type(pattern).__name__}")
    return "/" + "".join(parts)


# ---- the world the samples point into -------------------------------------------------


@dataclass
class World:
    handayani: object
    galih_pakuan: object
    person: object  # registered at Handayani
    other_user: object  # a social worker of Galih Pakuan: nobody's own record in the matrix
    other_token: ApiToken
    other_job: Job


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    # The matrix makes a user per role and never checks a password: skip PBKDF2's cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db) -> World:
    handayani = FacilityFactory(
        code="brsampk-handayani", name="Sentra Handayani", region_id="31.75.03.1001"
    )
    galih_pakuan = FacilityFactory(
        code="brskpn-galih-pakuan", name="Sentra Galih Pakuan", region_id="32.01.01.1001"
    )
    other_user = UserFactory(
        username="matrix.other",
        role=Role.SOCIAL_WORKER,
        scope_level=ScopeLevel.FACILITY,
        facility=galih_pakuan,
    )
    token, _raw = ApiToken.issue(other_user, "matrix sample")
    job = Job.objects.create(kind="matrix", title="Matrix sample", created_by=other_user)
    return World(
        handayani=handayani,
        galih_pakuan=galih_pakuan,
        person=PersonFactory(facility=handayani, village_id="31.75.03.1001"),
        other_user=other_user,
        other_token=token,
        other_job=job,
    )


# A valid value for each URL kwarg name the project uses. The rows are not the
# persona's own (another user's token and job, ids that match nothing), so an
# allowed role may well get 404: that still shows the gate let it through.
# concrete_url() checks that the values give a URL of the same route.
SAMPLES: dict[str, Callable[[World], str]] = {
    "code": lambda w: "31",  # a region: the province of DKI Jakarta
    "public_id": lambda w: str(w.person.public_id),  # a person at Handayani
    "job_id": lambda w: str(w.other_job.public_id),
    "pk": lambda w: str(w.other_user.pk),
    "token_id": lambda w: str(w.other_token.pk),
    "pair_id": lambda w: "1",  # no pair or merge exists: an allowed role gets 404
    "merge_id": lambda w: "1",
    "import_id": lambda w: str(uuid.UUID(int=1)),  # no such import: 404 when allowed
    "language": lambda w: "id",
    "fmt": lambda w: "csv",
    "plan_id": lambda w: str(uuid.UUID(int=1)),  # no such plan: 404 when allowed
    "service_id": lambda w: "1",  # no such service record: 404 when allowed
    "session_id": lambda w: str(uuid.UUID(int=1)),  # no such group session
    "note_id": lambda w: "1",  # no such note, file or task: 404 when allowed
    "attachment_id": lambda w: "1",
    "task_id": lambda w: str(uuid.UUID(int=1)),
    "number": lambda w: "1",  # an instrument version ("31" is no instrument: 404 when allowed)
    "photo_id": lambda w: "1",  # a centre's photo ("31" is no centre: 404 when allowed)
    "criterion": lambda w: "ACC-01",  # a catalogue criterion's code (no catalogue "31": 404)
}


def sample_values(endpoint: Endpoint, world: World) -> tuple[dict[str, str], list[str]]:
    values, problems = {}, []
    for name in endpoint.parameters:
        if name in SAMPLES:
            values[name] = SAMPLES[name](world)
        else:
            problems.append(f"{endpoint.label}: add a sample for {name} to SAMPLES in {__name__}")
    return values, problems


def concrete_url(endpoint: Endpoint, world: World) -> tuple[str | None, list[str]]:
    values, problems = sample_values(endpoint, world)
    if problems:
        return None, problems
    url = build_url(endpoint, values)
    try:
        match = resolve(url)
    except Resolver404:
        return None, [f"{endpoint.label}: the samples {values} give {url}, which does not resolve"]
    if match.route != endpoint.route:
        return None, [f"{endpoint.label}: the samples give {url}, which resolves to {match.route}"]
    return url, []


# ---- signing in as a role --------------------------------------------------------------


def persona(role: str, world: World):
    scope = REQUIRED_SCOPE[role]
    extra = {}
    if scope == ScopeLevel.FACILITY:
        extra["facility"] = world.handayani
    elif scope == ScopeLevel.PROVINCE:
        extra["province_code"] = "31"
    return UserFactory(username=f"matrix.{role}", role=role, scope_level=scope, **extra)


def page_client(user) -> Client:
    """A browser session for ``user``, second factor passed when the role requires it."""
    client = Client()
    client.force_login(user)
    if user.requires_two_factor:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="matrix", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def api_client(user) -> Client:
    _token, raw = ApiToken.issue(user, "matrix")
    return Client(headers={"authorization": f"Bearer {raw}"})


def send(client: Client, method: str, url: str) -> HttpResponse:
    if method in {"POST", "PUT", "PATCH"}:
        return client.generic(method, url, "{}", content_type="application/json")
    return client.generic(method, url)


def gate_lets_through(endpoint: Endpoint, user, method: str, url: str) -> bool:
    """Ask the @requires wrapper of an API operation directly (see the module doc)."""
    request = RequestFactory().generic(method, url)
    request.user = user
    request.auth = user
    try:
        endpoint.view(request)
    except PermissionDenied:
        return False
    except TypeError:
        return True  # through the gate; the view itself wanted its arguments
    return True


def login_paths() -> tuple[str, ...]:
    return (
        reverse(settings.LOGIN_URL),
        reverse("core:two_factor"),
        reverse("core:two_factor_setup"),
    )


def check_page(endpoint: Endpoint, user, url: str, allowed: bool) -> list[str]:
    client = page_client(user)
    try:
        response = client.get(url)
        method = "GET"
        if response.status_code == 405:
            client = page_client(user)
            response = client.post(url, {})
            method = "POST"
    except Exception as exc:  # the matrix reports every endpoint, not only the first
        return [f"{endpoint.label} as {user.role}: raised {type(exc).__name__}: {exc}"]
    status = response.status_code
    where = f"{endpoint.label} {method} as {user.role}"
    if not allowed:
        return [] if status == 403 else [f"{where}: expected 403, got {status}"]
    if status not in PASSED:
        return [f"{where}: expected to pass the permission check, got {status}"]
    location = response.headers.get("Location", "")
    if endpoint.rule != PUBLIC and status in {301, 302} and location.startswith(login_paths()):
        return [f"{where}: sent to {location} although signed in and verified"]
    return []


def check_api(endpoint: Endpoint, user, client: Client, url: str, allowed: bool) -> list[str]:
    problems = []
    for method in endpoint.methods:
        where = f"{endpoint.label} {method} as {user.role}"
        try:
            response = send(client, method, url)
        except Exception as exc:  # the matrix reports every endpoint, not only the first
            problems.append(f"{where}: raised {type(exc).__name__}: {exc}")
            continue
        status = response.status_code
        if status == 422:
            passed = gate_lets_through(endpoint, user, method, url)
            if passed != allowed:
                problems.append(f"{where}: the @requires gate answered {passed}, not {allowed}")
        elif not allowed:
            if status != 403 or response.headers.get("Content-Type") != PROBLEM:
                problems.append(
                    f"{where}: expected 403 problem+json, got {status} "
                    f"{response.headers.get('Content-Type')}"
                )
        elif status not in PASSED:
            problems.append(f"{where}: expected to pass the permission check, got {status}")
    return problems


def may(role: str, endpoint: Endpoint) -> bool:
    return endpoint.rule == PUBLIC or endpoint.rule in PERMISSIONS[role]


def project_endpoints() -> list[Endpoint]:
    endpoints, _problems = collect(get_resolver().url_patterns)
    return [e for e in endpoints if e.rule is not None]


# ---- the tests --------------------------------------------------------------------------


def test_every_endpoint_has_a_rule():
    endpoints, problems = collect(get_resolver().url_patterns)
    assert not problems, "\n".join(problems)
    assert any(e.is_api for e in endpoints), "the walk found no API operation"
    assert any(not e.is_api for e in endpoints), "the walk found no page"


def test_every_rule_names_a_known_action():
    known = {PUBLIC}.union(*PERMISSIONS.values())
    unknown = [f"{e.label}: {e.rule}" for e in project_endpoints() if e.rule not in known]
    assert not unknown, "\n".join(unknown)


def test_the_matrix_fails_for_a_view_without_a_rule():
    def unmarked_page(request):
        return HttpResponse("no rule")

    @public
    def marked_page(request):
        return HttpResponse("public")

    router = Router()

    @router.get("/unmarked")
    def unmarked_operation(request):
        return {}

    @router.get("/marked")
    @requires("home.view")
    def marked_operation(request):
        return {}

    api = NinjaAPI(urls_namespace=f"matrix-{uuid.uuid4().hex}", docs_decorator=public)
    api.add_router("/", router)
    patterns = [
        path("fake/", unmarked_page, name="fake"),
        path("fine/", marked_page, name="fine"),
        path("fake-api/", api.urls),
    ]
    endpoints, problems = collect(patterns)
    assert [e.label for e in endpoints] == [
        "/fake/ (fake)",
        "/fine/ (fine)",
        f"/fake-api/openapi.json ({api.urls_namespace}:openapi-json)",
        f"/fake-api/docs ({api.urls_namespace}:openapi-view)",
        "GET /fake-api/unmarked (unmarked_operation)",
        "GET /fake-api/marked (marked_operation)",
    ]
    assert problems == [
        "/fake/ (fake): no permission rule; mark the view with @requires(action) or @public",
        "GET /fake-api/unmarked (unmarked_operation): no permission rule; "
        "mark the view with @requires(action) or @public",
    ]


def test_an_unknown_url_parameter_asks_for_a_sample(world):
    patterns = [path("thing/<int:mystery>/", public(lambda request: HttpResponse()), name="t")]
    endpoints, problems = collect(patterns)
    assert not problems, "\n".join(problems)
    _values, sample_problems = sample_values(endpoints[0], world)
    assert sample_problems == [
        f"/thing/<int:mystery>/ (t): add a sample for mystery to SAMPLES in {__name__}"
    ]


@pytest.mark.parametrize("role", list(Role))
def test_role_matrix(role, world):
    user = persona(role, world)
    api = api_client(user)
    problems = []
    for endpoint in project_endpoints():
        url, url_problems = concrete_url(endpoint, world)
        problems += url_problems
        if url is None:
            continue
        allowed = may(role, endpoint)
        if endpoint.is_api:
            problems += check_api(endpoint, user, api, url, allowed)
        else:
            problems += check_page(endpoint, user, url, allowed)
    assert not problems, "\n".join(problems)


def test_anonymous_matrix(world):
    problems = []
    login = reverse(settings.LOGIN_URL)
    for endpoint in project_endpoints():
        url, url_problems = concrete_url(endpoint, world)
        problems += url_problems
        if url is None:
            continue
        client = Client()
        for method in endpoint.methods:
            where = f"{endpoint.label} {method} anonymous"
            try:
                response = send(client, method, url)
                if not endpoint.is_api and response.status_code == 405:
                    method = "POST"
                    response = send(client, method, url)
            except Exception as exc:  # the matrix reports every endpoint
                problems.append(f"{where}: raised {type(exc).__name__}: {exc}")
                continue
            status = response.status_code
            if endpoint.rule == PUBLIC:
                if status in {401, 403} or status >= 500:
                    problems.append(f"{where}: public, but answered {status}")
            elif endpoint.is_api:
                if status == 422:
                    if gate_lets_through(endpoint, AnonymousUser(), method, url):
                        problems.append(f"{where}: the @requires gate let an anonymous user in")
                elif status != 401 or response.headers.get("Content-Type") != PROBLEM:
                    problems.append(f"{where}: expected 401 problem+json, got {status}")
            elif status != 302 or not response.headers["Location"].startswith(login):
                problems.append(
                    f"{where}: expected a redirect to {login}, got {status} "
                    f"{response.headers.get('Location', '')}"
                )
    assert not problems, "\n".join(problems)


def test_admin_site_requires_staff(world):
    admin_login = reverse("admin:login")
    for role in Role:
        user = persona(role, world)
        response = page_client(user).get(reverse("admin:index"))
        assert response.status_code == 302, role
        assert response.headers["Location"].startswith(admin_login), role
    anonymous = Client().get(reverse("admin:index"))
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith(admin_login)

    staff = persona(Role.NATIONAL_ADMIN, world)
    staff.is_staff = True
    staff.is_superuser = True
    staff.save(update_fields=["is_staff", "is_superuser"])
    assert page_client(staff).get(reverse("admin:index")).status_code == 200


def test_an_unverified_national_admin_is_sent_to_the_second_factor(world):
    admin = persona(Role.NATIONAL_ADMIN, world)
    client = Client()
    client.force_login(admin)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("core:two_factor"))
    assert page_client(admin).get(reverse("core:home")).status_code == 200
