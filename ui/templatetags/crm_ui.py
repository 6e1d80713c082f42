"""Small display helpers for the sales pages."""

from decimal import Decimal

from django import template
from django.utils.text import slugify

from calls.rules import format_duration

register = template.Library()


@register.filter
def badge(value: str) -> str:
    """The CSS class of a status, priority or outcome badge: "No Answer" → "badge-no-answer"."""
    return f"badge badge-{slugify(value)}"


@register.filter
def inr(value) -> str:
    """Rupees with Indian digit grouping: 1800000 → ₹18,00,000 (paise only when there are any)."""
    if value is None or value == "":
        return "—"
    amount = Decimal(value)
    sign = "−" if amount < 0 else ""
    rupees, paise = divmod(abs(amount).quantize(Decimal("0.01")), 1)
    digits = str(int(rupees))
    head, tail = digits[:-3], digits[-3:]
    groups = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    text = ",".join([*groups, tail])
    if paise:
        text += f".{int(paise * 100):02d}"
    return f"{sign}₹{text}"


@register.filter
def duration(seconds) -> str:
    """125 → "2m 05s"; 0 → "0s"."""
    return "—" if seconds is None else format_duration(seconds)


@register.filter
def initials(name: str) -> str:
    """Up to two initials for an avatar: "Asha Sharma" → "AS"."""
    letters = [word[0] for word in (name or "").split() if word[:1].isalnum()]
    return "".join(letters[:1] + letters[1:][-1:]).upper() or "?"


@register.filter
def capped(count_and_capped: tuple[int, bool]) -> str:
    """(10000, True) → "10,000+": a count that stopped at its cap."""
    count, was_capped = count_and_capped
    return f"{count:,}{'+' if was_capped else ''}"


@register.filter
def whatsapp_url(phone_e164: str | None) -> str:
    """A click-to-chat link: "+919876543210" → "https://wa.me/919876543210" ("" without a phone).

    wa.me wants the international number as bare digits, no "+", spaces or dashes.
    """
    digits = "".join(ch for ch in (phone_e164 or "") if ch.isdigit())
    return f"https://wa.me/{digits}" if digits else ""
