"""core.sql.Columns: hand-written SQL reads values exactly as the ORM does, on either database."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import User
from core.sql import Columns
from leads.models import Lead
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

FIELDS = ["updated_at", "tags", "id", "deal_value", "name", "created_at", "assigned_to"]


def fetch(columns: Columns, table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns.select} FROM {table} {columns.alias} ORDER BY 1")
        return cursor.fetchall()


def test_rows_convert_to_the_values_a_queryset_reads(rep):
    make_lead(name="Ünïcode <b>", tags=["a", "b c"], deal_value="1234.50", assigned_to=rep)
    make_lead(name="Bare", tags=[], deal_value=None)
    columns = Columns(Lead, FIELDS, alias="l")
    read = columns.as_dicts(fetch(columns, "leads_lead"))
    expected = list(Lead.objects.order_by("id").values(*columns.attnames))  # column 1 is id
    assert read == expected
    first = next(row for row in read if row["name"] != "Bare")
    assert isinstance(first["id"], uuid.UUID)
    assert first["tags"] == ["a", "b c"]
    assert first["deal_value"] == Decimal("1234.50")
    assert first["created_at"].tzinfo is not None
    assert isinstance(first["updated_at"], dt.datetime)


def test_columns_follow_the_models_field_order_whatever_the_order_asked():
    columns = Columns(Lead, FIELDS, alias="l")
    order = [field.attname for field in Lead._meta.concrete_fields]
    assert columns.attnames == sorted(columns.attnames, key=order.index)
    assert columns.select.startswith('"l"."id", "l"."name"')


def test_an_instance_leaves_the_columns_not_selected_deferred(rep, django_assert_num_queries):
    columns = Columns(User, ["email", "id", "is_staff"], alias="u")
    (row,) = fetch(columns, "accounts_user")
    with django_assert_num_queries(0):
        user = columns.instance(row)
        assert (user.pk, user.email, user.is_staff) == (rep.pk, "rep@example.com", False)
    assert user.get_deferred_fields() >= {"password", "is_active", "last_login"}
    with django_assert_num_queries(1):
        assert user.password == rep.password  # loaded on first use, not guessed
