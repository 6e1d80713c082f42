"""API key lifecycle. This module is the only place a raw key exists, and only until it is
returned to the person who asked for it."""

import hashlib
import hmac
import re
import secrets
import string
import zlib
from datetime import timedelta
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from core.errors import InvalidFields, ServiceError
from events.models import Verb
from events.services import Actor, diff, plain, record_event

from .allowlist import parse_allowlist
from .models import APIKey

KEY_PREFIX = "le_live_"
_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
_RANDOM_CHARS = 32  # 32 base62 characters: about 190 bits from `secrets`
_CHECKSUM_CHARS = 6  # CRC32 in base62, as GitHub tokens carry: a typo fails before any query
_KEY_RE = re.compile(
    rf"^{KEY_PREFIX}([0-9A-Za-z]{{{_RANDOM_CHARS}}})([0-9A-Za-z]{{{_CHECKSUM_CHARS}}})$"
)
DISPLAY_PREFIX_CHARS = len(KEY_PREFIX) + 4
LAST_USED_PRECISION = timedelta(minutes=1)


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(_ALPHABET[remainder])
    return "".join(reversed(digits)).rjust(width, "0")


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECKSUM_CHARS)


def hash_key(raw_key: str) -> str:
    # The key carries ~190 bits of randomness, so a fast hash is enough: nobody can brute-force
    # the preimage, and a slow password hasher would only slow every API request down.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def generate_raw_key() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_CHARS))
    return f"{KEY_PREFIX}{body}{_checksum(body)}"


def is_well_formed(raw_key: str) -> bool:
    """Right prefix, length, alphabet and checksum: cheap checks before touching the database."""
    match = _KEY_RE.match(raw_key)
    return bool(match) and hmac.compare_digest(_checksum(match.group(1)), match.group(2))


def apikey_create(
    *,
    actor: Actor,
    name: str,
    user: User,
    can_read: bool = True,
    can_write: bool = False,
    can_delete: bool = False,
    allowed_ips: list[str] | None = None,
    rate_limit_per_minute: int | None = None,
) -> tuple[APIKey, str]:
    """Create a key; returns it with the raw key, which is never stored."""
    raw_key = generate_raw_key()
    api_key = APIKey(
        name=name,
        user=user,
        can_read=can_read,
        can_write=can_write,
        can_delete=can_delete,
        allowed_ips=_allowlist(allowed_ips or []),
        hashed_key=hash_key(raw_key),
        prefix=raw_key[:DISPLAY_PREFIX_CHARS],
    )
    if rate_limit_per_minute is not None:
        api_key.rate_limit_per_minute = rate_limit_per_minute
    _validate(api_key)
    with transaction.atomic():
        api_key.save()
        _record(actor, Verb.API_KEY_CREATED, api_key, diff({}, _settings(api_key)))
    return api_key, raw_key


def apikey_update(*, actor: Actor, api_key: APIKey, fields: dict[str, Any]) -> APIKey:
    """Change a key's name, linked user, toggles, allowlist or rate limit (not its secret)."""
    with transaction.atomic():
        # From the database: the caller's instance may already carry the new values (a bound
        # ModelForm writes them onto it), and the event needs the old ones.
        stored = APIKey.objects.select_for_update().select_related("user").get(pk=api_key.pk)
        before = _settings(stored)
        for name in EDITABLE_FIELDS & fields.keys():
            setattr(stored, name, fields[name])
        stored.allowed_ips = _allowlist(stored.allowed_ips)
        _validate(stored)
        changes = diff(before, _settings(stored))
        if changes:
            stored.save()
            _record(actor, Verb.API_KEY_UPDATED, stored, changes)
    return stored


def apikey_regenerate(*, actor: Actor, api_key: APIKey) -> str:
    """Give the key a new secret. The old one stops working with this commit: lookups are by
    hash and nothing caches them. A revoked key stays revoked: make a new one instead."""
    if api_key.revoked_at is not None:
        raise ServiceError("A revoked key cannot be regenerated; create a new key instead.")
    raw_key = generate_raw_key()
    old_prefix = api_key.prefix
    api_key.hashed_key = hash_key(raw_key)
    api_key.prefix = raw_key[:DISPLAY_PREFIX_CHARS]
    api_key.last_used_at = None
    api_key.last_used_ip = None
    with transaction.atomic():
        api_key.save(update_fields=["hashed_key", "prefix", "last_used_at", "last_used_ip"])
        changes = {"prefix": [old_prefix, api_key.prefix]}
        _record(actor, Verb.API_KEY_REGENERATED, api_key, changes)
    return raw_key


def apikey_revoke(*, actor: Actor, api_key: APIKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        with transaction.atomic():
            api_key.save(update_fields=["revoked_at"])
            changes = {"revoked_at": [None, plain(api_key.revoked_at)]}
            _record(actor, Verb.API_KEY_REVOKED, api_key, changes)


EDITABLE_FIELDS = {
    "name", "user", "can_read", "can_write", "can_delete", "allowed_ips", "rate_limit_per_minute",
}  # fmt: skip


def _allowlist(entries) -> list[str]:
    try:
        return parse_allowlist(entries)
    except ValueError as error:
        raise InvalidFields({"allowed_ips": str(error)}) from None


def _validate(api_key: APIKey) -> None:
    try:
        api_key.full_clean(exclude=["hashed_key", "prefix"])
    except ValidationError as error:
        errors = {
            (None if field == NON_FIELD_ERRORS else field): " ".join(messages)
            for field, messages in error.message_dict.items()
        }
        raise InvalidFields(errors) from None


def _settings(api_key: APIKey) -> dict[str, Any]:
    """What a key may do, for its events (never its secret)."""
    return {
        "name": api_key.name,
        "user": api_key.user.email,
        "permissions": api_key.permission_labels,
        "allowed_ips": list(api_key.allowed_ips),
        "rate_limit_per_minute": api_key.rate_limit_per_minute,
    }


def _record(actor: Actor, verb: Verb, api_key: APIKey, changes: dict) -> None:
    record_event(actor=actor, verb=verb, subject=api_key, changes=changes)


def apikey_touch(*, api_key: APIKey, ip: str | None) -> None:
    """Record last use at most once a minute per key: one conditional UPDATE that concurrent
    requests cannot turn into a write storm."""
    now = timezone.now()
    if api_key.last_used_at and now - api_key.last_used_at < LAST_USED_PRECISION:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
    APIKey.objects.filter(stale, pk=api_key.pk).update(last_used_at=now, last_used_ip=ip)
    api_key.last_used_at, api_key.last_used_ip = now, ip
