from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from crm.dates import iso_utc
from crm.serializers import StrictJSONSerializer

from .models import MAX_TAG_LENGTH, MAX_TAGS, Lead
from .normalization import validate_phone
from .selectors import LIST_FIELDS


@extend_schema_field({"type": "string", "format": "email"})
class AssigneeField(serializers.SlugRelatedField):
    """A user named by email (case-insensitive); must exist and be active."""

    default_error_messages = {
        "does_not_exist": _("No active user has the email “{value}”."),
        "invalid": _("Enter the assignee's email address."),
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="email", queryset=User.objects.filter(is_active=True), **kwargs)

    def run_validation(self, data=serializers.empty):
        # DRF reads "" as null for relations; here "" is not an email, and null says "nobody".
        if data == "":
            self.fail("invalid")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data.strip().lower())


class TagField(serializers.CharField):
    """A tag must be a JSON string: DRF's CharField would quietly turn 42 into "42"."""

    default_error_messages = {"not_a_string": _("Each tag must be a string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


# Validates a POSTed lead (only the fields sent end up in validated_data, so a merge keeps what
# the request omits) and renders a lead as the spec's Lead schema. (A comment, not a docstring:
# drf-spectacular would publish a docstring as the schema's description.)
class LeadSerializer(StrictJSONSerializer, serializers.ModelSerializer):
    assigned_to = AssigneeField(required=False, allow_null=True)
    tags = serializers.ListField(
        child=TagField(max_length=MAX_TAG_LENGTH),
        max_length=MAX_TAGS,
        required=False,
        help_text="Tags are unioned into an existing lead's tags on a merge.",
    )
    deal_value = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        coerce_to_string=False,
        help_text="Expected value in INR.",
    )

    class Meta:
        model = Lead
        fields = [
            "id", "name", "email", "phone", "company", "city", "source", "status", "priority",
            "tags", "deal_value", "notes", "assigned_to", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            # "" is not an email address: send null (or leave the field out) for none.
            "email": {"help_text": "Required if phone is not provided.", "allow_blank": False},
            "phone": {
                "help_text": "Required if email is not provided. Any common format; numbers "
                "without a country code are read in the server's default region."
            },
            "source": {"help_text": "Lead source label, e.g. IVR, Website, Facebook Ads."},
            "status": {"help_text": "Default New for a new lead."},
            "priority": {"help_text": "Default Medium for a new lead."},
        }

    def validate_phone(self, value: str | None) -> str | None:
        if not value:
            return None  # "" means no phone
        validate_phone(value)
        return value

    def validate(self, attrs):
        for optional in ("company", "city", "notes"):
            if attrs.get(optional) == "":
                attrs[optional] = None
        return attrs

    def to_representation(self, lead: Lead | dict) -> dict:
        # Written out by hand, several times faster than walking the declared fields. Keep it in
        # step with Meta.fields (tests compare both with the spec's Lead schema).
        row = lead if isinstance(lead, dict) else _row(lead)
        return {
            "id": str(row["id"]),
            "name": row["name"],
            "email": row["email"],
            "phone": row["phone"],
            "company": row["company"],
            "city": row["city"],
            "source": row["source"],
            "status": row["status"],
            "priority": row["priority"],
            "tags": row["tags"],
            "deal_value": row["deal_value"],
            "notes": row["notes"],
            "assigned_to": row["assignee_email"],
            "created_at": iso_utc(row["created_at"]),
            "updated_at": iso_utc(row["updated_at"]),
        }


def _row(lead: Lead) -> dict:
    """A lead instance as the row `leads.selectors.lead_list` reads."""
    row = {name: getattr(lead, name) for name in LIST_FIELDS}
    row["assignee_email"] = lead.assigned_to.email if lead.assigned_to_id else None
    return row
