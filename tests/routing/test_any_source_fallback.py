"""A rule without a source matches leads from any source: placed after the rules for particular
sources, it catches every lead they do not."""

import pytest

from leads.services import lead_upsert
from tests.factories import unique_phone

from .conftest import a_rule

pytestmark = pytest.mark.django_db


def new_lead(actor, source):
    fields = {"name": f"From {source}", "phone": unique_phone(), "source": source}
    return lead_upsert(actor=actor, fields=fields).lead


def test_a_rule_without_a_source_catches_the_leads_no_other_rule_matches(admin_actor, reps):
    a_rule("IVR", [reps[0]], source="IVR")
    a_rule("Everything else", [reps[1]])
    assert new_lead(admin_actor, "IVR").assigned_to == reps[0]
    assert new_lead(admin_actor, "Facebook Ads").assigned_to == reps[1]
    assert new_lead(admin_actor, "Walk-in").assigned_to == reps[1]


def test_a_rule_without_a_source_alone_routes_every_lead(admin_actor, reps):
    a_rule("Everyone", [reps[2]])
    assert {new_lead(admin_actor, s).assigned_to for s in ("IVR", "API", "Referral")} == {reps[2]}
