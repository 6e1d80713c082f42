"""Assignment rules made through routing.services, as the settings page and the admin make them;
reps are real users."""

import pytest

from accounts.models import User
from events.models import Channel
from events.services import Actor
from routing.models import AssignmentRule
from routing.services import assignment_rule_create
from tests.factories import make_user

SYSTEM = Actor.system()


def a_rule(name: str, reps: list[User], *, source: str = "", active: bool = True):
    return assignment_rule_create(
        actor=SYSTEM, fields={"name": name, "source": source, "active": active}, reps=reps
    )


def rule_named(name: str) -> AssignmentRule:
    return AssignmentRule.objects.get(name=name)


@pytest.fixture
def reps(db) -> list[User]:
    """Four sales reps, a to d."""
    return [make_user(f"rep-{letter}@example.com") for letter in "abcd"]


@pytest.fixture
def admin_actor(admin_user) -> Actor:
    return Actor(user=admin_user, channel=Channel.API)
