"""The API-key form of Settings → Integrations → API."""

from django import forms

from accounts.models import User
from apikeys.forms import AllowlistField
from apikeys.models import APIKey, default_rate_limit


class APIKeyForm(forms.ModelForm):
    """Create or edit a key. A sales rep's form has no user field: their keys are theirs."""

    allowed_ips = AllowlistField()
    # The model's range (1 to 1,000,000), with one message per bound: the model field's own
    # form field would say "≥ 0" for -1 and then "≥ 1" for 0.
    rate_limit_per_minute = forms.IntegerField(
        min_value=1,
        max_value=1_000_000,
        initial=default_rate_limit,
        label="Rate limit (requests per minute)",
    )

    class Meta:
        model = APIKey
        fields = ["name", "user", "can_read", "can_write", "can_delete", "allowed_ips",
                  "rate_limit_per_minute"]  # fmt: skip

    def __init__(self, *args, acting_user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.acting_user = acting_user
        if acting_user.is_admin:
            self.fields["user"].queryset = User.objects.filter(is_active=True).order_by("email")
            if self.instance.pk is None:
                # Required, so not blank to begin with: a new key is the admin's own unless
                # they pick someone else.
                self.initial.setdefault("user", acting_user.pk)
        else:
            # A rep's keys are theirs and get the standard rate limit: no raising their own.
            del self.fields["user"]
            del self.fields["rate_limit_per_minute"]

    def linked_user(self) -> User:
        return self.cleaned_data.get("user") or self.acting_user
