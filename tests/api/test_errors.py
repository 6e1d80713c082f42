"""Every error under /api/ is the JSON envelope {"error": {"code", "message", "field"?}}."""

import json

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client, RequestFactory, override_settings

from api.v1.leads import LeadViewSet
from tests.conftest import KeyClient
from tests.dbsession import end_this_session
from tests.factories import make_key

pytestmark = pytest.mark.django_db

CODES = {
    "invalid_request", "unauthorized", "forbidden", "not_found", "method_not_allowed",
    "conflict", "rate_limit_exceeded", "server_error", "idempotency_key_reused",
    "service_unavailable",
}  # fmt: skip


def envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) <= {"code", "message", "field"}
    assert error["code"] == code
    assert code in CODES
    assert isinstance(error["message"], str)
    assert error["message"]
    return error


@pytest.mark.parametrize(
    "path",
    ["/api/", "/api/v1/", "/api/v2/leads", "/api/v1/contacts", "/api/v1/leads/1/calls",
     "/api/v1/leads.html", "/api/v1/leads/<script>"],
)  # fmt: skip
def test_unknown_routes_are_json_404s(admin_api, path):
    envelope(admin_api.get(path), 404, "not_found")


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_routes_are_json_also_with_debug_on(admin_api, debug):
    with override_settings(DEBUG=debug):
        envelope(admin_api.get("/api/nothing-here"), 404, "not_found")


def test_method_not_allowed(admin_api):
    error = envelope(admin_api.put("/api/v1/leads", {}, format="json"), 405, "method_not_allowed")
    assert "PUT" in error["message"]
    envelope(admin_api.patch("/api/v1/call-logs", {}, format="json"), 405, "method_not_allowed")


def test_401_403_404_409_429(admin_user, rep, other_rep, client_for):
    envelope(KeyClient().get("/api/v1/leads"), 401, "unauthorized")
    envelope(client_for(rep, permissions="read").delete("/api/v1/leads/x"), 403, "forbidden")
    envelope(client_for(rep).get("/api/v1/leads/00000000-0000-4000-8000-000000000000"), 404,
             "not_found")  # fmt: skip
    client_for(other_rep).post_json("/api/v1/leads", {"name": "a", "phone": "9876543210"})
    envelope(
        client_for(rep).post_json("/api/v1/leads", {"name": "a", "phone": "9876543210"}),
        409,
        "conflict",
    )
    limited = client_for(rep, rate_limit=1)
    limited.get("/api/v1/leads")
    envelope(limited.get("/api/v1/leads"), 429, "rate_limit_exceeded")


@pytest.mark.parametrize("debug", [False, True])
def test_unexpected_errors_are_json_500s_without_details(admin_api, monkeypatch, debug, caplog):
    def explode(self, request, *args, **kwargs):
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr(LeadViewSet, "list", explode)
    with override_settings(DEBUG=debug):
        error = envelope(admin_api.get("/api/v1/leads"), 500, "server_error")
    assert "secret" not in error["message"]
    assert "ZeroDivisionError" in caplog.text


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"name": "a", ', "application/json", 400),
        (b"{'name': 'single quotes'}", "application/json", 400),
        (b'{"name": NaN, "phone": "9876543210"}', "application/json", 400),
        (b"[" * 5000 + b"]" * 5000, "application/json", 400),
        (b'{"a":' * 3000 + b"1" + b"}" * 3000, "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"[]", "application/json", 400),
        (b'"just a string"', "application/json", 400),
        (b"null", "application/json", 400),
        (b"name=a&phone=9876543210", "application/x-www-form-urlencoded", 415),
        (b"name,phone\na,9876543210", "text/csv", 415),
        (b'{"name": "a", "phone": "9876543210"}', "text/plain", 415),
    ],
)
def test_malformed_bodies_are_clear_4xx(admin_api, body, content_type, status):
    response = admin_api.generic("POST", "/api/v1/leads", body, content_type=content_type)
    error = envelope(response, status, "invalid_request")
    assert error["message"]


def test_missing_content_type_is_415(admin_api):
    response = admin_api.generic("POST", "/api/v1/leads", b'{"name": "a"}', content_type="")
    envelope(response, 415, "invalid_request")


def test_oversized_body_is_413(admin_api, settings):
    settings.API_MAX_BODY_BYTES = 1024
    body = json.dumps({"name": "a", "phone": "9876543210", "notes": "x" * 2000})
    response = admin_api.generic("POST", "/api/v1/leads", body, content_type="application/json")
    error = envelope(response, 413, "invalid_request")
    assert "1024" in error["message"]


def test_json_with_a_charset_is_fine(admin_api):
    response = admin_api.generic(
        "POST", "/api/v1/leads", json.dumps({"name": "a", "phone": "9876543210"}),
        content_type="application/json; charset=utf-8",
    )  # fmt: skip
    assert response.status_code == 201


def test_accept_header_never_turns_errors_into_html(admin_api):
    response = admin_api.get("/api/v1/leads", {"limit": "x"}, HTTP_ACCEPT="text/html")
    envelope(response, 400, "invalid_request")
    assert admin_api.get("/api/v1/leads", HTTP_ACCEPT="application/xml").status_code == 200


def test_unicode_and_html_round_trip_faithfully(admin_api):
    body = {
        "name": "<script>alert('x')</script> प्रिया 李 😀",
        "phone": "9876543210",
        "company": 'Ω & <b>Co</b> "quoted"',
        "notes": "line one\nline two\ttabbed — ‘quotes’ \u200b zero-width",
        "tags": ["नया", "<i>", "emoji 🚀"],
    }
    created = admin_api.post_json("/api/v1/leads", body).json()["data"]
    fetched = admin_api.get(f"/api/v1/leads/{created['id']}").json()["data"]
    for field, value in body.items():
        assert created[field] == value
        assert fetched[field] == value


def test_non_api_pages_keep_their_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_api_docs_without_the_slash_redirects_to_the_docs(client):
    response = client.get("/api/docs")
    assert response.status_code == 301
    assert response["Location"] == "/api/docs/"


def _wsgi_get(handler, path: str, key: str) -> tuple[int, dict, bytes]:
    """A request through the whole WSGI stack as a server sends it (the test client skips the
    per-request connection housekeeping a restart test needs)."""
    environ = RequestFactory().get(path, HTTP_AUTHORIZATION=f"Bearer {key}").environ
    started = []
    body = b"".join(handler(environ, lambda status, headers: started.append((status, headers))))
    status, headers = started[0]
    return int(status.split()[0]), dict(headers), body


@pytest.mark.skipif(connection.vendor != "postgresql", reason="drops a PostgreSQL connection")
@pytest.mark.django_db(transaction=True)
def test_after_a_database_restart_the_next_request_reconnects(admin_user):
    _, key = make_key(admin_user)
    handler = WSGIHandler()
    try:
        assert _wsgi_get(handler, "/api/v1/leads", key)[0] == 200  # the connection is kept
        end_this_session()
        assert _wsgi_get(handler, "/api/v1/leads", key)[0] == 200
    finally:
        connection.close()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="drops a PostgreSQL connection")
@pytest.mark.django_db(transaction=True)
def test_a_lost_database_connection_is_a_503_to_retry_not_a_500(admin_user):
    """Without the health check (DATABASE_CONN_HEALTH_CHECKS=0) the request on the dropped
    connection fails: the client is told to retry, and the next request reconnects."""
    _, key = make_key(admin_user)
    handler = WSGIHandler()
    connection.settings_dict["CONN_HEALTH_CHECKS"] = False
    connection.close()  # (read when it connects)
    try:
        assert _wsgi_get(handler, "/api/v1/leads", key)[0] == 200
        end_this_session()
        status, headers, body = _wsgi_get(handler, "/api/v1/leads", key)
        assert status == 503
        assert headers["Retry-After"] == "2"
        assert json.loads(body)["error"]["code"] == "service_unavailable"
        assert _wsgi_get(handler, "/api/v1/leads", key)[0] == 200
    finally:
        connection.settings_dict["CONN_HEALTH_CHECKS"] = True
        connection.close()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="drops a PostgreSQL connection")
@pytest.mark.django_db(transaction=True)
def test_a_page_that_loses_the_database_is_a_503_to_reload(admin_user):
    """The session middleware is the first to read: its error reaches the project's 500
    handler, which answers 503 and a page saying to reload."""
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    try:
        assert client.get("/leads/").status_code == 200
        end_this_session()  # (the test client does not health-check between requests)
        response = client.get("/leads/")
        assert response.status_code == 503
        assert response["Retry-After"] == "2"
        assert b"Back in a moment" in response.content
    finally:
        connection.close()
