"""`Idempotency-Key` on every API write (the IETF HTTPAPI draft "The Idempotency-Key HTTP
Header Field"): a client that retries a POST, PUT, PATCH or DELETE with the same key gets the
first response again, and the write happens once.

- The key is scoped to the API key and kept at least 24 hours.
- The first completed response (any status below 500, except 401, 403 and 429, which are never
  remembered) is stored with a fingerprint of the request: method, path, query and parsed JSON
  body. A repeat with the same fingerprint gets that status, body and Location, plus
  `Idempotent-Replayed: true`. The same key with another fingerprint is a 422; a repeat while
  the first still runs, a 409 with `Retry-After: 1`.
- The write and the stored response are committed together (APIViewSet runs the handler and
  `complete` in one transaction): a process that dies mid-request leaves neither, and its
  claim is taken over.
- When is a claim abandoned? On PostgreSQL, a running request holds a session advisory lock
  named by its key (`lock_id`) from its claim to its end: a repeat that can take the lock knows
  the claim's request is gone (its process died, or its database session did: a restart, a
  failover), and takes the claim over at once; one that cannot is a 409. The lock lives and
  dies with the database session (a pooler in transaction mode in front of PostgreSQL would
  break it: connect directly, or in session mode). A claim STALE_AFTER old is taken over
  whatever holds the lock (a session left behind by a half-open connection), and that is the
  only rule on SQLite (development).
"""

import contextlib
import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import exceptions, status

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
META_KEY = "HTTP_IDEMPOTENCY_KEY"
KEEP_FOR = dt.timedelta(hours=24)
# A request still "running" after this long was abandoned (its process died: gunicorn kills a
# worker after 30 s); its claim may be taken over. Its write, if any, was rolled back with it.
# (On PostgreSQL the key's lock says so at once; this is the rule without it: SQLite, or a
# lock held by a session whose process is gone unnoticed.)
STALE_AFTER = dt.timedelta(seconds=60)
NOT_REMEMBERED = {401, 403, 429}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was used with a different request."
    error_code = "idempotency_key_reused"
    error_field = HEADER


class StillRunning(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is still running; retry in a moment."
    error_field = HEADER
    headers = {"Retry-After": "1"}


@dataclass
class Claim:
    """This request runs under the key: its response is stored when it completes. It holds the
    key's lock (PostgreSQL) until `finish`."""

    record: IdempotencyRecord
    lock: int | None = None


@dataclass
class Replay:
    """The key's request completed before: its response is sent again."""

    record: IdempotencyRecord

    def response(self) -> HttpResponse:
        record = self.record
        response = HttpResponse(
            bytes(record.response_body or b""),
            status=record.response_status,
            content_type="application/json",
        )
        if record.response_location:
            response["Location"] = record.response_location
        response["Idempotent-Replayed"] = "true"
        return response


def key_of(request) -> str | None:
    """The request's Idempotency-Key (quotes of a structured-field string removed), or None;
    a malformed one is a 400 naming the header."""
    raw = request.META.get(META_KEY)
    if raw is None or request.method not in WRITES:
        return None
    key = raw.strip()
    if len(key) >= 2 and key.startswith('"') and key.endswith('"'):
        key = key[1:-1]
    if not 1 <= len(key) <= 255 or not all(0x21 <= ord(char) <= 0x7E for char in key):
        raise exceptions.ValidationError(
            {HEADER: "Must be 1 to 255 visible ASCII characters (a UUID is a good key)."}
        )
    return key


def fingerprint(request) -> str:
    """What makes two requests the same request: method, path, query and parsed JSON body
    (whitespace and key order in the body do not matter)."""
    query = sorted(request.query_params.lists())
    body = request.data if request.content_type.startswith("application/json") else None
    canonical = json.dumps(
        [request.method, request.path, query, body],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def begin(api_key, key: str, request_fingerprint: str) -> Claim | Replay:
    """Claim `key` for this request, or find what happened to it. Runs in its own committed
    transaction, so that simultaneous repeats see the claim at once. A Claim must be given to
    `finish` when the request ends, whatever happens; this function lets go of the key's lock
    on every other way out."""
    lock = lock_id(api_key, key) if connection.vendor == "postgresql" else None
    if lock is not None and not _try_lock(lock):
        # Another session holds the key: its request is running. Only a claim older than any
        # request may run is taken over (that session's process is gone and PostgreSQL has
        # not noticed yet: a half-open connection); a new claim is never made beside it.
        return _claim(api_key, key, request_fingerprint, None, create=False)
    try:
        found = _claim(api_key, key, request_fingerprint, lock, create=True)
    except BaseException:
        _unlock(lock)
        raise
    if isinstance(found, Replay):
        _unlock(lock)
    return found


def _claim(
    api_key, key: str, request_fingerprint: str, lock: int | None, *, create: bool
) -> Claim | Replay:
    """The key's claim for this request, or its completed response. Holding the key's `lock`,
    an unfinished claim's request is known to be gone; without it, it is once STALE_AFTER old."""
    for _ in range(3):
        now = timezone.now()
        record = None
        if create:
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        api_key=api_key, key=key, fingerprint=request_fingerprint,
                        owner=uuid.uuid4(), started_at=now, expires_at=now + KEEP_FOR,
                    )  # fmt: skip
                return Claim(record, lock)
            except IntegrityError:
                pass
        record = IdempotencyRecord.objects.filter(api_key=api_key, key=key).first()
        if record is None or record.expires_at <= now:
            if not create:
                raise StillRunning()
            if record is not None:
                IdempotencyRecord.objects.filter(pk=record.pk, expires_at__lte=now).delete()
            continue  # expired, or removed meanwhile: claim it
        if record.fingerprint != request_fingerprint:
            raise KeyReused()
        if record.response_status is not None:
            return Replay(record)
        if lock is None and record.started_at > now - STALE_AFTER:
            raise StillRunning()
        owner = uuid.uuid4()
        taken = IdempotencyRecord.objects.filter(
            pk=record.pk, owner=record.owner, response_status__isnull=True
        ).update(owner=owner, started_at=now)
        if taken:
            record.owner, record.started_at = owner, now
            return Claim(record, lock)
    raise StillRunning()


def finish(claim: Claim) -> None:
    """The claimed request has ended (its response stored, or its claim released)."""
    _unlock(claim.lock)


def lock_id(api_key, key: str) -> int:
    """The advisory lock of `key` under `api_key`: 64 bits of a hash, as a signed bigint."""
    digest = hashlib.sha256(f"idempotency:{api_key.pk}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _try_lock(lock: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock])
        return cursor.fetchone()[0]


def _unlock(lock: int | None) -> None:
    if lock is None:
        return
    # When the database is gone (the very outage that failed the request), so is the session
    # and its lock: nothing to do.
    with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [lock])


def complete(claim: Claim, response_status: int, body: bytes, location: str | None) -> None:
    """Store the response of the claimed request; inside the request's own transaction when it
    wrote anything. A claim that was taken over meanwhile cannot complete: the error rolls the
    write back (the other request makes it)."""
    record = claim.record
    if response_status >= 500 or response_status in NOT_REMEMBERED:
        release(claim)
        return
    stored = IdempotencyRecord.objects.filter(pk=record.pk, owner=record.owner).update(
        response_status=response_status, response_body=body, response_location=location
    )
    if not stored:
        raise StillRunning()


def release(claim: Claim) -> None:
    """Forget the claim: the request failed in a way a retry should not be refused for."""
    IdempotencyRecord.objects.filter(pk=claim.record.pk, owner=claim.record.owner).delete()


def purge_expired(now: dt.datetime | None = None) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
