"""Hand-written SQL for the API's hottest reads, with the ORM's own conversion of values.

Five reads are written as SQL rather than querysets: the API-key lookup that every request makes
(`apikeys.selectors.apikey_lookup`), the list-leads page (`leads.selectors.lead_list`), the webhook
subscriptions that every change asks for (`webhooks.selectors`), the open call-back that every
completed call looks for (`tasks.selectors`) and the lock every create and merge takes on the
leads with its phone or email (`leads.selectors.lock_matching_ids`). On those, building and
compiling the ORM query cost more CPU than the driver and PostgreSQL spent running it (about
0.4–1.2 ms per query against 0.05–0.5 ms, bench/README.md), and the list is held to a share of
the throughput of the bare SQL (bench/).
Everything else goes through the ORM.

`Columns` keeps hand-written SQL honest: the SELECT list comes from the model, and each value
read goes through the same converters a queryset applies (the backend's, then the field's), so
a row read here equals the row a queryset reads, on SQLite and on PostgreSQL alike. The app uses
one database per process, so the SELECT list and the converters are worked out once.
"""

import functools
from collections.abc import Iterable, Sequence

import orjson
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import JSONField, Model


class Columns:
    """Some of a model's fields as a SELECT list (`alias`.`column`, …), and a fetched row's
    values back as Python values or a model instance (fields not selected are deferred)."""

    def __init__(self, model: type[Model], names: Sequence[str], *, alias: str):
        self.model = model
        self.alias = alias
        # In the model's field order, which Model.from_db() expects of a partial row.
        order = {field.attname: index for index, field in enumerate(model._meta.concrete_fields)}
        fields = sorted(
            (model._meta.get_field(name) for name in names), key=lambda f: order[f.attname]
        )
        self.attnames = [field.attname for field in fields]
        self._cols = [field.get_col(alias) for field in fields]

    def __len__(self) -> int:
        return len(self._cols)

    @functools.cached_property
    def select(self) -> str:
        """The SELECT list (one database per process, so built once)."""
        quote = connection.ops.quote_name
        return ", ".join(f"{quote(self.alias)}.{quote(col.target.column)}" for col in self._cols)

    def convert(self, rows: Iterable[Sequence]) -> list[list]:
        """Rows whose first values are these columns, converted (values after them are left as
        they are)."""
        db = connections[DEFAULT_DB_ALIAS]  # once per batch: the proxy costs a lookup per use
        converters = self._converters
        converted = []
        for row in rows:
            values = list(row)
            for index, col, functions in converters:
                value = values[index]
                for function in functions:
                    value = function(value, col, db)
                values[index] = value
            converted.append(values)
        return converted

    def as_dicts(self, rows: Iterable[Sequence], *, extra: Sequence[str] = ()) -> list[dict]:
        """Rows as dicts keyed by attname; `extra` names values selected after these columns."""
        names = [*self.attnames, *extra]
        return [dict(zip(names, values, strict=True)) for values in self.convert(rows)]

    def instance(self, values: Sequence) -> Model:
        (converted,) = self.convert([values])
        return self.model.from_db(DEFAULT_DB_ALIAS, self.attnames, converted)

    @functools.cached_property
    def _converters(self) -> list:
        # What SQLCompiler.get_converters() finds for these columns; on PostgreSQL that is
        # little more than JSON decoding, on SQLite also UUIDs, decimals and datetimes.
        db = connections[DEFAULT_DB_ALIAS]
        found = []
        for index, col in enumerate(self._cols):
            functions = db.ops.get_db_converters(col) + col.get_db_converters(db)
            field = col.target
            if isinstance(field, JSONField) and field.decoder is None and db.vendor == "postgresql":
                # The same decoding as JSONField.from_db_value (text from jsonb), by orjson:
                # a list decodes every row's tags, and the standard library takes 3× longer.
                functions = [_json_from_db]
            if functions:
                found.append((index, col, functions))
        return found


def _json_from_db(value, expression, connection):
    if value is None:
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:  # (e.g. an integer past 64 bits): as Django would
        return JSONField().from_db_value(value, expression, connection)
