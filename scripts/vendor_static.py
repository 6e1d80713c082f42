"""Copy the browser libraries that package.json pins into static/vendor/, where the app serves
them from (no CDN: the Content-Security-Policy allows scripts from this origin only).

    python3 scripts/vendor_static.py          # install with `npm ci` and copy
    python3 scripts/vendor_static.py --check  # exit 1 if static/vendor/ differs from the pin

The copied files are committed, so running the app or its tests needs no npm: run this after
changing a version in package.json (`npm install --package-lock-only` updates the lock file
first). npm runs in a temporary directory, so no node_modules/ is left in the checkout."""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "static" / "vendor"
# package name → {file in the package: name under static/vendor/<folder>/}
FILES = {
    "sortablejs": {"Sortable.min.js": "Sortable.min.js", "LICENSE": "LICENSE"},
    # The UMD build: one file, the global `Chart` (@kurkle/color is bundled into it).
    "chart.js": {"dist/chart.umd.min.js": "chart.umd.min.js", "LICENSE.md": "LICENSE"},
}
# The folder under static/vendor/ when it is not the package's name.
FOLDERS = {"chart.js": "chartjs"}


def install(workdir: Path) -> Path:
    """`npm ci` from package.json and package-lock.json (exact versions, integrity-checked)."""
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(ROOT / name, workdir / name)
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is missing: install Node.js (apt-get install nodejs npm).")
    subprocess.run(  # noqa: S603 (a fixed command line, no outside input)
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=workdir, check=True
    )
    return workdir / "node_modules"


# A minified file's last line may name its source map, which is not vendored: the static files
# storage (a manifest of hashed names) would look for it and fail. The line is left out.
SOURCE_MAP = re.compile(rb"\n//# sourceMappingURL=\S+\s*$")


def vendored(path: Path) -> bytes:
    """The file as it is vendored."""
    return SOURCE_MAP.sub(b"\n", path.read_bytes())


def pinned_version(package: str) -> str:
    return json.loads((ROOT / "package.json").read_text())["dependencies"][package]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, change nothing")
    args = parser.parse_args()
    stale = []
    with tempfile.TemporaryDirectory() as temp:
        modules = install(Path(temp))
        for package, files in FILES.items():
            source = modules / package
            installed = json.loads((source / "package.json").read_text())["version"]
            if installed != (pinned := pinned_version(package)):
                raise SystemExit(
                    f"{package}: npm installed {installed}, package.json pins {pinned}: "
                    "update package-lock.json"
                )
            folder = FOLDERS.get(package, package)
            target = VENDOR / folder
            target.mkdir(parents=True, exist_ok=True)
            for name, copied in files.items():
                content = vendored(source / name)
                if (target / copied).exists() and (target / copied).read_bytes() == content:
                    continue
                stale.append(f"static/vendor/{folder}/{copied}")
                if not args.check:
                    (target / copied).write_bytes(content)
            print(f"{package} {installed}: static/vendor/{folder}/")
    if stale:
        print(("Out of date: " if args.check else "Updated: ") + ", ".join(stale))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
