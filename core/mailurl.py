"""EMAIL_URL: where the app's email goes, as one URL, read as strictly as every other setting
(core.env): a URL that does not say what it means stops the app at start-up.

    smtp://user:password@mail.example.com:587?tls=1   SMTP with STARTTLS (port 587)
    smtps://user:password@mail.example.com            SMTP over TLS (port 465 unless given)
    smtp://mail.example.com                           plain SMTP without a login (port 25)
    console://                                        printed on stdout (the default)
    dummy://                                          dropped

A user name or password holding `@`, `:` or `/` is percent-encoded (`%40`, `%3A`, `%2F`).

Not dj-email-url: it reads `smtps://` as STARTTLS (and warns it is deprecated), and takes an
unknown scheme or a typo'd query silently, leaving the app on a backend nobody asked for."""

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from .env import FALSE, TRUE

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
DUMMY_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
_OTHER_BACKENDS = {"console": CONSOLE_BACKEND, "dummy": DUMMY_BACKEND}
_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


def email_url_settings(url: str, *, name: str = "EMAIL_URL") -> dict[str, Any]:
    """Django's EMAIL_* settings that `url` stands for."""
    unreadable = ImproperlyConfigured(
        f"{name} is not a URL this app can read: percent-encode @ : / # ? in the user name "
        "and the password (%40 %3A %2F %23 %3F)."
    )  # (never quoting the URL: it holds the password)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise unreadable from None
    if "#" in url or parts.path not in ("", "/"):
        raise unreadable
    scheme = parts.scheme.lower()
    if scheme in _OTHER_BACKENDS:
        return {"EMAIL_BACKEND": _OTHER_BACKENDS[scheme]}
    if scheme not in _DEFAULT_PORTS:
        raise ImproperlyConfigured(
            f"{name}: the scheme must be smtp, smtps, console or dummy, not {scheme!r}."
        )
    if not parts.hostname:
        raise ImproperlyConfigured(f"{name}: name the mail server, e.g. smtp://mail.example.com.")
    options = _options(parts.query, name)
    use_ssl = scheme == "smtps" or options.get("ssl", False)
    use_tls = options.get("tls", False)
    if use_ssl and use_tls:
        raise ImproperlyConfigured(f"{name}: choose TLS from the start (smtps) or STARTTLS.")
    return {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (_DEFAULT_PORTS["smtps"] if use_ssl else _DEFAULT_PORTS["smtp"]),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
    }


def _options(query: str, name: str) -> dict[str, bool]:
    options = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in ("tls", "ssl"):
            raise ImproperlyConfigured(f"{name}: unknown option {key!r} (use tls=1 or ssl=1).")
        if value.lower() in TRUE:
            options[key] = True
        elif value.lower() in FALSE:
            options[key] = False
        else:
            raise ImproperlyConfigured(f"{name}: {key}={value!r} is not a boolean (use 1 or 0).")
    return options
