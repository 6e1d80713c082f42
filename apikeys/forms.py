from django import forms

from accounts.models import User

from .models import APIKey
from .network import parse_allowlist


class APIKeyForm(forms.ModelForm):
    """Create or edit a key. A sales rep's form has no user field: their keys are theirs."""

    allowed_ips = forms.CharField(
        label="IP allowlist",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "203.0.113.7\n10.0.0.0/8\n2001:db8::/32"}
        ),
        help_text="One address or CIDR range per line (commas work too). "
        "Empty allows every address.",
    )

    class Meta:
        model = APIKey
        fields = ["name", "user", "can_read", "can_write", "can_delete", "allowed_ips",
                  "rate_limit_per_minute"]  # fmt: skip
        labels = {"rate_limit_per_minute": "Rate limit (requests per minute)"}

    def __init__(self, *args, acting_user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.acting_user = acting_user
        if acting_user.is_admin:
            self.fields["user"].queryset = User.objects.filter(is_active=True).order_by("email")
        else:
            # A rep's keys are theirs and get the standard rate limit: no raising their own.
            del self.fields["user"]
            del self.fields["rate_limit_per_minute"]
        if self.instance.pk:
            self.initial["allowed_ips"] = "\n".join(self.instance.allowed_ips)

    def clean_allowed_ips(self) -> list[str]:
        text = self.cleaned_data.get("allowed_ips") or ""
        try:
            return parse_allowlist(text.replace(",", "\n").splitlines())
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("can_read") or cleaned.get("can_write") or cleaned.get("can_delete")):
            raise forms.ValidationError("Turn on at least one permission, or revoke the key.")
        return cleaned

    def linked_user(self) -> User:
        return self.cleaned_data.get("user") or self.acting_user
