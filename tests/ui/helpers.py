"""Reading the pages in plain tests, and the screen sizes of the browser tests."""

import html
import re

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# The cache as production configures it (django-redis), pointed at a Redis that is not there.
REDIS_DOWN = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
    }
}


def field_errors(response) -> dict[str, list[str]]:
    """The errors shown next to each field, keyed by field name. templates/_field.html puts a
    field's label, input and errors inside one `<div class="field …">`."""
    errors: dict[str, list[str]] = {}
    for chunk in re.split(r'<div class="field[" ]', response.content.decode())[1:]:
        if name := re.search(r'for="id_(\w+)"', chunk):
            found = re.findall(r'class="field-error" role="alert">(.*?)</div>', chunk, re.S)
            errors[name.group(1)] = [html.unescape(message) for message in found]
    return {name: found for name, found in errors.items() if found}


def form_errors(response) -> list[str]:
    """Errors shown above a form (not tied to one field)."""
    found = re.findall(r'class="form-error" role="alert">(.*?)</div>', response.content.decode())
    return [html.unescape(message) for message in found]


def messages_shown(response) -> list[str]:
    found = re.findall(r'<li class="message[^"]*">(.*?)</li>', response.content.decode(), re.S)
    return [html.unescape(message) for message in found]


def lead_names(response) -> list[str]:
    """The lead names in a leads table, top to bottom."""
    found = re.findall(r'<a class="lead-link" href="[^"]+">(.*?)</a>', response.content.decode())
    return [html.unescape(name) for name in found]
