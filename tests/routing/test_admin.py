"""Assignment rules in the Django admin: added, edited and deleted through routing.services (the
same rules, one event each, refusals next to the field); the log of routed leads is read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from events.models import Event, Verb
from leads.services import lead_upsert
from routing.models import AssignmentRule, RoutedLead
from tests.factories import unique_phone

from .conftest import a_rule, rule_named

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, admin_user):
    client.force_login(admin_user)
    return client


def admin_events():
    return Event.objects.filter(channel="admin")


def test_rules_and_the_routing_log_are_in_the_admin(browser, reps, admin_actor):
    registered = {model._meta.label for model in admin.site._registry}
    assert {"routing.AssignmentRule", "routing.RoutedLead"} <= registered
    rule = a_rule("IVR callers", reps[:2], source="IVR")
    lead_upsert(actor=admin_actor, fields={"name": "Caller", "phone": unique_phone()})
    for url in [
        reverse("admin:routing_assignmentrule_changelist"),
        reverse("admin:routing_assignmentrule_add"),
        reverse("admin:routing_assignmentrule_change", args=[rule.pk]),
        reverse("admin:routing_routedlead_changelist"),
    ]:
        assert browser.get(url).status_code == 200, url
    page = browser.get(reverse("admin:routing_assignmentrule_changelist")).content.decode()
    assert "rep-a@example.com, rep-b@example.com" in page


def test_adding_a_rule_goes_through_the_service(browser, reps, admin_user):
    response = browser.post(
        reverse("admin:routing_assignmentrule_add"),
        {"name": "Web", "source": "Website", "active": "on", "reps": [reps[1].pk, reps[0].pk]},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    rule = rule_named("Web")
    assert (rule.source, rule.position) == ("Website", 1)
    assert set(rule.members.values_list("user__email", flat=True)) == {
        "rep-a@example.com", "rep-b@example.com",
    }  # fmt: skip
    event = admin_events().get()
    assert (event.verb, event.actor) == (Verb.ROUTING_RULE_CREATED, admin_user)


def test_editing_a_rule_keeps_the_reps_turns_and_records_the_change(browser, reps, admin_actor):
    rule = a_rule("Everyone", reps[:2])
    lead_upsert(actor=admin_actor, fields={"name": "One", "phone": unique_phone()})  # to a
    response = browser.post(
        reverse("admin:routing_assignmentrule_change", args=[rule.pk]),
        {"name": "Everyone", "source": "", "active": "on", "reps": [reps[0].pk, reps[1].pk,
                                                                  reps[2].pk]},
    )  # fmt: skip
    assert response.status_code == 302
    assert admin_events().get().changes == {
        "reps": [["rep-a@example.com", "rep-b@example.com"],
                 ["rep-a@example.com", "rep-b@example.com", "rep-c@example.com"]],
    }  # fmt: skip
    after = [
        lead_upsert(
            actor=admin_actor, fields={"name": "L", "phone": unique_phone()}
        ).lead.assigned_to.email
        for _ in range(3)
    ]
    assert after == ["rep-b@example.com", "rep-c@example.com", "rep-a@example.com"]


def test_a_name_another_rule_has_is_a_form_error(browser, reps):
    a_rule("Everyone", reps[:1])
    response = browser.post(
        reverse("admin:routing_assignmentrule_add"),
        {"name": "EVERYONE", "source": "", "active": "on", "reps": [reps[0].pk]},
    )
    assert response.status_code == 200
    assert "Another rule has this name." in response.context["adminform"].form.errors["name"]
    assert AssignmentRule.objects.count() == 1
    assert not admin_events().exists()


def test_deleting_goes_through_the_service(browser, reps):
    one, two = a_rule("One", reps[:1]), a_rule("Two", reps[:1])
    response = browser.post(
        reverse("admin:routing_assignmentrule_delete", args=[one.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    response = browser.post(
        reverse("admin:routing_assignmentrule_changelist"),
        {"action": "delete_selected", "_selected_action": [str(two.pk)], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AssignmentRule.objects.exists()
    assert admin_events().filter(verb=Verb.ROUTING_RULE_DELETED).count() == 2


def test_the_routing_log_cannot_be_changed(browser, reps, admin_actor):
    a_rule("Everyone", reps[:1])
    lead_upsert(actor=admin_actor, fields={"name": "Caller", "phone": unique_phone()})
    routed = RoutedLead.objects.get()
    assert (routed.lead_name, routed.user, routed.rule_name) == ("Caller", reps[0], "Everyone")
    assert browser.get(reverse("admin:routing_routedlead_add")).status_code == 403
    delete = reverse("admin:routing_routedlead_delete", args=[routed.pk])
    assert browser.post(delete, {"post": "yes"}).status_code == 403
    assert RoutedLead.objects.count() == 1
