"""`collectstatic` as production runs it (DEBUG off: the compressed manifest storage, which
rewrites and checks every reference inside CSS and JS files): a vendored file that names a file
not vendored (a source map) fails the deployment, so it fails here first."""

from django.core.management import call_command

PRODUCTION = "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_collectstatic_with_the_production_storage_succeeds(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION}}
    call_command("collectstatic", interactive=False, verbosity=0)
    assert list(tmp_path.rglob("chart.umd.min.*.js"))
    assert list(tmp_path.rglob("Sortable.min.*.js"))
