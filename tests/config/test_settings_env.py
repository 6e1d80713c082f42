"""Settings come from the environment, strictly: a value that does not mean what it must stops
the app at start-up, naming the variable (it never quietly becomes a default)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("ON", True),
                                            ("0", False), ("no", False), (" off ", False),
                                            ("", True)])  # fmt: skip
def test_booleans_read_the_usual_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("CRM_TEST_FLAG", raw)
    assert env_bool("CRM_TEST_FLAG", True) is value


@pytest.mark.parametrize("raw", ["ture", "2", "yes please", "enabled"])
def test_a_bad_boolean_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv("CRM_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="CRM_TEST_FLAG"):
        env_bool("CRM_TEST_FLAG", True)


def test_numbers_may_have_spaces_around_them(monkeypatch):
    monkeypatch.setenv("CRM_TEST_NUMBER", " 10 ")
    assert env_int("CRM_TEST_NUMBER", 1) == 10


@pytest.mark.parametrize("raw", ["lots", "1.5", "0x10", "1e3"])
def test_a_bad_number_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv("CRM_TEST_NUMBER", raw)
    with pytest.raises(ImproperlyConfigured, match="CRM_TEST_NUMBER"):
        env_int("CRM_TEST_NUMBER", 1)


def test_a_number_below_its_minimum_names_the_variable(monkeypatch):
    monkeypatch.setenv("CRM_TEST_NUMBER", "0")
    with pytest.raises(ImproperlyConfigured, match="CRM_TEST_NUMBER"):
        env_int("CRM_TEST_NUMBER", 1, minimum=1)


def test_lists_drop_blanks(monkeypatch):
    monkeypatch.setenv("CRM_TEST_LIST", " a, ,b,")
    assert env_list("CRM_TEST_LIST") == ["a", "b"]


def start(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Load the settings in a fresh interpreter, as `manage.py` or gunicorn would."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "API_"))}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_SECURE_SSL_REDIRECT", "ture"),
        ("DJANGO_DEBUG", "nope"),
        ("DATABASE_CONN_HEALTH_CHECKS", "maybe"),
        ("API_MAX_BODY_BYTES", "64k"),
        ("DJANGO_HSTS_SECONDS", "a year"),
        ("API_RATE_LIMIT_PER_MINUTE", "0"),
        ("LOGIN_FAILURE_LIMIT", "ten"),
        ("DATABASE_CONN_MAX_AGE", "-1"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_the_app_refuses_to_start_with_a_bad_setting(name, value):
    started = start({name: value})
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert name in started.stderr


def test_the_app_starts_with_good_settings():
    started = start({"DJANGO_SECURE_SSL_REDIRECT": "0", "API_MAX_BODY_BYTES": "1024"})
    assert started.returncode == 0, started.stderr
