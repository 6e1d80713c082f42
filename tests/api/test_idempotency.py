"""Idempotency-Key on API writes: a retry gets the first response and changes nothing more."""

import contextlib
import datetime as dt
import json
import uuid
from types import SimpleNamespace

import psycopg
import pytest
from django.db import connection
from django.http import QueryDict
from django.utils import timezone

from api.idempotency import STALE_AFTER, fingerprint, lock_id
from api.models import IdempotencyRecord
from calls.models import CallLog
from events.models import Event
from leads.models import Lead
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"


def keyed(key: str) -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": key}


def test_a_retried_create_gets_the_first_response_and_creates_nothing_more(admin_api):
    body = {"name": "Asha", "phone": "+91 98765 43210"}
    first = admin_api.post_json(LEADS, body, **keyed("create-1"))
    again = admin_api.post_json(LEADS, body, **keyed("create-1"))
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Lead.objects.count() == 1
    assert Event.objects.filter(verb="lead.created").count() == 1


def test_whitespace_and_key_order_of_the_body_do_not_matter(admin_api):
    first = admin_api.post(LEADS, '{"name": "A", "phone": "9876543210"}',
                           content_type="application/json", **keyed("k"))  # fmt: skip
    again = admin_api.post(LEADS, '{ "phone":"9876543210",\n "name":"A" }',
                           content_type="application/json", **keyed("k"))  # fmt: skip
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_the_same_key_for_another_request_is_a_422(admin_api):
    admin_api.post_json(LEADS, {"name": "A", "phone": "9876543210"}, **keyed("k"))
    other = admin_api.post_json(LEADS, {"name": "B", "phone": "9876543211"}, **keyed("k"))
    assert other.status_code == 422
    assert other.json()["error"] == {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was used with a different request.",
        "field": "Idempotency-Key",
    }
    elsewhere = admin_api.post_json(f"{LEADS}?merge=keep", {"name": "A", "phone": "9876543210"},
                                    **keyed("k"))  # fmt: skip
    assert elsewhere.status_code == 422  # the query is part of the request
    assert Lead.objects.count() == 1


@contextlib.contextmanager
def running_elsewhere(api_key, key: str):
    """A request with `key` running in another process: on PostgreSQL, another database session
    holds the key's lock (api.idempotency.lock_id); without locks its fresh claim says so."""
    if connection.vendor != "postgresql":
        yield
        return
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432, password=settings["PASSWORD"] or None, autocommit=True,
    ) as other:  # fmt: skip
        other.execute("SELECT pg_advisory_lock(%s)", [lock_id(api_key, key)])
        yield


def test_a_repeat_while_the_first_runs_is_a_409_with_retry_after(admin_api):
    body = {"name": "A", "phone": "9876543210"}
    IdempotencyRecord.objects.create(
        api_key=admin_api.api_key, key="busy", fingerprint=_fingerprint_of(body),
        owner=uuid.uuid4(), expires_at=timezone.now() + dt.timedelta(hours=24),
    )  # fmt: skip
    with running_elsewhere(admin_api.api_key, "busy"):
        response = admin_api.post_json(LEADS, body, **keyed("busy"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert response["Retry-After"] == "1"
    assert not Lead.objects.exists()


def _fingerprint_of(body: dict) -> str:
    """The fingerprint of POST /api/v1/leads with `body`, as the server computes it."""
    request = SimpleNamespace(
        method="POST", path=LEADS, query_params=QueryDict(), content_type="application/json",
        data=body,
    )  # fmt: skip
    return fingerprint(request)


def test_a_claim_abandoned_by_a_dead_process_is_taken_over(admin_api):
    body = {"name": "A", "phone": "9876543210"}
    IdempotencyRecord.objects.create(
        api_key=admin_api.api_key, key="orphan", fingerprint=_fingerprint_of(body),
        owner=uuid.uuid4(),
        started_at=timezone.now() - STALE_AFTER - dt.timedelta(seconds=1),
        expires_at=timezone.now() + dt.timedelta(hours=23),
    )  # fmt: skip
    response = admin_api.post_json(LEADS, body, **keyed("orphan"))
    assert response.status_code == 201
    assert Lead.objects.count() == 1
    assert admin_api.post_json(LEADS, body, **keyed("orphan"))["Idempotent-Replayed"] == "true"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks: PostgreSQL")
def test_a_fresh_claim_whose_request_is_gone_is_taken_over_at_once(admin_api):
    # The first attempt's database session ended (a restart cut it: it answered 503) before
    # it could release its claim; nothing holds the key's lock any more. The retry runs now,
    # not a minute later.
    body = {"name": "A", "phone": "9876543210"}
    IdempotencyRecord.objects.create(
        api_key=admin_api.api_key, key="cut", fingerprint=_fingerprint_of(body),
        owner=uuid.uuid4(), started_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(hours=24),
    )  # fmt: skip
    response = admin_api.post_json(LEADS, body, **keyed("cut"))
    assert response.status_code == 201
    assert Lead.objects.count() == 1
    # The request let go of the key's lock when it ended: another session may take it.
    with running_elsewhere(admin_api.api_key, "cut"):
        replayed = admin_api.post_json(LEADS, body, **keyed("cut"))
    assert replayed.status_code == 201
    assert replayed["Idempotent-Replayed"] == "true"


def test_a_stale_claim_is_taken_over_even_if_a_session_left_behind_holds_its_lock(admin_api):
    # A half-open connection: the first attempt's worker is gone, its database session not yet.
    body = {"name": "A", "phone": "9876543210"}
    IdempotencyRecord.objects.create(
        api_key=admin_api.api_key, key="half-open", fingerprint=_fingerprint_of(body),
        owner=uuid.uuid4(), started_at=timezone.now() - STALE_AFTER - dt.timedelta(seconds=1),
        expires_at=timezone.now() + dt.timedelta(hours=23),
    )  # fmt: skip
    with running_elsewhere(admin_api.api_key, "half-open"):
        response = admin_api.post_json(LEADS, body, **keyed("half-open"))
        assert response.status_code == 201
        replayed = admin_api.post_json(LEADS, body, **keyed("half-open"))
    assert replayed["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1


def test_a_repeat_never_claims_a_key_whose_lock_another_session_holds(admin_api):
    # That session's request has taken the lock and is about to write its claim.
    body = {"name": "A", "phone": "9876543210"}
    with running_elsewhere(admin_api.api_key, "early"):
        response = admin_api.post_json(LEADS, body, **keyed("early"))
    if connection.vendor == "postgresql":
        assert response.status_code == 409
        assert not Lead.objects.exists()
    else:  # (no locks: the first to write its claim runs)
        assert response.status_code == 201


def test_an_expired_key_is_a_new_key(admin_api):
    body = {"name": "A", "phone": "9876543210"}
    admin_api.post_json(LEADS, body, **keyed("old"))
    IdempotencyRecord.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    again = admin_api.post_json(LEADS, {"name": "B", "phone": "9876543211"}, **keyed("old"))
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again


def test_keys_are_kept_a_day(admin_api):
    admin_api.post_json(LEADS, {"name": "A", "phone": "9876543210"}, **keyed("day"))
    record = IdempotencyRecord.objects.get()
    assert record.expires_at - record.started_at >= dt.timedelta(hours=24)


def test_keys_belong_to_their_api_key(admin_api, admin_user, client_for):
    other = client_for(admin_user)
    admin_api.post_json(LEADS, {"name": "A", "phone": "9876543210"}, **keyed("shared"))
    response = other.post_json(LEADS, {"name": "B", "phone": "9876543211"}, **keyed("shared"))
    assert response.status_code == 201  # the other key's own "shared"
    assert Lead.objects.count() == 2


def test_a_client_error_is_remembered_too(admin_api):
    bad = {"name": "No contact"}
    first = admin_api.post_json(LEADS, bad, **keyed("bad"))
    again = admin_api.post_json(LEADS, bad, **keyed("bad"))
    assert first.status_code == again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


@pytest.mark.parametrize("status", [401, 403, 429])
def test_refusals_before_the_request_ran_are_never_remembered(rep, client_for, status):
    if status == 403:
        api = client_for(rep, permissions="read")
    elif status == 429:
        api = client_for(rep, rate_limit=1)
        api.get(LEADS)  # the one request of the minute
    else:
        from tests.conftest import KeyClient

        api = KeyClient("le_live_" + "x" * 38)
    response = api.post_json(LEADS, {"name": "A", "phone": "9876543210"}, **keyed("never"))
    assert response.status_code == status
    assert not IdempotencyRecord.objects.exists()


def test_a_server_error_is_not_remembered_and_the_retry_runs(admin_api, monkeypatch):
    import leads.services

    original = leads.services._create
    calls = {"n": 0}

    def failing_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("a bug, once")
        return original(*args, **kwargs)

    monkeypatch.setattr(leads.services, "_create", failing_once)
    body = {"name": "A", "phone": "9876543210"}
    assert admin_api.post_json(LEADS, body, **keyed("flaky")).status_code == 500
    retried = admin_api.post_json(LEADS, body, **keyed("flaky"))
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert Lead.objects.count() == 1


@pytest.mark.parametrize(
    "key", ["", " ", "x" * 256, "tab\there", "ünïcode", "new\nline"]
)  # fmt: skip
def test_a_malformed_key_is_a_400_naming_the_header(admin_api, key):
    response = admin_api.post_json(LEADS, {"name": "A", "phone": "9876543210"}, **keyed(key))
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert not Lead.objects.exists()


def test_a_quoted_key_is_the_same_key(admin_api):
    body = {"name": "A", "phone": "9876543210"}
    admin_api.post_json(LEADS, body, **keyed('"quoted"'))
    assert admin_api.post_json(LEADS, body, **keyed("quoted"))["Idempotent-Replayed"] == "true"


def test_every_write_of_the_api_takes_a_key(admin_api):
    lead = make_lead(name="A", phone="+919876543210", tags=["x"])
    call_body = {"lead_id": str(lead.pk), "call_type": "Inbound", "duration_seconds": 5}
    writes = [
        ("patch", f"{LEADS}/{lead.pk}", {"city": "Pune"}),
        ("post", f"{LEADS}/{lead.pk}/tags", {"tags": ["y"]}),
        ("delete", f"{LEADS}/{lead.pk}/tags/x", None),
        ("put", f"{LEADS}/{lead.pk}", {"name": "A", "phone": "+919876543210"}),
        ("post", f"{LEADS}/bulk", {"leads": [{"name": "B", "phone": "9876543299"}]}),
        ("post", "/api/v1/call-logs", call_body),
    ]
    for index, (method, path, body) in enumerate(writes):
        send = getattr(admin_api, method)
        data = json.dumps(body) if body is not None else None
        first = send(path, data, content_type="application/json", **keyed(f"w{index}"))
        again = send(path, data, content_type="application/json", **keyed(f"w{index}"))
        assert first.status_code < 300, (method, path, first.content)
        assert (again.status_code, again.content) == (first.status_code, first.content), path
        assert again["Idempotent-Replayed"] == "true", path
    assert CallLog.objects.count() == 1
    assert Lead.objects.count() == 2


def test_a_replay_counts_against_the_rate_limit(rep, client_for):
    api = client_for(rep, rate_limit=2)
    body = {"name": "A", "phone": "9876543210"}
    api.post_json(LEADS, body, **keyed("k"))
    assert api.post_json(LEADS, body, **keyed("k"))["X-RateLimit-Remaining"] == "0"
    assert api.post_json(LEADS, body, **keyed("k")).status_code == 429


def test_a_method_the_endpoint_lacks_is_a_405_even_with_a_key(admin_api):
    admin_api.post_json(LEADS, {"name": "A", "phone": "9876543210"}, **keyed("k"))
    response = admin_api.put(LEADS, {"name": "A"}, format="json", **keyed("k"))
    assert response.status_code == 405


def test_expired_keys_are_purged_by_the_command(admin_api):
    import io

    from django.core.management import call_command

    admin_api.post_json(LEADS, {"name": "A", "phone": "9876543210"}, **keyed("old"))
    admin_api.post_json(LEADS, {"name": "B", "phone": "9876543211"}, **keyed("new"))
    IdempotencyRecord.objects.filter(key="old").update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    out = io.StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    assert "Deleted 1 expired" in out.getvalue()
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
