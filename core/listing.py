"""List filters as one declarative table: a django-filter FilterSet whose filters are the list's
query parameters. The table drives the parameters' validation (its form), the OpenAPI document
(drf-spectacular reads FilterSets), the ORM query (`q()`, `.qs`), and the hand-written SQL of a
fast list (`sql()`): a filter declared once is applied the same way by all four.

A filter compares a column of the model (exact, or `gte`), or a column of a model one foreign
key away (`assigned_to__email`); a filter that needs more (a text search) says how, once for the
ORM and once in SQL, through `Condition`. The date window (`from_date`/`to_date`, IST days) is on
every list: to_date defaults to today and from_date to 30 days before it, unless a lookup that
names what it wants (`window_lifted_by`) is given without either.
"""

import datetime as dt
import functools
import re
from collections.abc import Mapping
from typing import Any

import django_filters
import django_filters.utils
from django import forms
from django.db import connection
from django.db.models import Field, Q
from django.utils.datastructures import MultiValueDict

from .dates import ist_midnight, ist_today, ist_window, validate_day

CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only, unlike \d
ANY = "all"  # the value a client sends to mean "no filter" (the specification's default)
WINDOW = ("from_date", "to_date")


class DateWindowForm(forms.Form):
    window_lifted_by: tuple[str, ...] = ()
    default_window = True

    def clean(self):
        cleaned = super().clean()
        # A parameter that is present must say something: `?status=` is a client bug, not
        # "no filter".
        for name in self.fields:
            if name in self.data and not str(self.data[name]).strip():
                self.add_error(name, "Must not be empty; leave the parameter out instead.")
        if self.errors:
            return cleaned
        given = {name for name in self.fields if name in self.data}
        if not self.default_window:
            # Only the bounds given (a list of everything unless the client narrows it).
            from_date, to_date = cleaned.get("from_date"), cleaned.get("to_date")
            if from_date and to_date and from_date > to_date:
                self.add_error(
                    "from_date", f"from_date ({from_date}) is after to_date ({to_date})."
                )
            return cleaned
        if not given & set(WINDOW) and given & set(self.window_lifted_by):
            # A lookup (a phone, changes since…) wants every lead, not the last 30 days'.
            cleaned["from_date"] = cleaned["to_date"] = None
            return cleaned
        from_date, to_date = ist_window(cleaned.get("from_date"), cleaned.get("to_date"))
        if from_date > to_date:
            self.add_error("from_date", f"from_date ({from_date}) is after to_date ({to_date}).")
        cleaned["from_date"], cleaned["to_date"] = from_date, to_date
        return cleaned


class ISODateField(forms.DateField):
    """Exactly YYYY-MM-DD, nothing around it: strptime alone would also take 2026-1-1, and
    Django's field would strip spaces."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {
        "invalid": "Enter a date as YYYY-MM-DD.",
        "no_such_day": "There is no such day: %(value)s.",
    }
    default_validators = [validate_day]

    def to_python(self, value):
        if value not in self.empty_values and not ISO_DATE.fullmatch(str(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return super().to_python(value)
        except forms.ValidationError:  # the form is right, the day is not (2026-02-30)
            raise forms.ValidationError(
                self.error_messages["no_such_day"], code="no_such_day", params={"value": value}
            ) from None


class ISODateFilter(django_filters.DateFilter):
    field_class = ISODateField


class InstantField(forms.Field):
    """An ISO 8601 date-time that says its offset (`Z` or `+05:30`): a moment, not a wall time."""

    default_error_messages = {
        "invalid": "Enter an ISO 8601 date-time with Z or an offset, e.g. 2026-04-22T10:30:00Z."
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if moment.tzinfo is None or not dt.date(1900, 1, 1) <= moment.date() <= dt.date(9998, 1, 1):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return moment


class InstantFilter(django_filters.Filter):
    field_class = InstantField


class AnyMeansNoFilter:
    """A form field mixin: the value `all` means no filter (a value literally named "all"
    cannot be filtered on; documented)."""

    def clean(self, value):
        return None if value == ANY else super().clean(value)


class LowercaseEmailField(forms.EmailField):
    """Emails are stored lowercased (users, dedup keys): the filter compares the same way."""

    def clean(self, value):
        cleaned = super().clean(value)
        return cleaned.lower() if cleaned else cleaned


class AnyLowercaseEmailField(AnyMeansNoFilter, LowercaseEmailField):
    pass


class EmailFilter(django_filters.CharFilter):
    """An email lookup: `all` is not an email (a 400), so it never lists every lead."""

    field_class = LowercaseEmailField


class AnyEmailFilter(django_filters.CharFilter):
    """An email, or `all` for no filter (as `assigned_to` takes it)."""

    field_class = AnyLowercaseEmailField


class AnyCharField(AnyMeansNoFilter, forms.CharField):
    pass


class AnyChoiceField(AnyMeansNoFilter, django_filters.fields.ChoiceField):
    pass


class UUIDField(forms.UUIDField):
    """An id as the API writes them, 8-4-4-4-12 hex digits and nothing else (Django's field
    would also take braces, `urn:uuid:`, misplaced hyphens and spaces around)."""

    default_error_messages = {
        "invalid": "Enter an id (a UUID).",
        "nil": "The nil UUID is no one's id.",
    }

    def to_python(self, value):
        if value not in self.empty_values and not CANONICAL_UUID.fullmatch(str(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        found = super().to_python(value)
        # No row has it, and the counts (core.tally) use it for "any stage / any pipeline".
        if found is not None and found.int == 0:
            raise forms.ValidationError(self.error_messages["nil"], code="nil")
        return found


class AnyUUIDField(AnyMeansNoFilter, UUIDField):
    pass


class IdFilter(django_filters.UUIDFilter):
    """An id, or `all` for no filter."""

    field_class = AnyUUIDField


class CharFilter(django_filters.CharFilter):
    """A text equality that also takes `all`."""

    field_class = AnyCharField


class ChoiceFilter(django_filters.ChoiceFilter):
    """A choice that also takes `all`."""

    field_class = AnyChoiceField


def _not_a_condition(queryset, name, value):
    return queryset  # applied as a whole by the FilterSet (the window, the sort)


def window_filter(description: str) -> django_filters.DateFilter:
    """A bound of the date window (applied by the FilterSet as a whole, not as a condition)."""
    return ISODateFilter(method=_not_a_condition, help_text=description)


def sort_filter(sorts: Mapping[str, tuple[str, ...]], default: str) -> django_filters.Filter:
    """The `sort` parameter: one of `sorts`' keys (ties always broken by id)."""
    allowed = ", ".join(sorts)
    return django_filters.ChoiceFilter(
        choices=[(name, name) for name in sorts],
        method=_not_a_condition,
        help_text=f"Order of the list: one of {allowed}. Default: {default}.",
        error_messages={"invalid_choice": f"Unknown sort “%(value)s”; use one of: {allowed}."},
    )


def strict_choice_filter(choices, name: str) -> ChoiceFilter:
    allowed = ", ".join(value for value, _ in choices)
    return ChoiceFilter(
        choices=[*choices, (ANY, "Any")],
        help_text=f"One of: {allowed} (or `all`).",
        error_messages={"invalid_choice": f"Unknown {name} “%(value)s”; use one of: {allowed}."},
    )


class Condition:
    """A filter whose condition is more than a column comparison: it gives it once for the ORM
    and once as SQL on the table aliased `alias` (with its bound parameters)."""

    def orm_condition(self, value) -> Q:
        raise NotImplementedError

    def sql_condition(self, value, alias: str) -> tuple[str, list]:
        raise NotImplementedError


class _SharedFields(dict):
    """A form's base_fields whose deep copy (a form's own `fields`) shares the field objects."""

    def __deepcopy__(self, memo):
        return dict(self)


class DateWindowFilterSet(django_filters.FilterSet):
    """from_date/to_date are IST days: from_date's midnight up to the end of to_date. to_date
    defaults to today and from_date to 30 days before to_date. Subclasses declare `date_field`
    and their filters; `sort` (if declared, with `SORTS`) orders the list."""

    date_field = "created_at"
    window_lifted_by: tuple[str, ...] = ()
    default_window = True  # False: no window unless from_date/to_date are given
    # sort parameter value → ORM order_by (the last column unique, so pages are stable);
    # without a sort parameter a list is newest first by its date field.
    SORTS: Mapping[str, tuple[str, ...]] = {}
    DEFAULT_SORT = ""

    from_date = window_filter("On or after this IST day (YYYY-MM-DD). Default: to_date − 30 days.")
    to_date = window_filter("On or before this IST day (YYYY-MM-DD), inclusive. Default: today.")

    class Meta:
        form = DateWindowForm

    def get_form_class(self):
        # django-filter builds a new form class, with a new form field per filter, on every
        # request: about 8% of a list request's CPU (bench/README.md). None of our filters
        # depends on the request (no request-based querysets), so each FilterSet class builds
        # its form once.
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            form_class = super().get_form_class()
            form_class.window_lifted_by = cls.window_lifted_by
            form_class.default_window = cls.default_window
            # A form deep-copies its fields when made (~15% of a list request's CPU). These
            # are only read (they validate parameters; no filter form is rendered), so each
            # form shares its class's fields.
            form_class.base_fields = _SharedFields(form_class.base_fields)
            cls._form_class = form_class
        return cls._form_class

    @classmethod
    def validated(cls, data) -> dict:
        """The valid parameters in `data` (a QueryDict) with the window's defaults filled in; a
        bad one is a ValidationError naming it (a 400). For a list read without a queryset:
        this builds the form alone, not a FilterSet, which deep-copies every filter on the way.

        The same filter parameters on the same IST day give the same values (no filter reads
        the database, the request or the clock but for the day; settings do not change while a
        process runs), so the last few hundred answers are kept: a client polling one list, or
        paging through it, skips the form (~7% of a list request's CPU). Each caller gets its
        own copy."""
        if not isinstance(data, MultiValueDict):  # a plain mapping: validated as it is
            return _clean(cls, data)
        fields = _form_class(cls).base_fields  # (paging parameters are not the form's)
        params = tuple((name, tuple(values)) for name, values in data.lists() if name in fields)
        cleaned = _validated(cls, params, ist_today())
        return {name: list(v) if isinstance(v, list) else v for name, v in cleaned.items()}

    def filter_queryset(self, queryset):
        values = self.form.cleaned_data
        return queryset.filter(self.q(values)).order_by(*self.ordering(values))

    # --- The table, read by the ORM and by hand-written SQL --------------------------------

    @classmethod
    def conditions(cls) -> dict[str, django_filters.Filter]:
        """Every filter that is a condition (not the window, not the sort)."""
        if "_conditions" not in cls.__dict__:
            cls._conditions = {
                name: flt
                for name, flt in cls.base_filters.items()
                if name not in WINDOW and flt.method is not _not_a_condition
            }
        return cls._conditions

    @classmethod
    def ordering(cls, values: Mapping) -> tuple[str, ...]:
        sort = values.get("sort") or cls.DEFAULT_SORT
        return cls.SORTS[sort] if sort else (f"-{cls.date_field}", "-id")

    @classmethod
    def q(cls, values: Mapping) -> Q:
        """The filters given in `values` (cleaned values; empty ones are not filters) as one
        condition. The date window applies to whichever of from_date/to_date is set."""
        query = Q()
        for name, flt in cls.conditions().items():
            value = values.get(name)
            if value in (None, "", []):
                continue
            if isinstance(flt, Condition):
                query &= flt.orm_condition(value)
            else:
                query &= Q(**{f"{flt.field_name}__{flt.lookup_expr}": value})
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
        date_column, comparisons = _sql_fragments(cls, alias)
        adapt = connection.ops.adapt_datetimefield_value
        conditions: list[str] = []
        params: list[Any] = []
        if values.get("from_date"):
            conditions.append(f"{date_column} >= %s")
            params.append(adapt(ist_midnight(values["from_date"])))
        if values.get("to_date"):
            conditions.append(f"{date_column} < %s")
            params.append(adapt(ist_midnight(values["to_date"] + dt.timedelta(days=1))))
        for name, flt in cls.conditions().items():
            value = values.get(name)
            if value in (None, "", []):
                continue
            if isinstance(flt, Condition):
                condition, condition_params = flt.sql_condition(value, alias)
                conditions.append(condition)
                params += condition_params
            else:
                condition, field = comparisons[name]
                conditions.append(condition)
                params.append(field.get_db_prep_value(value, connection))
        return conditions, params

    @classmethod
    def sql_ordering(cls, values: Mapping, alias: str) -> str:
        """`ordering()` as an SQL ORDER BY list."""
        quote = connection.ops.quote_name
        model = cls._meta.model
        columns = []
        for name in cls.ordering(values):
            field = model._meta.get_field(name.lstrip("-"))
            direction = "DESC" if name.startswith("-") else "ASC"
            columns.append(f"{quote(alias)}.{quote(field.column)} {direction}")
        return ", ".join(columns)


@functools.cache
def _sql_fragments(filterset: type[DateWindowFilterSet], alias: str) -> tuple[str, dict]:
    """The date column, and each plain filter's comparison as SQL with the field that prepares
    its value (one database per process, so worked out once)."""
    model = filterset._meta.model
    comparisons = {
        name: _comparison_sql(model, flt.field_name, flt.lookup_expr, alias)
        for name, flt in filterset.conditions().items()
        if not isinstance(flt, Condition)
    }
    return _column_sql(model, filterset.date_field, alias), comparisons


def _column_sql(model, name: str, alias: str) -> str:
    quote = connection.ops.quote_name
    return f"{quote(alias)}.{quote(model._meta.get_field(name).column)}"


OPERATORS = {"exact": "=", "gte": ">="}


def _comparison_sql(model, path: str, lookup: str, alias: str) -> tuple[str, Field]:
    """`path` <op> %s in SQL, and the field compared: a column of `model`, or `fk__column` of
    the model the key points to (a subquery, so a COUNT stays a count of `model`'s rows)."""
    quote = connection.ops.quote_name
    operator = OPERATORS[lookup]
    name, _, remote = path.partition("__")
    field = model._meta.get_field(name)
    if not remote:
        return f"{_column_sql(model, name, alias)} {operator} %s", field
    if not field.many_to_one or "__" in remote or lookup != "exact":
        raise ValueError(f"{path}: a list filter is a column, or a column one foreign key away.")
    target = field.related_model._meta
    target_field = target.get_field(remote)
    membership = "=" if target_field.unique else "IN"
    condition = (
        f"{_column_sql(model, name, alias)} {membership} (SELECT {quote(target.pk.column)} "
        f"FROM {quote(target.db_table)} WHERE {quote(target_field.column)} = %s)"
    )
    return condition, target_field


def like_pattern(text: str) -> str:
    """`text` as a LIKE pattern matching it anywhere, its own wildcards escaped (ESCAPE '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def keyset_condition(model, ordering, alias: str, values) -> tuple[str, list]:
    """The rows after `values` (one per column of `ordering`, e.g. ("-created_at", "-id")) in
    that order, as one row-value comparison on the table aliased `alias`: `(a, id) < (%s, %s)`
    when the order is descending, `>` when ascending. The columns run in one direction, in the
    order of an index on them, so the comparison is that index's range (a keyset page)."""
    descending = {name.startswith("-") for name in ordering}
    if len(descending) != 1 or len(values) != len(ordering):
        raise ValueError(f"{ordering}: a keyset runs every column in one direction.")
    fields = [model._meta.get_field(name.lstrip("-")) for name in ordering]
    columns = ", ".join(_column_sql(model, field.name, alias) for field in fields)
    operator = "<" if descending.pop() else ">"
    placeholders = ", ".join("%s" for _ in fields)
    params = [
        field.get_db_prep_value(value, connection)
        for field, value in zip(fields, values, strict=True)
    ]
    return f"({columns}) {operator} ({placeholders})", params


@functools.lru_cache(maxsize=512)
def _validated(filterset: type[DateWindowFilterSet], params: tuple, day: dt.date) -> dict:
    # `day` is the IST day the defaults of the window were worked out on: a new day, new values.
    return _clean(filterset, MultiValueDict({name: list(values) for name, values in params}))


def _form_class(filterset: type[DateWindowFilterSet]) -> type[forms.Form]:
    return filterset.__dict__.get("_form_class") or filterset().get_form_class()


def _clean(filterset: type[DateWindowFilterSet], data: Mapping) -> dict:
    form = _form_class(filterset)(data=data)
    if not form.is_valid():
        raise django_filters.utils.translate_validation(form.errors)
    return form.cleaned_data
