"""Reading subscriptions: the one read every change makes, in SQL (core/sql.py says why)."""

import functools

from django.db import connection

from accounts.models import User
from core.sql import Columns

from .models import Subscription

# What fan_out reads of a subscription and of its owner (webhooks.outbox._may_see).
_SUBSCRIPTION_COLUMNS = Columns(Subscription, ["id", "owner", "events"], alias="s")
_OWNER_COLUMNS = Columns(User, ["id", "email", "is_staff", "is_superuser"], alias="u")


@functools.cache
def _listening_sql() -> str:
    return (
        f"SELECT {_SUBSCRIPTION_COLUMNS.select}, {_OWNER_COLUMNS.select} "
        f"FROM {Subscription._meta.db_table} s "
        f"JOIN {User._meta.db_table} u ON u.id = s.owner_id "
        "WHERE s.enabled = %s AND u.is_active = %s"
    )


def listening_subscriptions() -> list[Subscription]:
    """The enabled subscriptions of active owners, each with its owner (its id, email and
    role): what fan_out asks on every change, in one indexed query."""
    with connection.cursor() as cursor:
        cursor.execute(_listening_sql(), [True, True])
        rows = cursor.fetchall()
    split = len(_SUBSCRIPTION_COLUMNS)
    found = []
    for row in rows:
        subscription = _SUBSCRIPTION_COLUMNS.instance(row[:split])
        subscription.owner = _OWNER_COLUMNS.instance(row[split:])
        found.append(subscription)
    return found
