import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from apikeys.models import APIKey
from tests.conftest import KeyClient

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_prints_the_raw_key_alone_on_the_last_line_and_creates_the_user():
    output = run("--email", "IVR@Example.com")
    raw = output.strip().splitlines()[-1]
    assert raw.startswith("le_live_")
    assert " " not in raw
    user = User.objects.get(email="ivr@example.com")
    assert not user.is_admin
    key = APIKey.objects.get(user=user)
    assert (key.can_read, key.can_write, key.can_delete) == (True, False, False)
    assert KeyClient(raw).get("/api/v1/leads").status_code == 200


def test_all_options():
    output = run(
        "--email", "ops@example.com", "--admin", "--permissions", "read,write,delete",
        "--allow-ip", "10.0.0.0/8", "--allow-ip", "2001:db8::/32", "--rate-limit", "250",
        "--name", "Dialer",
    )  # fmt: skip
    key = APIKey.objects.get(name="Dialer")
    assert key.user.is_admin
    assert (key.can_read, key.can_write, key.can_delete) == (True, True, True)
    assert key.allowed_ips == ["10.0.0.0/8", "2001:db8::/32"]
    assert key.rate_limit_per_minute == 250
    assert key.hashed_key not in output


def test_existing_user_is_reused():
    User.objects.create_user("rep@example.com", "pw")
    run("--email", "rep@example.com", "--permissions", "write")
    run("--email", "rep@example.com")
    assert User.objects.count() == 1
    assert APIKey.objects.filter(user__email="rep@example.com").count() == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--permissions", "read,admin"],
        ["--permissions", ""],
        ["--allow-ip", "10.0.0.1/8"],
        ["--rate-limit", "0"],
        ["--email", "a b@@"],
        ["--email", "not-an-email"],
        ["--email", ""],
        ["--email", "a" * 250 + "@example.com"],  # longer than the column
    ],
)
def test_bad_options_are_errors_not_keys(args):
    with pytest.raises(CommandError):
        run("--email", "x@example.com", *args)
    assert not APIKey.objects.exists()
    assert not User.objects.exists()


def test_admin_flag_does_not_promote_an_existing_rep():
    User.objects.create_user("rep@example.com", "pw")
    with pytest.raises(CommandError, match="not an admin"):
        run("--email", "rep@example.com", "--admin")
