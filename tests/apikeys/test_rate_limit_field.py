"""The new-key form's rate limit: one range (1 to 1,000,000), said once, in the page's input
and in its message, whatever side of it the number falls."""

import html
import re

import pytest

from apikeys.models import APIKey
from tests.ui.conftest import logged_in

pytestmark = pytest.mark.django_db

NEW = "/settings/integrations/api/new/"


def test_the_input_starts_at_one_and_holds_the_default(admin_user, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 120
    page = logged_in(admin_user).get(NEW).content.decode()
    field = re.search(r'<input[^>]*name="rate_limit_per_minute"[^>]*>', page).group(0)
    assert 'min="1"' in field
    assert 'max="1000000"' in field
    assert 'value="120"' in field


@pytest.mark.parametrize("limit", ["-1", "0"])
def test_below_one_gets_the_same_message(admin_user, limit):
    client = logged_in(admin_user)
    response = client.post(
        NEW,
        {"name": "Dialer", "user": admin_user.pk, "can_read": "on", "rate_limit_per_minute": limit},
    )
    page = html.unescape(response.content.decode())
    assert "Ensure this value is greater than or equal to 1." in page
    assert not APIKey.objects.exists()
