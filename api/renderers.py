"""JSON in and out for the API. Kept apart from the viewsets because DRF imports these classes
from settings while its own view classes are being defined."""

import orjson
from django.conf import settings
from rest_framework import exceptions, parsers, renderers, status
from rest_framework.negotiation import BaseContentNegotiation

from core import encoding


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return encoding.dumps(data)


class JSONParser(parsers.BaseParser):
    """Strict JSON: a size cap (DRF streams bodies past Django's DATA_UPLOAD_MAX_MEMORY_SIZE),
    no NaN or Infinity, nesting deeper than orjson's 1024 levels is a 400, not a crash, and no
    text anywhere in the body may hold a NUL character (PostgreSQL cannot store or compare one):
    a 400 naming the field. A view whose body carries independent items under one key
    (`per_item_key`, e.g. bulk's "leads") checks those items itself, so one bad item fails
    alone."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        view = (parser_context or {}).get("view")
        limit = getattr(view, "max_body_bytes", None) or settings.API_MAX_BODY_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise exceptions.ParseError(f"The body is not valid JSON: {exc}.") from exc
        # JSON can only carry a NUL escaped; most bodies have none and skip the walk.
        if b"\\u0000" in body:
            raise_on_nul(_outside_items(data, getattr(view, "per_item_key", None)))
        return data


def _outside_items(data, key: str | None):
    if key and isinstance(data, dict) and isinstance(data.get(key), list):
        return {name: value for name, value in data.items() if name != key}
    return data


def raise_on_nul(data) -> None:
    """A 400 naming the first text in `data` holding a NUL character."""
    if (path := _nul_path(data)) is not None:
        raise exceptions.ValidationError({path: "Must not contain NUL characters."})


def _nul_path(data, path: str = "") -> str | None:
    """The path (`name`, `tags[2]`, `a.b`) of the first text in `data` holding a NUL."""
    if isinstance(data, str):
        return (path or "body") if "\x00" in data else None
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{path}.{key}" if path else key
            if "\x00" in key:
                return name.replace("\x00", "")
            if (found := _nul_path(value, name)) is not None:
                return found
    elif isinstance(data, list):
        for index, value in enumerate(data):
            if (found := _nul_path(value, f"{path}[{index}]")) is not None:
                return found
    return None


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."


class AlwaysJSON(BaseContentNegotiation):
    """Every API answer is JSON, whatever Accept says: an error page must never turn into HTML,
    and a 406 helps nobody. (The schema views declare their own single renderer.)"""

    def select_parser(self, request, parsers):
        content_type = request.content_type.split(";")[0].strip().lower()
        return next((p for p in parsers if p.media_type == content_type), None)

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
