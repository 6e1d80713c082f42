"""Form fields for API keys, shared by the settings page and the Django admin."""

from django import forms

from .allowlist import parse_allowlist


class AllowlistField(forms.CharField):
    """One address or CIDR range per line (commas work too) in, the canonical list out."""

    widget = forms.Textarea(
        attrs={"rows": 3, "placeholder": "203.0.113.7\n10.0.0.0/8\n2001:db8::/32"}
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "IP allowlist")
        kwargs.setdefault(
            "help_text",
            "One address or CIDR range per line (commas work too). Empty allows every address.",
        )
        super().__init__(required=False, **kwargs)

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        try:
            return parse_allowlist(text.replace(",", "\n").splitlines())
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
