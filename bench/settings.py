"""Settings for the benchmark's server: the app's own settings plus bench-only URLs (the
framework-floor view). Nothing here ships with the app; `config.settings` stays the one module."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# DEBUG off serves static files from the manifest: collectstatic writes them under bench/.
STATIC_ROOT = BASE_DIR / "bench" / ".staticfiles"  # noqa: F405
