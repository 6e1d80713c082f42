import ipaddress

import pytest
from django.test import override_settings

from apikeys.allowlist import is_allowed, parse_allowlist
from core.http import client_address, parse_address

LEADS = "/api/v1/leads"
PROXY = [ipaddress.ip_network("10.0.0.0/8")]


# --- The pure rules -----------------------------------------------------------------------


def test_allowlist_entries_are_validated_and_normalized():
    assert parse_allowlist([" 203.0.113.7 ", "10.0.0.0/8", "2001:DB8::/32", "", "10.0.0.0/8"]) == [
        "203.0.113.7/32",
        "10.0.0.0/8",
        "2001:db8::/32",
    ]


@pytest.mark.parametrize("bad", ["10.0.0.1/8", "300.1.1.1", "example.com", "10.0.0.0/33", "::g"])
def test_bad_allowlist_entries_name_the_entry(bad):
    with pytest.raises(ValueError, match=bad.replace(".", r"\.")):
        parse_allowlist([bad])


def test_ipv4_mapped_ipv6_is_treated_as_ipv4():
    assert str(parse_address("::ffff:203.0.113.7")) == "203.0.113.7"
    assert is_allowed(parse_address("::ffff:203.0.113.7"), ["203.0.113.0/24"])
    assert parse_allowlist(["::ffff:203.0.113.0/120"]) == ["203.0.113.0/24"]


def test_forwarded_for_is_ignored_unless_the_connection_is_a_trusted_proxy():
    assert str(client_address("198.51.100.1", "203.0.113.7", [])) == "198.51.100.1"
    assert str(client_address("198.51.100.1", "203.0.113.7", PROXY)) == "198.51.100.1"
    assert str(client_address("10.0.0.2", "203.0.113.7", PROXY)) == "203.0.113.7"


def test_forwarded_for_is_walked_from_the_right_past_trusted_proxies():
    # The client prepended a fake address; the proxies appended the real one and themselves.
    chain = "1.2.3.4, 203.0.113.7, 10.0.0.9"
    assert str(client_address("10.0.0.2", chain, PROXY)) == "203.0.113.7"
    assert str(client_address("10.0.0.2", "garbage, 203.0.113.7", PROXY)) == "203.0.113.7"
    assert str(client_address("10.0.0.2", "", PROXY)) == "10.0.0.2"


# --- Through the API ----------------------------------------------------------------------


@pytest.mark.django_db
def test_empty_allowlist_allows_everyone(rep, client_for):
    client = client_for(rep, allowed_ips=[])
    assert client.get(LEADS, REMOTE_ADDR="192.0.2.55").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("203.0.113.7", 200),
        ("198.51.100.20", 200),
        ("198.51.100.200", 403),
        ("192.0.2.1", 403),
        ("2001:db8::1", 200),
        ("2001:db9::1", 403),
        ("::ffff:203.0.113.7", 200),
    ],
)
def test_allowlist_inside_and_outside(rep, client_for, remote, expected):
    client = client_for(rep, allowed_ips=["203.0.113.7", "198.51.100.0/25", "2001:db8::/32"])
    response = client.get(LEADS, REMOTE_ADDR=remote)
    assert response.status_code == expected
    if expected == 403:
        assert response.json()["error"]["code"] == "forbidden"
        assert "not allowed" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_spoofed_forwarded_for_does_not_pass_the_allowlist(rep, client_for):
    client = client_for(rep, allowed_ips=["203.0.113.7"])
    response = client.get(LEADS, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert response.status_code == 403


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=PROXY)
def test_forwarded_for_from_a_trusted_proxy_is_believed(rep, client_for):
    client = client_for(rep, allowed_ips=["203.0.113.7"])
    allowed = client.get(LEADS, REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert allowed.status_code == 200
    spoofed = client.get(
        LEADS, REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="203.0.113.7, 192.0.2.1"
    )
    assert spoofed.status_code == 403
