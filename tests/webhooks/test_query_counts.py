"""The outbox costs a write a fixed number of queries: which subscriptions listen (one, with or
without listeners), then one insert for all its messages. The workers' relay queues them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from events.services import Actor
from webhooks.models import Message
from webhooks.services import webhook_create

pytestmark = pytest.mark.django_db


def subscribe(user, events=("*",)):
    return webhook_create(
        actor=Actor.system(user), url="https://hooks.example.com/x", events=list(events)
    )


def create_lead(api, phone):
    return api.post_json("/api/v1/leads", {"name": "Q", "phone": phone})


def test_listeners_add_one_insert_to_a_write(admin_api, admin_user):
    admin_api.get("/api/v1/leads")  # the key's minute is recorded once
    with CaptureQueriesContext(connection) as without:
        assert create_lead(admin_api, "+919811100001").status_code == 201
    subscribe(admin_user)
    with CaptureQueriesContext(connection) as with_one:
        assert create_lead(admin_api, "+919811100002").status_code == 201
    for _ in range(4):
        subscribe(admin_user)
    with CaptureQueriesContext(connection) as with_five:
        assert create_lead(admin_api, "+919811100003").status_code == 201
    assert len(with_one) == len(without) + 1  # the message inserted
    assert len(with_five) == len(with_one)  # five messages, one insert
    assert Message.objects.count() == 1 + 5
    assert not DBTaskResult.objects.exists()  # the workers' relay queues them, not the request


def test_a_bulk_create_writes_its_messages_in_one_insert(admin_api, admin_user):
    subscribe(admin_user)
    leads = [{"name": f"B{n}", "phone": f"+9198222{n:05d}"} for n in range(20)]
    response = admin_api.post_json("/api/v1/leads/bulk", {"leads": leads})
    assert response.status_code in (200, 201, 207), response.content
    assert Message.objects.count() == 20
    assert not DBTaskResult.objects.exists()
