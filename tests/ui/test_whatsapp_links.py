"""Wherever a page shows a phone with a Call (tel:) link, a WhatsApp link sits beside it: the
wa.me click-to-chat URL of the same number, opening in a new tab."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.factories import make_call, make_lead
from ui.templatetags.crm_ui import whatsapp_url

pytestmark = pytest.mark.django_db


def links(html: str, href_start: str) -> list[str]:
    return re.findall(rf'<a [^>]*href="{re.escape(href_start)}[^"]*"[^>]*>', html)


def test_whatsapp_url_is_wa_me_with_the_e164_digits():
    assert whatsapp_url("+919876543210") == "https://wa.me/919876543210"
    assert whatsapp_url("+14155550123") == "https://wa.me/14155550123"
    assert whatsapp_url(None) == ""
    assert whatsapp_url("") == ""


def test_every_call_link_has_a_whatsapp_link_beside_it(rep_client, rep):
    lead = make_lead(name="Priya Sharma", phone="+91 98765 43210", assigned_to=rep)
    make_call(
        lead, duration_seconds=0, outcome="Missed", called_at=timezone.now() - dt.timedelta(hours=1)
    )
    for path in ("/", "/leads/", f"/leads/{lead.pk}/", "/calls/"):
        html = rep_client.get(path).content.decode()
        calls = links(html, "tel:")
        chats = links(html, "https://wa.me/")
        assert calls, path
        assert len(chats) == len(calls), path
        for chat in chats:
            assert 'href="https://wa.me/919876543210"' in chat, path
            assert 'target="_blank"' in chat
            assert 'rel="noopener"' in chat
            assert 'aria-label="WhatsApp Priya Sharma"' in chat


def test_no_whatsapp_link_without_a_phone(rep_client, rep):
    lead = make_lead(name="Email Only", email="only@example.com", assigned_to=rep)
    for path in ("/leads/", f"/leads/{lead.pk}/"):
        assert "wa.me" not in rep_client.get(path).content.decode()
