"""The project builds the way a user builds it, and the docs' commands run on a fresh machine.

Packaging: `pip wheel .` and `pip install -e .` work offline (setuptools is pinned in
requirements-dev.txt, so `--no-build-isolation` finds it in .venv), and the wheel holds exactly the
app's packages. Both build from a copy of the checkout: a setuptools build writes `build/` and
`lead_crm.egg-info/` into the source tree, and the working tree is not the test's to litter.

Docs: on a fresh machine the project's interpreter is `.venv/bin/python` (made by
`python3 dev.py run`); a bare `python manage.py …` or `python -m …` fails there (no `python`, or one
without Django).
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP_PACKAGES = {
    "config",
    "core",
    "api",
    "accounts",
    "apikeys",
    "leads",
    "calls",
    "events",
    "webhooks",
    "pipelines",
    "analytics",
    "tasks",
    "routing",
    "ui",
}
# Never copied into the build tree: VCS, environments, caches, build output, local data.
SKIP_AT_ROOT = {
    ".git", ".venv", ".pytest_cache", ".ruff_cache", ".schemathesis", "build", "dist",
    "staticfiles", "tmp", "node_modules",
}  # fmt: skip
SKIP_ANYWHERE = ("__pycache__", "*.pyc", "*.egg-info", "*.sqlite3*")


def _ignore(directory: str, names: list[str]) -> set[str]:
    skipped = set(shutil.ignore_patterns(*SKIP_ANYWHERE)(directory, names))
    if Path(directory) == ROOT:
        skipped |= SKIP_AT_ROOT & set(names)
    return skipped


def _pip(*args: str | Path) -> subprocess.CompletedProcess:
    """Offline: no index, no build isolation (setuptools comes from this environment)."""
    assert importlib.util.find_spec("setuptools"), (
        "setuptools is missing: .venv/bin/pip install -r requirements-dev.txt"
    )
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    command = [sys.executable, "-m", "pip", *map(str, args), "--no-deps", "--no-build-isolation"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """The project's files as a clean clone has them: what git tracks (other test runs may be
    writing their databases in the working tree meanwhile); without git, the tree minus
    local data."""
    source = tmp_path_factory.mktemp("checkout") / "lead-crm"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if tracked.returncode != 0:
        shutil.copytree(ROOT, source, ignore=_ignore)
        return source
    for name in filter(None, tracked.stdout.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    return source


@pytest.fixture(scope="module")
def wheel_names(checkout, tmp_path_factory) -> set[str]:
    out = tmp_path_factory.mktemp("wheelhouse")
    _pip("wheel", "--no-index", "-w", out, checkout)
    (wheel,) = out.glob("lead_crm-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_holds_the_app_packages_and_their_subpackages(wheel_names, checkout):
    for name in (
        "config/settings.py",
        "config/wsgi.py",
        "leads/migrations/0001_initial.py",
        "api/v1/leads.py",
        "apikeys/management/commands/create_api_key.py",
        "ui/templatetags/crm_ui.py",
        "ui/views/__init__.py",
    ):
        assert name in wheel_names
    # Every module of every app package, so a new subpackage cannot be left out silently.
    on_disk = {
        path.relative_to(checkout).as_posix()
        for package in APP_PACKAGES
        for path in (checkout / package).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert on_disk <= wheel_names


def test_wheel_holds_nothing_else(wheel_names):
    """No tests/ or bench/. No templates/ or static/ either: the settings read them from the
    checkout (BASE_DIR), so the supported installs are the checkout and `pip install -e .`
    (see the comment on [tool.setuptools] in pyproject.toml)."""
    top_level = {name.split("/", 1)[0] for name in wheel_names}
    assert top_level == APP_PACKAGES | {"lead_crm-0.1.0.dist-info"}


def test_editable_install_resolves(checkout):
    done = _pip("install", "--no-index", "--dry-run", "-e", checkout)
    assert "Would install lead-crm-0.1.0" in done.stdout


# --- Commands in the docs ---------------------------------------------------------------------

# `python`/`python3`/`python3.11` running manage.py or a module, unless a path (`.venv/bin/`)
# comes first. `python3 -m venv` is the one that must be bare: it makes the venv.
BARE_PYTHON = re.compile(
    r"(?<![\w./$-])python(?:3(?:\.\d+)?)?[ \t]+(?:manage\.py|-m[ \t]+(?P<module>[\w.]+))"
)
ALLOWED_MODULES = {"venv"}
SKIP_DIRS = SKIP_AT_ROOT | {"__pycache__"}


def bare_commands(text: str) -> list[str]:
    return [
        match[0]
        for match in BARE_PYTHON.finditer(text)
        if not (match["module"] in ALLOWED_MODULES and match[0].startswith("python3"))
    ]


def markdown_files() -> list[Path]:
    found = []
    for directory, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        found += [Path(directory, name) for name in files if name.endswith(".md")]
    return sorted(found)


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("python manage.py migrate", ["python manage.py"]),
        ("`python3 manage.py createsuperuser`", ["python3 manage.py"]),
        ("python -m pytest -x", ["python -m pytest"]),
        ("python3.11 -m pip install x", ["python3.11 -m pip"]),
        ("python -m venv .venv", ["python -m venv"]),
        (".venv/bin/python manage.py migrate", []),
        (".venv/bin/python -m pytest", []),
        ("$PY -m pytest; /usr/bin/python3 -m pip", []),
        ("python3 dev.py run && python3 -m venv .venv", []),
        ("python3 -c 'import secrets'", []),
    ],
)
def test_bare_command_finder(text, bare):
    assert bare_commands(text) == bare


def test_markdown_commands_use_the_venv_interpreter():
    files = markdown_files()
    assert ROOT / "README.md" in files
    assert ROOT / "docs" / "api.md" in files
    assert ROOT / "bench" / "README.md" in files
    offending = [
        f"{path.relative_to(ROOT)}:{number}: {command}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        for command in bare_commands(line)
    ]
    assert not offending, "use `.venv/bin/python …` (made by `python3 dev.py run`):\n" + "\n".join(
        offending
    )
