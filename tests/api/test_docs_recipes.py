"""docs/api.md's recipes are run as written, in Python and in bash with curl, against a real
server. If a recipe goes stale, this fails."""

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from calls.models import CallLog
from core.dates import IST
from leads.models import Lead
from tests.factories import make_key, make_lead

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
BLOCK = re.compile(
    r"^### (?P<title>.+?)$|^```(?P<lang>python|bash)\n(?P<code>.*?)^```$", re.M | re.S
)


def recipes() -> list[tuple[str, str, str]]:
    found, title = [], None
    for match in BLOCK.finditer(DOC.read_text()):
        if match["title"]:
            title = match["title"]
        elif title:
            found.append((title, match["lang"], match["code"]))
    return found


def test_each_recipe_comes_in_python_and_curl():
    by_title: dict[str, set[str]] = {}
    for title, lang, _ in recipes():
        by_title.setdefault(title, set()).add(lang)
    assert by_title == {
        "Push a lead from the IVR": {"python", "bash"},
        "Log a missed call from your dialer": {"python", "bash"},
        "Nightly export to a spreadsheet": {"python", "bash"},
    }


@pytest.fixture
def server(live_server, transactional_db, admin_user, tmp_path):
    _, raw = make_key(admin_user)
    env = {**os.environ, "CRM_BASE_URL": live_server.url, "CRM_API_KEY": raw}
    return env, tmp_path


def run(lang: str, code: str, env: dict, cwd: Path) -> str:
    command = (
        [sys.executable, "-c", code]
        if lang == "python"
        else ["bash", "-euo", "pipefail", "-c", code]
    )
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


@pytest.mark.parametrize("lang", ["python", "bash"])
def test_ivr_push(server, lang):
    env, cwd = server
    (code,) = [c for t, lg, c in recipes() if t.startswith("Push") and lg == lang]
    output = run(lang, code, env, cwd)
    lead = Lead.objects.get(phone_e164="+919845012345")
    assert (lead.source, lead.priority, lead.tags) == ("IVR", "High", ["ivr"])
    if lang == "python":
        assert output.splitlines()[0].startswith("new lead")
        assert output.splitlines()[1].startswith("returning caller")
    else:
        assert "HTTP 201" in output


@pytest.mark.parametrize("lang", ["python", "bash"])
def test_dialer_missed_call_sync(server, lang):
    env, cwd = server
    (code,) = [c for t, lg, c in recipes() if t.startswith("Log") and lg == lang]
    output = run(lang, code, env, cwd)
    lead = Lead.objects.get(phone_e164="+919900011122")
    missed = CallLog.objects.get(lead=lead, duration_seconds=0)
    assert missed.outcome == "Missed"
    if lang == "python":
        assert output.split() == ["Missed", "Completed"]
    else:
        assert "HTTP 201" in output


@pytest.mark.parametrize("lang", ["python", "bash"])
def test_nightly_export_pages_until_has_more_is_false(server, lang):
    env, cwd = server
    yesterday = dt.datetime.now(IST).date() - dt.timedelta(days=1)
    noon = dt.datetime.combine(yesterday, dt.time(12), tzinfo=IST)
    for index in range(503):  # two pages of 500
        make_lead(name=f"Lead {index}", created_at=noon - dt.timedelta(seconds=index))
    make_lead(name="today")  # not yesterday: not exported
    (code,) = [c for t, lg, c in recipes() if t.startswith("Nightly") and lg == lang]
    output = run(lang, code, env, cwd)
    if lang == "python":
        lines = (cwd / f"leads-{yesterday}.csv").read_text().splitlines()
        assert len(lines) == 1 + 503
        assert "(503 leads)" in output
    else:
        assert (cwd / f"leads-{yesterday}.jsonl").read_text().count("\n") == 503
