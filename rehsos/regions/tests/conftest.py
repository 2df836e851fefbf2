import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from rehsos.core.models import ApiToken


@pytest.fixture
def english():
    """Messages are asserted in the English source; Indonesian is the site default."""
    with translation.override("en"):
        yield


@pytest.fixture
def api(social_worker) -> Client:
    """The API as a social worker of Sentra Handayani, with a personal token."""
    _token, raw = ApiToken.issue(social_worker, "regions tests")
    client = Client(headers={"authorization": f"Bearer {raw}", "accept-language": "en"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def pages(social_worker) -> Client:
    """The pages as a signed-in social worker, in English."""
    client = Client(headers={"accept-language": "en"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(social_worker)
    return client
