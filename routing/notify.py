"""Telling a rep that leads were routed to them: one email per rep per request, through Django's
email framework (console by default; SMTP by EMAIL_URL or EMAIL_HOST: config.settings). Once
the leads' transaction has committed (routing.services.routed_leads_record), the email is a
background task (the Django Tasks queue the webhooks use, run by the workers): a slow or dead
mail server never holds up the request that created the leads.

A mail server that is down, slow or refusing is logged, never raised: the leads exist, and the
rep sees them on the Today page anyway."""

import contextlib
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django_tasks import task

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# Leads listed in one email; the rest are counted.
LISTED = 20
SUBJECT_NAME_LENGTH = 80


@dataclass(frozen=True)
class RoutedToRep:
    """A lead (as API v1 represents it) a rule gave to `user`."""

    user: "User"
    rule_name: str
    lead: Mapping[str, Any]


@dataclass(frozen=True)
class RoutedTo:
    """What an email says of one lead: the rule, and the lead as API v1 represents it."""

    rule_name: str
    lead: Mapping[str, Any]


_together = threading.local()


@contextlib.contextmanager
def together():
    """Inside (a bulk create, whose items may commit one by one): the leads routed and
    committed are announced on the way out, one email per rep, instead of one per commit."""
    if getattr(_together, "routed", None) is not None:
        yield
        return
    _together.routed = []
    try:
        yield
    finally:
        routed, _together.routed = _together.routed, None
        per_rep: dict[int, list[RoutedToRep]] = {}
        for item in routed:
            per_rep.setdefault(item.user.pk, []).append(item)
        for items in per_rep.values():
            email_rep_later(items)


def announce(routed: Sequence[RoutedToRep]) -> None:
    """An on_commit callback: email the rep about `routed` (all to one rep), now or, inside
    `together()`, with the request's other leads."""
    collected = getattr(_together, "routed", None)
    if collected is not None:
        collected.extend(routed)
    else:
        email_rep_later(routed)


def email_rep_later(routed: Sequence[RoutedToRep]) -> None:
    """Queue the email to the rep (all of `routed` go to one rep) about their new leads. (An
    on_commit callback: a queue that is unreachable is logged, and the lead stays created.)"""
    if not routed:
        return
    try:
        email_rep.enqueue(
            routed[0].user.email,
            [{"rule_name": item.rule_name, "lead": item.lead} for item in routed],
        )
    except Exception:
        logger.exception(
            "Could not queue the email to %s about their routed leads", routed[0].user.email
        )


@task()
def email_rep(address: str, routed: list[dict[str, Any]]) -> None:
    """Email `address` about the leads routed to them ({"rule_name", "lead"} each)."""
    items = [RoutedTo(item["rule_name"], item["lead"]) for item in routed]
    try:
        subject, body = compose(items)
        send_mail(subject, body, None, [address])
    except Exception:  # whatever the backend raises: the lead is saved, the mail is extra
        logger.exception("Could not email %s about %d lead(s) routed to them", address, len(items))
    else:
        logger.info("Emailed %s about %d lead(s) routed to them", address, len(items))


def compose(routed: Sequence[RoutedTo]) -> tuple[str, str]:
    """The subject and plain-text body of the email about `routed`."""
    if len(routed) == 1:
        item = routed[0]
        name = _one_line(item.lead.get("name"))[:SUBJECT_NAME_LENGTH]
        subject = f"New lead for you: {name}"
        lines = [
            f"{_one_line(item.lead.get('name'))} was assigned to you by the rule "
            f"“{item.rule_name}”.",
            "",
            *_details(item.lead),
        ]
        if link := _link(item.lead):
            lines += ["", f"Open it: {link}"]
    else:
        subject = f"{len(routed)} new leads for you"
        lines = ["These leads were assigned to you by the assignment rules:", ""]
        for item in routed[:LISTED]:
            contact = " · ".join(
                str(item.lead[key]) for key in ("phone", "email") if item.lead.get(key)
            )
            lines.append(
                f"- {_one_line(item.lead.get('name'))} ({contact}), from "
                f"{_one_line(item.lead.get('source'))}, by “{item.rule_name}”"
            )
            if link := _link(item.lead):
                lines.append(f"  {link}")
        if len(routed) > LISTED:
            lines.append(f"…and {len(routed) - LISTED} more.")
    lines += ["", "They are on your Today page and in your leads list."]
    return subject, "\n".join(lines) + "\n"


def _details(lead: Mapping[str, Any]) -> list[str]:
    labels = {"phone": "Phone", "email": "Email", "company": "Company", "city": "City",
              "source": "Source", "priority": "Priority"}  # fmt: skip
    return [f"{label}: {_one_line(lead[key])}" for key, label in labels.items() if lead.get(key)]


def _link(lead: Mapping[str, Any]) -> str | None:
    """The lead's page, when the app knows its own address (SITE_URL)."""
    if not settings.SITE_URL or not lead.get("id"):
        return None
    return settings.SITE_URL.rstrip("/") + reverse("ui:lead_detail", args=[lead["id"]])


def _one_line(value: Any) -> str:
    return " ".join(str(value or "").split())
