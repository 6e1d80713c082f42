"""The list of leads' filters: the table (core.listing says what it drives). To add a filter,
declare it here; the API validates and documents it, and both the ORM and the list's SQL apply
it (tests/leads/test_list.py holds the two together for every filter declared here).
Row-level security sits beside it: leads.rules.visible_leads / visible_leads_sql."""

import django_filters
from django import forms
from django.db.models import Q

from core.listing import (
    AnyEmailFilter,
    CharFilter,
    Condition,
    DateWindowFilterSet,
    EmailFilter,
    IdFilter,
    InstantFilter,
    like_pattern,
    sort_filter,
    strict_choice_filter,
)

from .models import Lead
from .rules import (
    MAX_LENGTHS,
    MAX_TAG_LENGTH,
    InvalidPhone,
    LeadPriority,
    LeadStatus,
    normalize_phone,
    phone_digits,
    search_terms,
    tag_key,
)

MIN_QUERY_LENGTH = 2


class PhoneField(forms.CharField):
    """Any written form of a number, compared as E.164; an impossible number is an error."""

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return text
        try:
            return normalize_phone(text)
        except InvalidPhone as error:
            raise forms.ValidationError(str(error), code="invalid_phone") from None


class PhoneFilter(django_filters.CharFilter):
    field_class = PhoneField


class SearchField(forms.CharField):
    def clean(self, value):
        text = super().clean(value)
        if text and len(text.strip()) < MIN_QUERY_LENGTH:
            raise forms.ValidationError(f"Search for at least {MIN_QUERY_LENGTH} characters.")
        return text.strip() if text else text


class SearchFilter(Condition, django_filters.CharFilter):
    """Text search over name, email, company and phone (the lead's search_text): every word
    must be found; a query that reads as a number finds the lead however it was written."""

    field_class = SearchField

    def orm_condition(self, value: str) -> Q:
        query = Q()
        for term in search_terms(value):
            query &= Q(search_text__contains=term)
        if digits := phone_digits(value):
            query |= Q(search_text__contains=digits)
        return query

    def sql_condition(self, value: str, alias: str) -> tuple[str, list]:
        column = f'"{alias}"."search_text"'
        terms = search_terms(value)
        condition = " AND ".join(f"{column} LIKE %s ESCAPE '\\'" for _ in terms)
        params = [like_pattern(term) for term in terms]
        if digits := phone_digits(value):
            condition = f"({condition} OR {column} LIKE %s ESCAPE '\\')"
            params.append(like_pattern(digits))
        return f"({condition})", params


class TagsField(forms.Field):
    """`tag` may be given several times: each is a tag the lead must carry."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        tags = [tag_key(tag) for tag in (value or []) if tag.strip()]
        for tag in tags:
            if len(tag) > MAX_TAG_LENGTH or not tag.isprintable():
                raise forms.ValidationError(f"A tag is one line of at most {MAX_TAG_LENGTH}.")
        return tags


class TagFilter(Condition, django_filters.MultipleChoiceFilter):
    """Leads carrying every tag given, ignoring case (the lead's tag_keys). (A multiple-choice
    filter only in form: the OpenAPI document then shows a repeatable parameter.)"""

    field_class = TagsField

    def orm_condition(self, value: list[str]) -> Q:
        query = Q()
        for key in value:
            query &= Q(tag_keys__contains=f"\n{key}\n")
        return query

    def sql_condition(self, value: list[str], alias: str) -> tuple[str, list]:
        condition = " AND ".join(f'"{alias}"."tag_keys" LIKE %s ESCAPE \'\\\'' for _ in value)
        return f"({condition})", [like_pattern(f"\n{key}\n") for key in value]


class LeadFilter(DateWindowFilterSet):
    date_field = "created_at"
    # Lookups and sync see every lead unless they give a window themselves.
    window_lifted_by = ("phone", "email", "q", "tag", "updated_since")
    SORTS = {
        "-created_at": ("-created_at", "-id"),
        "created_at": ("created_at", "id"),
        "-updated_at": ("-updated_at", "-id"),
        "updated_at": ("updated_at", "id"),
        "name": ("name_key", "id"),  # ignoring case (leads.rules.name_key)
        "-name": ("-name_key", "-id"),
    }
    DEFAULT_SORT = "-created_at"

    status = strict_choice_filter(LeadStatus.choices, "status")
    priority = strict_choice_filter(LeadPriority.choices, "priority")
    source = CharFilter(
        max_length=MAX_LENGTHS["source"],
        help_text="Exact lead source, e.g. IVR (or `all`).",
    )
    assigned_to = AnyEmailFilter(
        field_name="assigned_to__email",
        max_length=MAX_LENGTHS["email"],
        help_text="Assigned user's email, any case (or `all`).",
    )
    pipeline_id = IdFilter(
        field_name="stage__pipeline",
        help_text="Leads in this pipeline (its id).",
    )
    stage_id = IdFilter(field_name="stage", help_text="Leads in this stage (its id).")
    phone = PhoneFilter(
        field_name="phone_e164",
        max_length=MAX_LENGTHS["phone"],
        help_text="The lead with this number, written in any format (compared in E.164).",
    )
    email = EmailFilter(
        field_name="email_key",
        max_length=MAX_LENGTHS["email"],
        help_text="The lead with this email, ignoring case.",
    )
    q = SearchFilter(
        field_name="search_text",
        max_length=200,
        help_text="Text search over name, email, company and phone (at least 2 characters); "
        "every word must match, and a phone number matches however it was written.",
    )
    tag = TagFilter(
        field_name="tag_keys",
        help_text="Leads with this tag, ignoring case; repeat for several (all).",
    )
    updated_since = InstantFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Leads changed at or after this moment: ISO 8601 with Z or an offset.",
    )
    sort = sort_filter(SORTS, "-created_at")

    class Meta(DateWindowFilterSet.Meta):
        model = Lead
        fields = [
            "from_date", "to_date", "status", "source", "priority", "assigned_to", "pipeline_id",
            "stage_id", "phone", "email", "q", "tag", "updated_since", "sort",
        ]  # fmt: skip
