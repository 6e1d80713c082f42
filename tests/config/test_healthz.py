"""/healthz answers load balancers whatever Host they send, and says when the database is down."""

import pytest
from django.db import connection, connections
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["10.0.3.7", "10.0.3.7:8000", "unknown.example", "[fd00::1]"])
def test_healthz_answers_ok_whatever_the_host(host):
    response = Client().get("/healthz", HTTP_HOST=host)
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")


@override_settings(DEBUG=False, SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["crm.example.com"])
def test_healthz_is_not_redirected_to_https_nor_refused_for_its_host():
    response = Client().get("/healthz", HTTP_HOST="10.0.3.7")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_healthz_is_503_when_the_database_does_not_answer(monkeypatch):
    def refuse(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(type(connections["default"]), "cursor", refuse)
    response = Client().get("/healthz", HTTP_HOST="10.0.3.7")
    assert response.status_code == 503
    assert response.content == b"database unavailable"
