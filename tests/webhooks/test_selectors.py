"""webhooks.selectors: the subscriptions every change asks for, read in SQL, are the ones the
ORM would read, with what fan_out needs of each and of its owner."""

import pytest

from events.services import Actor
from webhooks.models import Subscription
from webhooks.selectors import listening_subscriptions
from webhooks.services import webhook_create

pytestmark = pytest.mark.django_db


def subscribe(user, events):
    created = webhook_create(
        actor=Actor.system(user), url="https://hooks.example.com/x", events=events
    )
    return created.subscription


def test_only_enabled_subscriptions_of_active_owners_listen(admin_user, rep, other_rep):
    admins = subscribe(admin_user, ["*"])
    reps = subscribe(rep, ["lead.created", "call_log.deleted"])
    Subscription.objects.filter(pk=subscribe(rep, ["*"]).pk).update(enabled=False)
    subscribe(other_rep, ["*"])
    other_rep.is_active = False
    other_rep.save()

    found = {subscription.pk: subscription for subscription in listening_subscriptions()}

    expected = Subscription.objects.filter(enabled=True, owner__is_active=True)
    assert set(found) == set(expected.values_list("pk", flat=True)) == {admins.pk, reps.pk}
    assert found[reps.pk].events == ["lead.created", "call_log.deleted"]
    assert found[reps.pk].wants("call_log.deleted")
    assert not found[reps.pk].wants("lead.updated")
    owner = found[reps.pk].owner
    assert (owner.pk, owner.email, owner.is_admin) == (rep.pk, rep.email, False)
    assert found[admins.pk].owner.is_admin


def test_none_listen_when_there_are_none(admin_user):
    assert listening_subscriptions() == []
