#!/usr/bin/env python3
"""The project's two commands, runnable on a fresh machine that has only python3 (3.11+).

    python3 dev.py run     set everything up, load demo data, serve http://127.0.0.1:8000 (SQLite)
                           with the background worker beside it (webhook deliveries)
    python3 dev.py test    set everything up (Chromium, curl, node) and run the whole test suite
    python3 dev.py bench   the benchmark on PostgreSQL + Redis (bench/README.md); args go along

Both create `.venv/` on first use and reinstall only when the pinned requirements change.
Extra arguments after `test` go to pytest (`python3 dev.py test -k merge -x`).

`run` starts two processes: the task worker (`manage.py db_worker`, which delivers webhooks) and
the development server (`manage.py runserver`). Ctrl-C, or the end of either one, stops both;
on Linux the two also die with this script if it is killed outright, so no worker is left behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
CHROMIUM = "/usr/bin/chromium"


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def ensure_venv(requirements: str) -> None:
    """Create .venv and install `requirements`, skipping the install when nothing changed."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is required (found {sys.version.split()[0]}).")
    if not PYTHON.exists():
        say("Creating the virtual environment in .venv/")
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256()
    for name in ("requirements.txt", requirements):
        digest.update((ROOT / name).read_bytes())
    stamp = VENV / f".installed-{requirements}-{digest.hexdigest()[:16]}"
    if stamp.exists():
        return
    say(f"Installing {requirements} (first run only; takes a minute)")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-r", requirements)
    for old in VENV.glob(f".installed-{requirements}-*"):
        old.unlink()
    stamp.touch()


def ensure_test_tools() -> None:
    """The browser tests drive Debian's chromium (Playwright's own browser download does not work
    on the project's machines); the docs' recipes need curl, and node for the webhook-verifying
    one. All come from apt."""
    wanted = {"chromium": CHROMIUM, "curl": "/usr/bin/curl"}
    missing = [package for package, path in wanted.items() if not Path(path).exists()]
    if shutil.which("node") is None:
        missing.append("nodejs")
    if not missing:
        return
    apt = shutil.which("apt-get")
    if apt is None:
        say(f"Missing {', '.join(missing)} and no apt-get to install them: tests will fail.")
        return
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    say(f"Installing {', '.join(missing)} with apt-get (first run only)")
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, apt, "update", "-qq"], env=quiet, check=False)
    install = [*sudo, apt, "install", "-y", "-qq", "--no-install-recommends"]
    subprocess.run([*install, *missing, "fonts-dejavu-core"], env=quiet, check=False)


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, get SIGTERM when the parent dies (even by kill -9),
    so the worker and the server never outlive this script."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def stop(process: subprocess.Popen | None, grace: float) -> None:
    """SIGTERM (the worker finishes the delivery in hand first), then SIGKILL after `grace` s."""
    if process is None:
        return
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cmd_run() -> None:
    ensure_venv("requirements.txt")
    manage = [PYTHON, "manage.py"]
    run(*manage, "migrate", "--no-input", "-v", "0")
    run(*manage, "seed_demo")

    def terminated(signum, frame):  # a SIGTERM or SIGHUP to this script stops both children
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGHUP, terminated)
    worker = server = None
    code = 0
    try:
        say("Starting the background worker (manage.py db_worker): it delivers webhooks and emails")
        # Its own process group: the terminal's Ctrl-C reaches only this script, which then
        # asks the worker once to stop (a second signal would make it drop the delivery in hand).
        worker = subprocess.Popen(
            [str(PYTHON), "manage.py", "db_worker"],
            cwd=ROOT,
            process_group=0,
            preexec_fn=_die_with_parent,
        )
        say("Serving http://127.0.0.1:8000  (Ctrl-C stops the server and the worker)")
        server = subprocess.Popen(
            [str(PYTHON), "manage.py", "runserver", "127.0.0.1:8000"],
            cwd=ROOT,
            preexec_fn=_die_with_parent,
        )
        while server.poll() is None:
            if worker.poll() is not None:
                say(f"The worker stopped (exit {worker.returncode}): stopping the server too")
                code = 1
                break
            time.sleep(0.5)
        else:
            code = server.returncode
    except KeyboardInterrupt:
        pass  # the server got the Ctrl-C too (same process group); the worker is told below
    except SystemExit as exit_:
        code = exit_.code
    finally:
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):  # a second signal must not cut it short
            signal.signal(getattr(signal, name), signal.SIG_IGN)
        stop(server, grace=5)
        if worker is not None:
            say("Stopping the worker")
        stop(worker, grace=15)
    sys.exit(code)


def cmd_test(pytest_args: list[str]) -> None:
    ensure_venv("requirements-dev.txt")
    ensure_test_tools()
    say("Running the test suite")
    os.execv(str(PYTHON), [str(PYTHON), "-m", "pytest", *pytest_args])


def cmd_bench(bench_args: list[str]) -> None:
    ensure_venv("requirements-dev.txt")
    os.execv(str(PYTHON), [str(PYTHON), "bench/run.py", *bench_args])


def main() -> None:
    os.chdir(ROOT)
    command, *rest = sys.argv[1:] or ["help"]
    if command == "run":
        cmd_run()
    elif command == "test":
        cmd_test(rest)
    elif command == "bench":
        cmd_bench(rest)
    else:
        print(__doc__)
        sys.exit(0 if command == "help" else 2)


if __name__ == "__main__":
    main()
