"""Reading API keys: the lookup every API request makes, in SQL (core/sql.py says why)."""

import functools
import hmac

from django.db import connection

from accounts.models import User
from core.sql import Columns

from .models import APIKey
from .services import hash_key, is_well_formed

# The key with its user, if the key is not revoked and the user is active. The user's password
# hash and the other fields the API never reads stay deferred.
_KEY_COLUMNS = Columns(APIKey, [field.name for field in APIKey._meta.concrete_fields], alias="k")
_USER_COLUMNS = Columns(
    User,
    ["id", "email", "first_name", "last_name", "is_staff", "is_superuser", "is_active"],
    alias="u",
)


@functools.cache
def _lookup_sql() -> str:
    return (
        f"SELECT {_KEY_COLUMNS.select}, {_USER_COLUMNS.select} "
        f"FROM {APIKey._meta.db_table} k JOIN {User._meta.db_table} u ON u.id = k.user_id "
        "WHERE k.hashed_key = %s AND k.revoked_at IS NULL AND u.is_active = %s"
    )


def apikey_lookup(raw_key: str) -> APIKey | None:
    """The active key for `raw_key` with its user, in one indexed query, or None."""
    if not is_well_formed(raw_key):
        return None
    digest = hash_key(raw_key)
    with connection.cursor() as cursor:
        cursor.execute(_lookup_sql(), [digest, True])
        row = cursor.fetchone()  # hashed_key is unique: one row or none
    if row is None:
        return None
    split = len(_KEY_COLUMNS)
    api_key = _KEY_COLUMNS.instance(row[:split])
    api_key.user = _USER_COLUMNS.instance(row[split:])
    # The index lookup already matched; comparing again in constant time keeps the promise that
    # no step of the check depends on how much of a guess was right.
    return api_key if hmac.compare_digest(api_key.hashed_key, digest) else None
