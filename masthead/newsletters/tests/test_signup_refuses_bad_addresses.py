"""The signup form answers a malformed or over-long address with a clear 400 and signs nothing up."""

import pytest

from masthead.newsletters.models import Signup
from masthead.newsletters.tests.conftest import make_newsletter

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "address",
    ["", "not-an-address", "a@b", "zoe@example.com\r\nBcc: x@example.com", "r" * 250 + "@example.com"],
    ids=["empty", "no-at", "no-domain-dot", "line-break", "over-254"],
)
def test_it_refuses_a_bad_address(client, tasks_now, address):
    make_newsletter(slug="briefing")
    response = client.post("/newsletters/signup/", {"email": address, "newsletter": "briefing"})
    assert response.status_code == 400
    assert not Signup.objects.exists()
