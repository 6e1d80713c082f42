"""Telling a rep that leads were routed to them: one email per rep per request, through Django's
email framework (console by default; SMTP by EMAIL_URL or EMAIL_HOST: config.settings), sent
once the leads' transaction has committed (routing.services.routed_leads_record).

A mail server that is down, slow or refusing is logged, never raised: the leads exist, and the
rep sees them on the Today page anyway. (EMAIL_TIMEOUT bounds how long one attempt can hold
up the response.)"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

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


def email_rep(routed: Sequence[RoutedToRep]) -> None:
    """Email the rep (all of `routed` go to one rep) about their new leads."""
    if not routed:
        return
    address = routed[0].user.email
    subject, body = compose(routed)
    try:
        send_mail(subject, body, None, [address])
    except Exception:  # whatever the backend raises: the lead is saved, the mail is extra
        logger.exception("Could not email %s about %d lead(s) routed to them", address, len(routed))
    else:
        logger.info("Emailed %s about %d lead(s) routed to them", address, len(routed))


def compose(routed: Sequence[RoutedToRep]) -> tuple[str, str]:
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
