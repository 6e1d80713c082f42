"""List filters as one declarative table: a django-filter FilterSet whose filters are the list's
query parameters. The table drives the parameters' validation (its form), the OpenAPI document
(drf-spectacular reads FilterSets), the ORM query (`.qs`, `q()`), and the hand-written SQL of a
fast list (`sql()`): a filter declared once is applied the same way by all four.

Every filter is an equality on a column of the model, or on a column of a model one foreign
key away (`assigned_to__email`). The date window (`from_date`/`to_date`, IST days) is on every
list: to_date defaults to today and from_date to 30 days before it.
"""

import datetime as dt
import functools
import re
from collections.abc import Mapping

import django_filters
import django_filters.utils
from django import forms
from django.db import connection
from django.db.models import Field, Q

from .dates import ist_midnight, ist_window, validate_day

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only, unlike \d


class DateWindowForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        # A parameter that is present must say something: `?status=` is a client bug, not
        # "no filter".
        for name in self.fields:
            if name in self.data and not str(self.data[name]).strip():
                self.add_error(name, "Must not be empty; leave the parameter out instead.")
        if self.errors:
            return cleaned
        from_date, to_date = ist_window(cleaned.get("from_date"), cleaned.get("to_date"))
        if from_date > to_date:
            self.add_error("from_date", f"from_date ({from_date}) is after to_date ({to_date}).")
        cleaned["from_date"], cleaned["to_date"] = from_date, to_date
        return cleaned


class ISODateField(forms.DateField):
    """Exactly YYYY-MM-DD: strptime alone would also take 2026-1-1."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": "Enter a date as YYYY-MM-DD."}
    default_validators = [validate_day]

    def to_python(self, value):
        if value not in self.empty_values and not ISO_DATE.fullmatch(str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class ISODateFilter(django_filters.DateFilter):
    field_class = ISODateField


class LowercaseEmailField(forms.EmailField):
    """Emails are stored lowercased (users, dedup keys): the filter compares the same way."""

    def clean(self, value):
        cleaned = super().clean(value)
        return cleaned.lower() if cleaned else cleaned


class EmailFilter(django_filters.CharFilter):
    field_class = LowercaseEmailField


def _date_filter(description: str) -> django_filters.DateFilter:
    # The window is applied as a whole (DateWindowFilterSet.filter_queryset), after defaults.
    return ISODateFilter(method=lambda queryset, name, value: queryset, help_text=description)


def strict_choice_filter(choices, name: str) -> django_filters.ChoiceFilter:
    allowed = ", ".join(value for value, _ in choices)
    return django_filters.ChoiceFilter(
        choices=choices,
        help_text=f"One of: {allowed}.",
        error_messages={"invalid_choice": f"Unknown {name} “%(value)s”; use one of: {allowed}."},
    )


class DateWindowFilterSet(django_filters.FilterSet):
    """from_date/to_date are IST days: from_date's midnight up to the end of to_date. to_date
    defaults to today and from_date to 30 days before to_date. Subclasses declare `date_field`
    and their equality filters."""

    date_field = "created_at"

    from_date = _date_filter("On or after this IST day (YYYY-MM-DD). Default: to_date − 30 days.")
    to_date = _date_filter("On or before this IST day (YYYY-MM-DD), inclusive. Default: today.")

    class Meta:
        form = DateWindowForm

    def get_form_class(self):
        # django-filter builds a new form class, with a new form field per filter, on every
        # request: about 8% of a list request's CPU (bench/README.md). None of our filters
        # depends on the request (no request-based querysets), so each FilterSet class builds
        # its form once.
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class

    @classmethod
    def validated(cls, data) -> dict:
        """The valid parameters in `data` with the window's defaults filled in; a bad one is a
        ValidationError naming it (a 400). For a list read without a queryset: this builds the
        form alone, not a FilterSet, which deep-copies every filter on the way."""
        form_class = cls.__dict__.get("_form_class") or cls().get_form_class()
        form = form_class(data=data)
        if not form.is_valid():
            raise django_filters.utils.translate_validation(form.errors)
        return form.cleaned_data

    def filter_queryset(self, queryset):
        return queryset.filter(self.q(self.form.cleaned_data))

    # --- The table, read by the ORM and by hand-written SQL --------------------------------

    @classmethod
    def equality_filters(cls) -> dict[str, str]:
        """{parameter: ORM path} of every filter but the window."""
        if "_equality_filters" not in cls.__dict__:
            cls._equality_filters = {
                name: flt.field_name
                for name, flt in cls.base_filters.items()
                if name not in ("from_date", "to_date")
            }
        return cls._equality_filters

    @classmethod
    def q(cls, values: Mapping) -> Q:
        """The filters given in `values` (cleaned values; empty ones are not filters) as one
        condition. The date window applies to whichever of from_date/to_date is set."""
        query = Q()
        for name, path in cls.equality_filters().items():
            if values.get(name) not in (None, ""):
                query &= Q(**{path: values[name]})
        if values.get("from_date"):
            query &= Q(**{f"{cls.date_field}__gte": ist_midnight(values["from_date"])})
        if values.get("to_date"):
            end = ist_midnight(values["to_date"] + dt.timedelta(days=1))
            query &= Q(**{f"{cls.date_field}__lt": end})
        return query

    @classmethod
    def sql(cls, values: Mapping, alias: str) -> tuple[list[str], list]:
        """The same filters as `q()`, as SQL conditions on the table aliased `alias` and their
        parameters (every value bound, never formatted in)."""
        date_column, equalities = _sql_fragments(cls, alias)
        adapt = connection.ops.adapt_datetimefield_value
        conditions, params = [], []
        if values.get("from_date"):
            conditions.append(f"{date_column} >= %s")
            params.append(adapt(ist_midnight(values["from_date"])))
        if values.get("to_date"):
            conditions.append(f"{date_column} < %s")
            params.append(adapt(ist_midnight(values["to_date"] + dt.timedelta(days=1))))
        for name, (condition, field) in equalities.items():
            if values.get(name) not in (None, ""):
                conditions.append(condition)
                params.append(field.get_db_prep_value(values[name], connection))
        return conditions, params


@functools.cache
def _sql_fragments(filterset: type[DateWindowFilterSet], alias: str) -> tuple[str, dict]:
    """The date column, and each filter's condition as SQL with the field that prepares its
    value (one database per process, so worked out once)."""
    model = filterset._meta.model
    equalities = {
        name: _equality_sql(model, path, alias)
        for name, path in filterset.equality_filters().items()
    }
    return _column_sql(model, filterset.date_field, alias), equalities


def _column_sql(model, name: str, alias: str) -> str:
    quote = connection.ops.quote_name
    return f"{quote(alias)}.{quote(model._meta.get_field(name).column)}"


def _equality_sql(model, path: str, alias: str) -> tuple[str, Field]:
    """`path` = %s in SQL, and the field compared: a column of `model`, or `fk__column` of the
    model the key points to (a subquery, so a COUNT stays a count of `model`'s rows alone)."""
    quote = connection.ops.quote_name
    name, _, remote = path.partition("__")
    field = model._meta.get_field(name)
    if not remote:
        return f"{_column_sql(model, name, alias)} = %s", field
    if not field.many_to_one or "__" in remote:
        raise ValueError(f"{path}: a list filter is a column, or a column one foreign key away.")
    target = field.related_model._meta
    target_field = target.get_field(remote)
    operator = "=" if target_field.unique else "IN"
    condition = (
        f"{_column_sql(model, name, alias)} {operator} (SELECT {quote(target.pk.column)} "
        f"FROM {quote(target.db_table)} WHERE {quote(target_field.column)} = %s)"
    )
    return condition, target_field
