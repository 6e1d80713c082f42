"""What outside testers sent the API and what it must answer: mistyped paths, plain HTTP,
repeated parameters, NUL characters, chunked bodies, and caching of responses with lead data."""

import io
import ipaddress
import json

import pytest
from django.test import Client, override_settings

from leads.models import Lead
from tests.conftest import KeyClient
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)["error"]


# --- Unknown paths --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/lead", "/api/v2/leads", "/api/v1/leads/x/y"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_to_a_mistyped_path_is_a_json_404_not_a_csrf_403(path, method):
    # A browser-less client with no CSRF cookie, as every integration is.
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(path, "{}", content_type="application/json")
    error = error_of(response, 404)
    assert error["code"] == "not_found"


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_the_bare_api_prefix_is_a_json_404_not_a_redirect(method):
    client = Client(enforce_csrf_checks=True)
    response = client.generic(method.upper(), "/api", b"{}", content_type="application/json")
    assert error_of(response, 404)["code"] == "not_found"


# --- HTTPS --------------------------------------------------------------------------------


@override_settings(SECURE_SSL_REDIRECT=True)
@pytest.mark.parametrize("method", ["get", "post"])
def test_plain_http_to_the_api_is_refused_with_json_never_redirected(admin_api, method):
    response = getattr(admin_api, method)(LEADS, {"name": "A", "phone": "9876543210"},
                                          format="json")  # fmt: skip
    error = error_of(response, 400)
    assert error["code"] == "invalid_request"
    assert "HTTPS is required" in error["message"]
    assert "Location" not in response
    assert not Lead.objects.exists()


@override_settings(SECURE_SSL_REDIRECT=True)
def test_https_api_requests_are_served_and_pages_still_redirect(admin_api, client):
    assert admin_api.get(LEADS, secure=True).status_code == 200
    response = client.get("/leads/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


PROXIED_HTTPS = {"HTTP_X_FORWARDED_PROTO": "https"}


@override_settings(
    SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
)
def test_x_forwarded_proto_from_a_client_that_is_not_a_trusted_proxy_is_ignored(
    admin_api, client, settings
):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.9.0.0/16")]  # not 127.0.0.1
    error = error_of(admin_api.get(LEADS, **PROXIED_HTTPS), 400)
    assert "HTTPS is required" in error["message"]
    response = client.get("/leads/", **PROXIED_HTTPS)
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


@override_settings(
    SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
)
def test_x_forwarded_proto_from_a_trusted_proxy_makes_the_request_secure(
    admin_api, client, settings
):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.0/8")]
    assert admin_api.get(LEADS, **PROXIED_HTTPS).status_code == 200
    response = client.get("/leads/", **PROXIED_HTTPS)
    assert response.status_code == 302  # to the login page, over HTTPS already
    assert response["Location"].startswith("/login/")


# --- Query strings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=1&limit=2", "limit"), ("status=New&status=Won", "status"),
     ("from_date=2026-01-01&from_date=2026-02-01", "from_date")],
)  # fmt: skip
def test_a_repeated_parameter_is_a_400_naming_it(admin_api, query, field):
    error = error_of(admin_api.get(f"{LEADS}?{query}"), 400)
    assert error["field"] == field
    error = error_of(admin_api.get(f"/api/v1/call-logs?{query.replace('status', 'call_type')}"),
                     400)  # fmt: skip
    assert error["field"] == field.replace("status", "call_type")


@pytest.mark.parametrize("param", ["source", "assigned_to", "status", "limit", "from_date"])
def test_a_nul_in_a_query_parameter_is_a_400_naming_it(admin_api, param):
    error = error_of(admin_api.get(LEADS, {param: "a\x00b"}), 400)
    assert error["field"] == param


# --- Bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A", "phone": "9876543210", "assigned_to": "rep\x00@example.com"}, "assigned_to"),
        ({"name": "A\x00", "phone": "9876543210"}, "name"),
        ({"name": "A", "phone": "9876543210", "tags": ["ok", "b\x00d"]}, "tags"),
        ({"name": "A", "phone": "9876543210", "source\x00": "x"}, "source"),
        ({"name": "A", "phone": "9876543210", "notes": "x\x00"}, "notes"),
    ],
)
def test_a_nul_anywhere_in_a_body_is_a_400_naming_the_field(admin_api, body, field):
    error = error_of(admin_api.post_json(LEADS, body), 400)
    assert error["field"] == field
    assert "NUL" in error["message"]
    assert not Lead.objects.exists()


def test_a_nul_in_a_call_logs_notes_is_a_400(admin_api):
    lead = make_lead()
    body = {"lead_id": str(lead.pk), "call_type": "Inbound", "duration_seconds": 5,
            "notes": "\x00"}  # fmt: skip
    assert error_of(admin_api.post_json("/api/v1/call-logs", body), 400)["field"] == "notes"


@pytest.mark.parametrize("phone", ["+91 98765 4321O", "98765-4321O", "+1 800 FLOWERS"])
def test_a_phone_with_a_letter_is_refused(admin_api, phone):
    error = error_of(admin_api.post_json(LEADS, {"name": "A", "phone": phone}), 400)
    assert error["field"] == "phone"
    assert not Lead.objects.exists()


def chunked(client: KeyClient, body: bytes, *, terminated: bool):
    """A POST as a server that decoded `Transfer-Encoding: chunked` hands it to Django: no
    Content-Length, and (gunicorn) `wsgi.input_terminated` saying the stream ends with the
    body."""
    extra = {
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),  # a stream that simply ends, as a decoded one does
    }
    if terminated:
        extra["wsgi.input_terminated"] = True
    return client.generic("POST", LEADS, body, content_type="application/json", **extra)


def test_a_chunked_body_is_read(admin_api):
    body = json.dumps({"name": "Chunky", "phone": "9876543210"}).encode()
    response = chunked(admin_api, body, terminated=True)
    assert response.status_code == 201, response.content
    assert response.json()["data"]["name"] == "Chunky"


def test_a_chunked_body_over_the_limit_is_a_413(admin_api, settings):
    settings.API_MAX_BODY_BYTES = 100
    body = json.dumps({"name": "x" * 200, "phone": "9876543210"}).encode()
    assert error_of(chunked(admin_api, body, terminated=True), 413)["code"] == "invalid_request"
    assert not Lead.objects.exists()


def test_a_chunked_body_the_server_cannot_end_is_a_411(admin_api):
    body = json.dumps({"name": "Chunky", "phone": "9876543210"}).encode()
    error = error_of(chunked(admin_api, body, terminated=False), 411)
    assert "Content-Length" in error["message"]
    assert not Lead.objects.exists()


# --- Caching ------------------------------------------------------------------------------


def test_api_responses_are_never_stored_by_caches(admin_api):
    lead = make_lead()
    for response in [
        admin_api.get(LEADS),
        admin_api.get(f"{LEADS}/{lead.pk}"),
        admin_api.post_json(LEADS, {"name": "A", "phone": "9876500001"}),
        admin_api.get("/api/v1/call-logs"),
        admin_api.get(f"{LEADS}/00000000-0000-4000-8000-000000000000"),
        KeyClient().get(LEADS),
    ]:
        assert response["Cache-Control"] == "no-store", response.status_code
