"""The data floor: a raw WSGI app answering the default list-leads request (the last 30 IST days,
newest first, limit 50, with the total — a sum of the lead counts, leads.tally — and the next
page's cursor; each lead with its stage and pipeline) with the SQL the app runs, psycopg 3 and
orjson.
No Django, no DRF, no auth, no rate limiting; the same JSON shape as GET /api/v1/leads.

`/keyed/api/v1/leads` adds what API v1 asks of every request before its data, done the
cheapest way: the API key's lookup (the app's SQL, apikeys.selectors) and one count against
its rate limit (one Redis round trip; the app, through django-ratelimit, makes two).

Serve it like the app: `gunicorn bench.raw_app:application` with DATABASE_URL set. run.py
checks that COUNT_SQL and PAGE_SQL still match what Django sends (and that the bodies match).
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import orjson
import psycopg
import redis

IST = ZoneInfo("Asia/Kolkata")
WINDOW_DAYS = 30
LIMIT = 50

# The app's SQL (leads.selectors.lead_list, captured with CaptureQueriesContext around GET
# /api/v1/leads); %s are the window bounds (the total: its first and last IST day, with the
# counts' ANY values of an admin's unfiltered list). Django's psycopg 3 backend binds
# parameters client-side, so does ClientCursor here.
ANY_STAGE = "00000000000000000000000000000000"
COUNT_SQL = (
    "SELECT COALESCE(SUM(t.leads), 0) FROM leads_leadtally t WHERE t.assignee = %s AND "
    "t.day >= %s AND t.day <= %s AND t.furthest_stage_id = %s AND t.priority = %s AND "
    "t.source = %s AND t.stage_id = %s"
)
PAGE_SQL = (
    'SELECT "l"."id", "l"."name", "l"."email", "l"."phone", "l"."company", "l"."city", '
    '"l"."source", "l"."status", "l"."stage_id", "l"."priority", "l"."tags", "l"."deal_value", '
    '"l"."notes", "l"."created_at", "l"."updated_at", '
    "(SELECT u.email FROM accounts_user u WHERE u.id = l.assigned_to_id), s.name, s.pipeline_id, "
    # Not shown: the app reads it for sort=name's cursor, so the floor reads it too.
    "l.name_key FROM leads_lead l JOIN pipelines_stage s ON s.id = l.stage_id "
    'WHERE "l"."created_at" >= %s AND "l"."created_at" < %s '
    'ORDER BY "l"."created_at" DESC, "l"."id" DESC LIMIT 51 OFFSET 0'
)

KEY_SQL = (
    'SELECT "k"."id", "k"."name", "k"."user_id", "k"."hashed_key", "k"."prefix", '
    '"k"."can_read", "k"."can_write", "k"."can_delete", "k"."allowed_ips", '
    '"k"."rate_limit_per_minute", "k"."created_at", "k"."last_used_at", "k"."last_used_ip", '
    '"k"."revoked_at", "u"."id", "u"."is_superuser", "u"."first_name", "u"."last_name", '
    '"u"."is_staff", "u"."is_active", "u"."email" FROM apikeys_apikey k JOIN accounts_user u '
    "ON u.id = k.user_id WHERE k.hashed_key = %s AND k.revoked_at IS NULL AND u.is_active = %s"
)

_connection: psycopg.Connection | None = None
_redis: redis.Redis | None = None


def _conn() -> psycopg.Connection:
    """One persistent connection per worker process, opened after gunicorn forks."""
    global _connection
    if _connection is None or _connection.closed:
        url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench")
        _connection = psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor)
    return _connection


def _counter() -> redis.Redis:
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    return _redis


def key_allowed(authorization: str) -> bool:
    """The key's row (revoked keys and inactive users excluded), then one count in the key's
    fixed one-minute window: SET NX with its expiry and INCR, pipelined."""
    raw_key = authorization.removeprefix("Bearer ").strip()
    digest = hashlib.sha256(raw_key.encode()).hexdigest()
    with _conn().cursor() as cur:
        row = cur.execute(KEY_SQL, [digest, True]).fetchone()
    if row is None:
        return False
    window = int(time.time()) // 60
    name = f"raw-floor:{row[0]}:{window}"
    pipe = _counter().pipeline(transaction=False)
    pipe.set(name, 0, ex=61, nx=True)
    pipe.incr(name)
    count = pipe.execute()[1]
    return count <= row[9]  # rate_limit_per_minute


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _default(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError


def window() -> tuple[dt.datetime, dt.datetime]:
    """[IST midnight 30 days before today, IST midnight tomorrow), as core.dates computes it."""
    today = dt.datetime.now(IST).date()
    start = dt.datetime.combine(today - dt.timedelta(days=WINDOW_DAYS), dt.time.min, tzinfo=IST)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=IST)
    return start, end


def list_leads() -> bytes:
    bounds = window()
    days = (bounds[0].date(), bounds[1].date() - dt.timedelta(days=1))
    with _conn().cursor() as cur:
        total = cur.execute(COUNT_SQL, [-1, *days, ANY_STAGE, "", "", ANY_STAGE]).fetchone()[0]
        rows = cur.execute(PAGE_SQL, bounds).fetchall()
    more = len(rows) > LIMIT
    rows = rows[:LIMIT]
    data = [
        {
            "id": str(r[0]),
            "name": r[1],
            "email": r[2],
            "phone": r[3],
            "company": r[4],
            "city": r[5],
            "source": r[6],
            "status": r[7],
            "pipeline_id": str(r[17]),
            "stage_id": str(r[8]),
            "stage": r[16],
            "priority": r[9],
            "tags": r[10],
            "deal_value": r[11],
            "notes": r[12],
            "assigned_to": r[15],
            "created_at": _iso(r[13]),
            "updated_at": _iso(r[14]),
        }
        for r in rows
    ]
    body = {
        "data": data,
        "pagination": {
            "limit": LIMIT,
            "offset": 0,
            "total": int(total),
            "has_more": total > LIMIT,
            "next_cursor": _cursor(rows[-1][13], rows[-1][0]) if more else None,
        },
    }
    return orjson.dumps(body, default=_default)


# api.pagination signs its cursors as django.core.signing.Signer(salt=CURSOR_SALT, sep=".")
# does: an HMAC-SHA256 keyed by SHA-256 of the salt, "signer" and the SECRET_KEY.
_CURSOR_KEY = hashlib.sha256(
    b"api.pagination.cursorsigner" + os.environ.get("DJANGO_SECRET_KEY", "").encode()
).digest()


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _cursor(created_at: dt.datetime, lead_id) -> str:
    """api.pagination.encode_cursor for the default sort."""
    values = ["-created_at", created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
              str(lead_id)]  # fmt: skip
    text = _b64(json.dumps(values, separators=(",", ":")).encode())
    signature = _b64(hmac.new(_CURSOR_KEY, text, hashlib.sha256).digest())
    return (text + b"." + signature).decode("ascii")


def application(environ, start_response):
    path = environ.get("PATH_INFO", "").rstrip("/")
    if path not in ("/api/v1/leads", "/keyed/api/v1/leads"):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    if path.startswith("/keyed/") and not key_allowed(environ.get("HTTP_AUTHORIZATION", "")):
        start_response("401 Unauthorized", [("Content-Type", "text/plain")])
        return [b"no such key, or over its limit"]
    body = list_leads()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
