"""The SSRF guard: a URL whose host resolves to a loopback, private, link-local, multicast,
unspecified or reserved address (IPv4 or IPv6, IPv4-mapped included) is refused when subscribing
and, if it comes to resolve there later, at delivery; the request goes to the address checked."""

import socket

import pytest

from core.errors import ServiceError
from events.services import Actor
from webhooks import rules
from webhooks.models import Attempt, Message, MessageState
from webhooks.services import webhook_create

from .conftest import drain

pytestmark = pytest.mark.django_db

REFUSED = [
    "http://127.0.0.1/x",
    "http://127.8.9.10:8080/x",
    "http://10.1.2.3/x",
    "http://172.16.0.1/x",
    "http://192.168.1.1/x",
    "http://169.254.169.254/latest/meta-data",  # cloud metadata (link-local)
    "http://0.0.0.0/x",
    "http://224.0.0.1/x",
    "http://240.0.0.1/x",
    "http://100.64.0.1/x",  # carrier-grade NAT: not public
    "http://[::1]/x",
    "http://[::]/x",
    "http://[fe80::1]/x",
    "http://[fc00::1]/x",
    "http://[ff02::1]/x",
    "http://[::ffff:127.0.0.1]/x",
    "http://[::ffff:10.0.0.1]/x",
    "http://[::ffff:169.254.169.254]/x",
    "http://[2002:7f00:1::]/x",  # 6to4 of 127.0.0.1
    "http://[::1%25lo]:8498/x",  # with a zone: judged as written, not looked up
    "http://[fe80::1%25eth0]/x",
    "http://localhost/x",  # a name that resolves to 127.0.0.1
]


@pytest.fixture(autouse=True)
def _guard_on(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False


@pytest.mark.parametrize("url", REFUSED)
def test_a_url_resolving_to_a_non_public_address_is_refused_at_subscription(admin_api, url):
    response = admin_api.post_json("/api/v1/webhooks", {"url": url, "events": ["*"]})
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["field"] == "url"
    assert "public" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "url",
    [
        "https://93.184.216.34/hooks",
        "https://[2606:4700:4700::1111]/hooks",
        "https://hooks.example.invalid/crm",  # does not resolve now: accepted, checked later
    ],
)
def test_public_addresses_and_unresolvable_names_are_accepted(admin_api, url):
    response = admin_api.post_json("/api/v1/webhooks", {"url": url, "events": ["*"]})
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("ftp://example.com/x", "url"),
        ("https://user:pw@example.com/x", "url"),
        ("https://example.com/x#frag", "url"),
        ("https://exa mple.com/x", "url"),
        ("https://example.com/" + "a" * 2000, "url"),
        ("https:///nohost", "url"),
        ("https://example.com:99999/x", "url"),
        ("https://example.com/\x00", "url"),
        ("//example.com/x", "url"),
        ("https://example.com:0/x", "url"),
    ],
)
def test_malformed_urls_are_a_400_on_url(admin_api, url, field):
    response = admin_api.post_json("/api/v1/webhooks", {"url": url, "events": ["*"]})
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["field"] == field


def test_a_name_that_comes_to_resolve_to_loopback_fails_the_attempt_with_the_reason(
    admin_user, monkeypatch, receiver
):
    subscription = webhook_create(
        actor=Actor.system(admin_user), url="http://hooks.example.invalid:1/x", events=["*"]
    ).subscription
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):  # DNS now answers 127.0.0.1 for the name
        if host == "hooks.example.invalid":
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(rules.socket, "getaddrinfo", rebinding)
    from webhooks.outbox import ping_message

    ping_message(subscription)
    drain()
    attempts = list(Attempt.objects.all())
    assert len(attempts) == 3  # every attempt of the schedule refused, none sent
    assert all(
        attempt.error.startswith("Refused: hooks.example.invalid → 127.0.0.1, a loopback address")
        for attempt in attempts
    )
    assert all(attempt.status is None for attempt in attempts)
    assert Message.objects.get().state == MessageState.FAILED
    assert receiver.received == []


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("8.8.8.8", False),
        ("2001:4860:4860::8888", False),
        ("::ffff:8.8.8.8", False),
        ("::ffff:192.168.0.1", True),
        ("::127.0.0.1", True),  # deprecated IPv4-compatible form
        ("fe80::1%eth0", True),
        ("198.18.0.1", True),  # benchmarking range
        ("192.0.2.1", True),  # documentation range
        ("fec0::1", True),  # site-local (deprecated)
        ("192.88.99.1", True),  # 6to4 relay anycast
        ("3fff::1", True),  # IPv6 documentation (2024)
    ],
)
def test_refusal_judges_mapped_and_scoped_addresses(address, refused):
    assert (rules.refusal(address) is not None) is refused


def test_the_connection_goes_to_the_checked_address_with_the_host_header(
    admin_user, monkeypatch, receiver, settings
):
    """No second DNS lookup: the name is resolved once, checked, and that address is dialled;
    the receiver still sees the name in Host."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    port = receiver.server.server_address[1]
    real = socket.getaddrinfo
    lookups = []

    def resolver(host, *args, **kwargs):
        lookups.append(host)
        if host == "receiver.test":
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    created = webhook_create(
        actor=Actor.system(admin_user), url=f"http://receiver.test:{port}/hooks", events=["*"]
    )
    receiver.secret = created.secret
    lookups.clear()
    from webhooks.outbox import ping_message

    ping_message(created.subscription)
    drain()
    [got] = receiver.wait_for(1)
    assert got.verified
    assert got.headers["host"] == f"receiver.test:{port}"
    assert lookups.count("receiver.test") == 1


def test_redirects_are_not_followed(admin_user, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    created = webhook_create(actor=Actor.system(admin_user), url=receiver.url, events=["*"])
    receiver.answer(302, 302, 302, headers={"Location": "http://169.254.169.254/"})
    from webhooks.outbox import ping_message

    ping_message(created.subscription)
    drain()
    assert len(receiver.wait_for(3)) == 3
    assert [attempt.status for attempt in Attempt.objects.all()] == [302, 302, 302]
    assert Message.objects.get().state == MessageState.FAILED


def test_clean_url_raises_a_service_error_naming_url():
    with pytest.raises(ServiceError) as error:
        rules.clean_url("http://127.0.0.1/")
    assert error.value.field == "url"
