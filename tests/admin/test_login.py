import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def attempt(client: Client, email: str, password: str, ip: str = "192.0.2.1"):
    return client.post("/login/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_login_and_logout(rep):
    client = Client()
    response = attempt(client, "REP@example.com", "pw")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


@override_settings(LOGIN_ATTEMPTS_PER_MINUTE=3)
def test_password_guessing_is_slowed_per_account_and_per_address(rep, other_rep):
    client = Client()
    assert [attempt(client, "rep@example.com", f"guess{i}").status_code for i in range(3)] == [
        200, 200, 200,
    ]  # fmt: skip
    refused = attempt(client, "rep@example.com", "pw", ip="198.51.100.9")
    assert refused.status_code == 429  # the right password, but the account is cooling down
    assert "Too many login attempts" in refused.content.decode()
    # Another account from a fresh address is unaffected.
    assert attempt(Client(), "rep2@example.com", "pw", ip="198.51.100.10").status_code == 302
    # One address trying many accounts is limited too.
    for index in range(3):
        attempt(Client(), f"nobody{index}@example.com", "x", ip="203.0.113.5")
    assert attempt(Client(), "rep2@example.com", "pw", ip="203.0.113.5").status_code == 429
