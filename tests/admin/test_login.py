"""Logging in, on /login/ and /admin/login/: only failed attempts count (django-axes), keyed by
account and address together and by address alone, so password guessing stops while a real
user elsewhere is never locked out."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

LIMIT = 3


def attempt(email: str, password: str, ip: str = "192.0.2.1", path: str = "/login/"):
    return Client().post(path, {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_login_and_logout(rep):
    client = Client()
    response = client.post("/login/", {"username": "REP@example.com", "password": "pw"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=LIMIT)
def test_successful_logins_are_never_counted(rep):
    # A whole office behind one address logs in, more often than the failure limit.
    for _ in range(LIMIT * 4):
        assert attempt("rep@example.com", "pw", ip="203.0.113.50").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=LIMIT)
def test_guessing_one_account_is_stopped_from_that_address_only(rep):
    for index in range(LIMIT - 1):
        assert attempt("rep@example.com", f"guess{index}", ip="198.51.100.9").status_code == 200
    # The failure that reaches the limit locks (this account, this address) out.
    assert attempt("rep@example.com", "last guess", ip="198.51.100.9").status_code == 429
    refused = attempt("rep@example.com", "pw", ip="198.51.100.9")
    assert refused.status_code == 429  # the right password, from the guessing address
    assert "Too many failed login attempts" in refused.content.decode()
    # The real user, from their own address, still gets in: the attacker cannot lock them out.
    assert attempt("rep@example.com", "pw", ip="192.0.2.77").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=LIMIT)
def test_one_address_trying_many_accounts_is_stopped(rep, other_rep):
    for index in range(LIMIT):
        attempt(f"nobody{index}@example.com", "x", ip="203.0.113.5")
    assert attempt("rep2@example.com", "pw", ip="203.0.113.5").status_code == 429
    assert attempt("rep2@example.com", "pw", ip="203.0.113.6").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=LIMIT)
def test_the_admin_login_is_throttled_too(admin_user):
    for index in range(LIMIT - 1):
        response = attempt("admin@example.com", f"guess{index}", path="/admin/login/")
        assert response.status_code == 200
    assert attempt("admin@example.com", "guess", path="/admin/login/").status_code == 429
    assert attempt("admin@example.com", "pw", path="/admin/login/").status_code == 429
    # Failures on either form count together: the same guesser is refused on /login/ too.
    assert attempt("admin@example.com", "pw").status_code == 429


@override_settings(AXES_FAILURE_LIMIT=LIMIT)
def test_a_success_clears_the_accounts_failures(rep):
    for index in range(LIMIT - 1):
        attempt("rep@example.com", f"typo{index}", ip="192.0.2.8")
    assert attempt("rep@example.com", "pw", ip="192.0.2.8").status_code == 302
    for index in range(LIMIT - 1):
        attempt("rep@example.com", f"typo again {index}", ip="192.0.2.8")
    assert attempt("rep@example.com", "pw", ip="192.0.2.8").status_code == 302
