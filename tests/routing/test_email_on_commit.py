"""A rep is emailed when leads are routed to them: after the transaction that created the leads
commits (never for a lead rolled back), one email per rep per request, through Django's email
framework, sent by a background task (the workers' queue; `drain` runs it here as a worker
would). A mail server that is down fails nothing: the lead is created and the failure logged."""

import logging
import socket

import pytest
from django.db import transaction

from leads.services import lead_upsert
from tests.factories import unique_phone
from tests.webhooks.conftest import drain

from .conftest import a_rule

pytestmark = pytest.mark.django_db


def test_the_rep_is_emailed_once_the_lead_is_committed(
    admin_api, reps, mailoutbox, django_capture_on_commit_callbacks
):
    a_rule("IVR callers", [reps[1]], source="IVR")
    body = {"name": "Asha Verma", "phone": "+91 98765 43210", "source": "IVR", "city": "Pune"}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert admin_api.post_json("/api/v1/leads", body).status_code == 201
    assert mailoutbox == []  # not before the commit
    for callback in callbacks:
        callback()
    assert mailoutbox == []  # queued, not sent by the request
    drain()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["rep-b@example.com"]
    assert mail.subject == "New lead for you: Asha Verma"
    assert "Asha Verma was assigned to you by the rule “IVR callers”." in mail.body
    assert "Phone: +91 98765 43210" in mail.body
    assert "City: Pune" in mail.body


def test_the_email_links_to_the_lead_when_the_site_url_is_known(
    admin_api, reps, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://crm.example.com"
    a_rule("Everyone", [reps[0]])
    with django_capture_on_commit_callbacks(execute=True):
        body = {"name": "Linked", "phone": unique_phone()}
        lead_id = admin_api.post_json("/api/v1/leads", body).json()["data"]["id"]
    drain()
    assert f"Open it: https://crm.example.com/leads/{lead_id}/" in mailoutbox[0].body


def test_a_rolled_back_lead_is_never_announced(
    admin_actor, reps, mailoutbox, django_capture_on_commit_callbacks
):
    a_rule("Everyone", [reps[0]])

    def create_then_fail():
        with transaction.atomic():
            lead_upsert(actor=admin_actor, fields={"name": "Doomed", "phone": unique_phone()})
            raise RuntimeError("the request failed after the create")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        create_then_fail()
    drain()
    assert mailoutbox == []


def test_a_bulk_create_sends_each_rep_one_email_listing_their_leads(
    admin_api, reps, mailoutbox, django_capture_on_commit_callbacks
):
    a_rule("Everyone", reps[:2])
    leads = [{"name": f"Bulk {n}", "phone": unique_phone(), "source": "Fair"} for n in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_api.post_json("/api/v1/leads/bulk", {"leads": leads}).status_code == 200
    drain()
    by_rep = {mail.to[0]: mail for mail in mailoutbox}
    assert sorted(by_rep) == ["rep-a@example.com", "rep-b@example.com"]
    assert by_rep["rep-a@example.com"].subject == "3 new leads for you"
    assert by_rep["rep-b@example.com"].subject == "2 new leads for you"
    assert "- Bulk 0 (" in by_rep["rep-a@example.com"].body
    assert "from Fair, by “Everyone”" in by_rep["rep-a@example.com"].body


def test_a_mail_server_that_is_down_fails_nothing_and_is_logged(
    admin_api, reps, settings, caplog, django_capture_on_commit_callbacks
):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    a_rule("Everyone", [reps[0]])
    body = {"name": "X", "phone": unique_phone()}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post_json("/api/v1/leads", body)
    with caplog.at_level(logging.ERROR, logger="routing.notify"):
        drain()
    assert response.status_code == 201
    assert response.json()["data"]["assigned_to"] == "rep-a@example.com"
    assert [record.getMessage() for record in caplog.records] == [
        "Could not email rep-a@example.com about 1 lead(s) routed to them"
    ]


def test_no_rule_no_email(admin_api, reps, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post_json("/api/v1/leads", {"name": "Nobody's", "phone": unique_phone()})
    drain()
    assert mailoutbox == []


def test_a_bulk_whose_items_commit_one_by_one_still_sends_each_rep_one_email(
    transactional_db, admin_api, reps, mailoutbox
):
    """Without an Idempotency-Key a bulk's items commit on their own: items that share a phone
    are created one by one (the first, then a merge), the others together."""
    a_rule("Everyone", reps[:1])
    shared = unique_phone()
    leads = [
        {"name": "Fresh one", "phone": unique_phone()},
        {"name": "Shared", "phone": shared},
        {"name": "Shared again", "phone": shared, "city": "Pune"},
        {"name": "Own email", "email": "own@example.com"},
    ]
    assert admin_api.post_json("/api/v1/leads/bulk", {"leads": leads}).status_code == 200
    with transaction.atomic():
        drain()
    assert [mail.to for mail in mailoutbox] == [["rep-a@example.com"]]
    assert mailoutbox[0].subject == "3 new leads for you"
