"""Where routing's emails go: EMAIL_URL (smtp://, smtps://, console://, dummy://) read strictly
at start-up, else the usual EMAIL_HOST settings, else the console. A value that does not say
what it means stops the app, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.mailurl import email_url_settings

ROOT = Path(__file__).resolve().parents[2]


def test_smtp_with_starttls_and_a_login():
    assert email_url_settings("smtp://crm%40example.com:p%40ss:w@mail.example.com:587?tls=1") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "crm@example.com",
        "EMAIL_HOST_PASSWORD": "p@ss:w",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
    }


def test_smtps_is_tls_from_the_start_on_port_465():
    settings = email_url_settings("smtps://user:secret@mail.example.com")
    assert (settings["EMAIL_PORT"], settings["EMAIL_USE_SSL"], settings["EMAIL_USE_TLS"]) == (
        465, True, False,
    )  # fmt: skip


def test_plain_smtp_without_a_login():
    settings = email_url_settings("smtp://relay.internal")
    assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"], settings["EMAIL_HOST_USER"]) == (
        "relay.internal", 25, "",
    )  # fmt: skip


def test_console_and_dummy():
    assert email_url_settings("console://") == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"
    }
    assert email_url_settings("dummy://")["EMAIL_BACKEND"].endswith("dummy.EmailBackend")


@pytest.mark.parametrize(
    "url",
    ["http://mail.example.com", "smtp://", "smtp://mail.example.com?tls=maybe",
     "smtp://mail.example.com?tsl=1", "smtps://mail.example.com?tls=1",
     "smtp://mail.example.com:notaport"],
)  # fmt: skip
def test_a_url_that_does_not_say_what_it_means_is_refused(url):
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_url_settings(url)


def settings_in_a_fresh_process(**env) -> str:
    """The email settings a new process reads from this environment (or its error)."""
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; "
        "from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND.rsplit('.', 2)[1], s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return (result.stdout or result.stderr).strip().splitlines()[-1]


def test_the_settings_read_email_url_then_email_host_then_default_to_the_console():
    assert settings_in_a_fresh_process() == "console localhost 25 False"
    assert (
        settings_in_a_fresh_process(EMAIL_URL="smtp://u:p@mail.example.com:587?tls=1")
        == "smtp mail.example.com 587 True"
    )
    assert (
        settings_in_a_fresh_process(EMAIL_HOST="relay.internal", EMAIL_PORT="2525")
        == "smtp relay.internal 2525 False"
    )
    assert "EMAIL_URL" in settings_in_a_fresh_process(EMAIL_URL="smtp://x?tls=yes please")


@pytest.mark.parametrize(
    "url", ["smtp://u:12#x@mail.example.com", "smtp://u:se#cret@h", "smtp://mail.example.com/x"]
)
def test_a_password_with_an_unencoded_hash_is_refused_without_quoting_it(url):
    with pytest.raises(ImproperlyConfigured) as refused:
        email_url_settings(url)
    assert "cret" not in str(refused.value)
    assert "12" not in str(refused.value)
