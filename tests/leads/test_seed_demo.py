import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from calls.models import CallLog
from events.models import Event
from leads import tally
from leads.models import Lead

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.exists()


def test_seed_demo_creates_logins_and_data_once(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)
    assert "admin@example.com" in out.getvalue()
    assert "demo-password" in out.getvalue()
    admin = User.objects.get(email="admin@example.com")
    assert admin.is_admin
    assert admin.check_password("demo-password")
    assert not User.objects.get(email="rep@example.com").is_admin
    assert Lead.objects.count() == 40
    assert CallLog.objects.exists()
    assert not Event.objects.filter(occurred_at__gt=timezone.now()).exists()
    assert Lead.objects.filter(assigned_to__email="rep@example.com").exists()
    # The demo's back-dated leads are counted on their days (the list totals read the counts).
    assert tally.kept() == {cell: n for cell, n in tally.cube(Lead).items() if n != [0, 0]}
