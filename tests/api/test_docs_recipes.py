"""docs/api.md's recipes are run as written, in Python and in bash with curl, against a real
server; the webhook receivers, in Python and in Node, against messages our own delivery code
signs and sends. If a recipe goes stale, this fails."""

import contextlib
import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from calls.models import CallLog
from core.dates import IST
from events.models import Event
from events.services import Actor
from leads.models import Lead, Note
from tasks.models import Task
from tasks.services import task_create
from tests.factories import make_key, make_lead
from tests.webhooks.conftest import drain
from webhooks import rules
from webhooks.delivery import send, signed_headers
from webhooks.models import Message, Subscription

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
BLOCK = re.compile(
    r"^### (?P<title>.+?)$|^```(?P<lang>python|bash|js)\n(?P<code>.*?)^```$", re.M | re.S
)
IVR = "Push a lead from the IVR"
MISSED_CALL = "Log a missed call from your dialer"
CALL_START_END = "Dialer call start → end with external_id"
LOOKUP = "Look a caller up by phone"
SYNC = "Nightly sync with updated_since"
MOVE = "Move a deal along the pipeline"
RETRIES = "Safe retries with Idempotency-Key"
BULK = "Bulk import of a web-form backlog"
EXPORT = "Nightly export to a spreadsheet"
FOLLOW_UP = "Schedule a follow-up and work the overdue list"
WEBHOOK_TOUR = "Manage webhook subscriptions with curl"  # one bash block per endpoint, run in turn
VERIFY = "Verify a webhook"  # a receiver, in Python and in Node: it reads WEBHOOK_SECRET


def recipes() -> list[tuple[str, str, str]]:
    found, title = [], None
    for match in BLOCK.finditer(DOC.read_text()):
        if match["title"]:
            title = match["title"]
        elif title:
            found.append((title, match["lang"], match["code"]))
    return found


def recipe(title: str, lang: str) -> str:
    (code,) = [c for t, lg, c in recipes() if t == title and lg == lang]
    return code


def test_each_recipe_comes_in_python_and_curl():
    blocks = Counter((title, lang) for title, lang, _ in recipes())
    titles = [
        IVR,
        MISSED_CALL,
        CALL_START_END,
        LOOKUP,
        MOVE,
        SYNC,
        RETRIES,
        BULK,
        EXPORT,
        FOLLOW_UP,
    ]
    assert blocks == {
        **{(title, lang): 1 for title in titles for lang in ("python", "bash")},
        # subscribe, list and get, patch, test, deliveries, resend, rotate-secret, delete
        (WEBHOOK_TOUR, "bash"): 8,
        (VERIFY, "python"): 1,
        (VERIFY, "js"): 1,
    }


def test_recipes_read_the_base_url_and_key_from_the_environment():
    for title, lang, code in recipes():
        if title == VERIFY:
            assert "WEBHOOK_SECRET" in code, lang  # no secret written into the code
            continue
        assert "CRM_BASE_URL" in code, (title, lang)
        assert "CRM_API_KEY" in code, (title, lang)
        assert "example.com/api" not in code, (title, lang)  # no hard-coded server


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


def http_statuses(output: str) -> list[int]:
    """The `-w '\\nHTTP %{http_code}\\n'` lines curl printed, in order."""
    return [int(code) for code in re.findall(r"^HTTP (\d{3})$", output, re.M)]


# --- Push a lead from the IVR ----------------------------------------------------------------


@pytest.mark.parametrize("lang", ["python", "bash"])
def test_ivr_push(server, lang):
    env, cwd = server
    output = run(lang, recipe(IVR, lang), env, cwd)
    lead = Lead.objects.get(phone_e164="+919845012345")
    assert (lead.source, lead.priority, lead.tags) == ("IVR", "High", ["ivr"])
    if lang == "python":
        assert output.splitlines()[0].startswith("new lead")
        assert output.splitlines()[1].startswith("returning caller")
    else:
        assert http_statuses(output) == [201]


@pytest.mark.parametrize("lang", ["python", "bash"])
def test_ivr_push_run_twice_keeps_a_returning_customers_lead(server, lang):
    env, cwd = server
    customer = make_lead(
        name="Asha Verma",
        phone="+91 98450 12345",
        source="Website",
        status="Qualified",
        priority="Low",
        notes="Wants a 2BHK near the station",
        tags=["site-visit"],
    )
    outputs = [run(lang, recipe(IVR, lang), env, cwd) for _ in range(2)]
    assert Lead.objects.count() == 1
    customer.refresh_from_db()
    assert customer.name == "Asha Verma"
    assert (customer.source, customer.status, customer.priority) == ("Website", "Qualified", "Low")
    assert customer.notes == "Wants a 2BHK near the station"
    assert customer.tags == ["site-visit", "ivr"]
    for output in outputs:
        if lang == "python":
            lines = output.splitlines()
            assert len(lines) == 2
            assert all(line == f"returning caller {customer.pk}" for line in lines)
        else:
            assert http_statuses(output) == [200]


# --- Log a missed call from your dialer -------------------------------------------------------


@pytest.mark.parametrize("lang", ["python", "bash"])
def test_dialer_missed_call_sync(server, lang):
    env, cwd = server
    output = run(lang, recipe(MISSED_CALL, lang), env, cwd)
    lead = Lead.objects.get(phone_e164="+919900011122")
    # Made by the call itself: no lead POST came first.
    assert (lead.name, lead.source) == ("+91 99000 11122", "Phone call")
    assert lead.tags == ["call-back"]
    missed = CallLog.objects.get(lead=lead, duration_seconds=0)
    assert missed.outcome == "Missed"
    assert missed.external_id == "CA-20260422-0001"
    assert [note.text for note in Note.objects.filter(lead=lead)] == [
        "Missed call at 2026-04-22T10:30:00Z: call back."
    ]
    if lang == "python":
        assert output.split() == ["Missed", "Completed"]
        completed = CallLog.objects.get(external_id="CA-20260422-0002")
        assert (completed.lead, completed.outcome, completed.duration_seconds) == (
            lead,
            "Completed",
            184,
        )
    else:
        assert http_statuses(output) == [201, 200]  # the call logged, the lead flagged


@pytest.mark.parametrize("lang", ["python", "bash"])
def test_dialer_recipe_run_twice_logs_each_call_once_and_keeps_the_customer(server, lang):
    env, cwd = server
    customer = make_lead(
        name="Ravi Kumar",
        phone="099000-11122",
        source="Website",
        priority="High",
        notes="Wants 200 units",
    )
    outputs = [run(lang, recipe(MISSED_CALL, lang), env, cwd) for _ in range(2)]
    assert Lead.objects.count() == 1
    customer.refresh_from_db()
    assert (customer.name, customer.source, customer.priority) == ("Ravi Kumar", "Website", "High")
    assert customer.notes == "Wants 200 units"
    assert customer.tags == ["call-back"]
    calls = CallLog.objects.filter(lead=customer)
    expected = (
        {"CA-20260422-0001", "CA-20260422-0002"} if lang == "python" else {"CA-20260422-0001"}
    )
    assert sorted(call.external_id for call in calls) == sorted(expected)  # once each
    # The call-back note went on the timeline once: the re-run was a replay.
    assert Note.objects.filter(lead=customer).count() == 1
    if lang == "python":
        assert [output.split() for output in outputs] == [["Missed", "Completed"]] * 2
    else:
        assert [http_statuses(output) for output in outputs] == [[201, 200], [200, 200]]


# --- Dialer call start → end with external_id -------------------------------------------------


@pytest.mark.parametrize("lang", ["python", "bash"])
def test_dialer_call_start_then_end_is_one_call_updated_by_the_end_report(server, lang):
    env, cwd = server
    output = run(lang, recipe(CALL_START_END, lang), env, cwd)
    (call,) = CallLog.objects.all()
    assert call.external_id == "CA-20260422-0107"
    assert (call.call_type, call.duration_seconds, call.outcome) == ("Outbound", 184, "Completed")
    assert call.notes == "Sent the quotation; follow up Friday."
    assert call.recording_url == "https://recordings.example.com/CA-20260422-0107.mp3"
    assert call.called_at == dt.datetime(2026, 4, 22, 11, 2, tzinfo=dt.UTC)
    assert (call.lead.phone_e164, call.lead.source) == ("+919900033344", "Phone call")
    verbs = list(Event.objects.filter(subject_id=str(call.pk)).values_list("verb", flat=True))
    assert sorted(verbs) == ["call_log.created", "call_log.updated"]
    if lang == "python":
        started, ended = (line.split() for line in output.splitlines())
        assert started == ["201", str(call.pk), "Missed", "0"]
        assert ended == ["200", str(call.pk), "Completed", "184"]
    else:
        assert http_statuses(output) == [201, 200]


# --- Look a caller up by phone ----------------------------------------------------------------


@pytest.mark.parametrize("lang", ["python", "bash"])
def test_lookup_by_phone_finds_an_old_lead_and_writes_nothing(server, admin_user, lang):
    env, cwd = server
    lead = make_lead(
        name="Asha Verma",
        phone="+91 98765 43210",
        status="Qualified",
        assigned_to=admin_user,
        created_at=timezone.now() - dt.timedelta(days=400),  # far outside the 30-day window
    )
    make_lead(name="Someone else", phone="+91 98765 40000")
    updated_at, events = lead.updated_at, Event.objects.count()
    output = run(lang, recipe(LOOKUP, lang), env, cwd)
    if lang == "python":
        assert output.splitlines() == [
            "098765-43210: Asha Verma (Qualified, assigned to admin@example.com)",
            "+91 98111 22233: unknown caller",
        ]
    else:
        assert output.strip() == "Asha Verma"
    lead.refresh_from_db()
    assert lead.updated_at == updated_at
    assert Event.objects.count() == events


# --- Schedule a follow-up and work the overdue list ----------------------------------------


@pytest.mark.parametrize("lang", ["python", "bash"])
def test_follow_up_recipe_adds_a_task_and_works_the_overdue_list(server, admin_user, lang):
    env, cwd = server
    lead = make_lead(name="Asha Verma", phone="+91 98765 43210", assigned_to=admin_user)
    late = task_create(
        actor=Actor.system(admin_user),
        lead_id=lead.pk,
        fields={"title": "Call about the demo", "due_at": timezone.now() - dt.timedelta(hours=2)},
    )
    output = run(lang, recipe(FOLLOW_UP, lang), env, cwd)
    if lang == "bash":
        assert output.startswith("overdue: Call about the demo ")
        return
    assert output.splitlines()[0] == "follow-up for admin@example.com"
    assert output.splitlines()[1].startswith("overdue: Call about the demo (follow_up), due ")
    assert output.splitlines()[2] == "done: Call about the demo by admin@example.com"
    follow_up = Task.objects.get(title="Send the revised quote")
    assert (follow_up.lead_id, follow_up.assigned_to, follow_up.done_at) == (
        lead.pk, admin_user, None,
    )  # fmt: skip
    assert follow_up.due_at.astimezone(IST).time() == dt.time(10)
    late.refresh_from_db()
    assert late.done_by == admin_user


# --- Move a deal along the pipeline -----------------------------------------------------------


@pytest.mark.parametrize("lang", ["python", "bash"])
def test_moving_a_deal_puts_the_lead_in_the_won_stage_with_one_event(server, lang):
    env, cwd = server
    lead = make_lead(name="Asha Verma", status="Proposal")
    output = run(lang, recipe(MOVE, lang), {**env, "LEAD_ID": str(lead.pk)}, cwd)
    lead.refresh_from_db()
    assert (lead.stage.name, lead.status) == ("Won", "Won")
    event = Event.objects.get(lead_id=lead.pk)
    assert event.changes["status"] == ["Proposal", "Won"]
    expected = "Asha Verma is now in Won (Won)" if lang == "python" else "Asha Verma is now in Won"
    assert output.strip() == expected


# --- Nightly sync with updated_since ----------------------------------------------------------


def _changed_leads(since: dt.datetime) -> dict[str, dt.datetime]:
    """Leads changed after `since`, in shuffled order of creation: 520 in one second (more than
    a page of 500), then 80 a second apart; all created long ago. Three changed before."""
    old = timezone.now() - dt.timedelta(days=120)
    moments = [since + dt.timedelta(seconds=30, microseconds=1000 * i) for i in range(520)]
    moments += [since + dt.timedelta(minutes=5, seconds=i) for i in range(80)]
    moments += [since - dt.timedelta(hours=1, seconds=i) for i in range(3)]
    moments = [moments[(i * 257) % len(moments)] for i in range(len(moments))]  # shuffled
    changed = {}
    for index, moment in enumerate(moments):
        lead = make_lead(name=f"Synced {index}", created_at=old)
        Lead.objects.filter(pk=lead.pk).update(updated_at=moment)
        if moment > since:
            changed[str(lead.pk)] = moment
    return changed


def _received(cwd: Path) -> list[dict]:
    return [json.loads(line) for line in (cwd / "crm-sync.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("lang", ["python", "bash"])
def test_nightly_sync_receives_every_changed_lead_once_oldest_first(server, admin_api, lang):
    env, cwd = server
    since = (timezone.now() - dt.timedelta(days=2)).replace(microsecond=0)
    (cwd / "crm-sync-state.txt").write_text(since.strftime("%Y-%m-%dT%H:%M:%SZ"))
    changed = _changed_leads(since)
    output = run(lang, recipe(SYNC, lang), env, cwd)

    received = _received(cwd)
    assert len(received) == len(changed) == 600
    assert {lead["id"] for lead in received} == set(changed)  # once each, none changed before
    stamps = [lead["updated_at"] for lead in received]
    assert stamps == sorted(stamps)  # oldest change first
    assert [lead["id"] for lead in received] == sorted(changed, key=lambda pk: (changed[pk], pk))
    newest = max(changed.values()).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (cwd / "crm-sync-state.txt").read_text().strip() == newest
    if lang == "python":
        assert output.strip() == f"received 600 changed leads; next run from {newest}"
    else:
        assert output.strip() == f"next run from {newest}"

    # The next night: the lead changed since, and again those of the last second received.
    last_second = [pk for pk, moment in changed.items() if moment == max(changed.values())]
    edited = next(pk for pk in changed if pk not in last_second)
    response = admin_api.patch(f"/api/v1/leads/{edited}", {"city": "Pune"}, format="json")
    assert response.status_code == 200
    run(lang, recipe(SYNC, lang), env, cwd)
    again = _received(cwd)[600:]
    assert [lead["id"] for lead in again] == [*last_second, edited]
    assert again[-1]["city"] == "Pune"


# --- Safe retries with Idempotency-Key --------------------------------------------------------


@pytest.mark.parametrize("lang", ["python", "bash"])
def test_safe_retries_send_twice_and_write_once(server, lang):
    env, cwd = server
    output = run(lang, recipe(RETRIES, lang), env, cwd)
    (lead,) = Lead.objects.all()
    assert (lead.name, lead.email) == ("Meera Nair", "meera@example.com")
    # Not merged on the second send either: one event, the creation.
    verbs = list(Event.objects.filter(lead_id=lead.pk).values_list("verb", flat=True))
    assert verbs == ["lead.created"]
    if lang == "python":
        assert output.splitlines() == ["201 false", "201 true", "same lead: True"]
    else:
        lines = [line.strip().lower() for line in output.splitlines()]
        assert [line.split()[1] for line in lines if line.startswith("http/")] == ["201", "201"]
        assert lines.count("idempotent-replayed: true") == 1
        assert lines[-1] == "idempotent-replayed: true"  # the second answer is the replay


# --- Bulk import of a web-form backlog --------------------------------------------------------


@pytest.mark.parametrize("lang", ["python", "bash"])
def test_bulk_import_reports_created_merged_failed_and_keeps_what_the_team_knows(server, lang):
    env, cwd = server
    rahul = make_lead(
        name="Rahul V.",
        phone="+919876511111",
        source="Referral",
        status="Qualified",
        notes="Budget 60L",
    )
    output = run(lang, recipe(BULK, lang), env, cwd)
    lines = output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("row 4")
    assert "phone or an email" in lines[0]
    if lang == "python":
        assert lines[1] == "created 2, merged 2, failed 1"
    else:
        assert json.loads(lines[1]) == {"created": 2, "merged": 2, "failed": 1}

    assert Lead.objects.count() == 3
    priya = Lead.objects.get(email_key="priya@example.com")
    assert (priya.name, priya.city, priya.notes) == ("Priya Sharma", "Pune", "2BHK, 45L")
    assert (priya.source, priya.tags) == ("Website", ["web-form"])
    assert [note.text for note in Note.objects.filter(lead=priya)] == ["Asked again: 2BHK"]
    rahul.refresh_from_db()  # already a lead: only the tag is added, the message is a note
    assert (rahul.name, rahul.source, rahul.status) == ("Rahul V.", "Referral", "Qualified")
    assert (rahul.notes, rahul.tags) == ("Budget 60L", ["web-form"])
    assert [note.text for note in Note.objects.filter(lead=rahul)] == ["Call after 6 pm"]
    assert Lead.objects.get(phone_e164="+918041234567").name == "Kiran Rao"


# --- Nightly export to a spreadsheet ----------------------------------------------------------


@pytest.mark.parametrize("lang", ["python", "bash"])
def test_nightly_export_pages_until_has_more_is_false(server, lang):
    env, cwd = server
    # The recipe works out "yesterday" itself, when it runs: not across IST midnight from here.
    _wait_if_ist_midnight_within(dt.timedelta(minutes=2))
    yesterday = dt.datetime.now(IST).date() - dt.timedelta(days=1)
    noon = dt.datetime.combine(yesterday, dt.time(12), tzinfo=IST)
    for index in range(503):  # two pages of 500
        make_lead(name=f"Lead {index}", created_at=noon - dt.timedelta(seconds=index))
    make_lead(name="today")  # not yesterday: not exported
    output = run(lang, recipe(EXPORT, lang), env, cwd)
    if lang == "python":
        lines = (cwd / f"leads-{yesterday}.csv").read_text().splitlines()
        assert len(lines) == 1 + 503
        assert "(503 leads)" in output
    else:
        assert (cwd / f"leads-{yesterday}.jsonl").read_text().count("\n") == 503


def _wait_if_ist_midnight_within(margin: dt.timedelta) -> None:
    now = dt.datetime.now(IST)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=IST)
    if midnight - now < margin:
        time.sleep((midnight - now).total_seconds() + 1)


# --- Manage webhook subscriptions with curl ---------------------------------------------------


def test_webhook_curl_examples_walk_every_endpoint(server, settings):
    """The blocks of the Webhooks section, one after the other, as one script: subscribe a
    public-looking URL (no WEBHOOK_ALLOW_PRIVATE_URLS), then each endpoint once."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    env, cwd = server
    script = "\n".join(code for title, lang, code in recipes() if title == WEBHOOK_TOUR)
    output = run("bash", script, env, cwd)
    # list, get, patch, test, deliveries, resend, rotate-secret, delete (the create uses --fail)
    assert http_statuses(output) == [200, 200, 200, 202, 200, 202, 200, 200]
    assert re.search(r"^subscribed [0-9a-f-]{36}$", output, re.M)
    assert '"type":"ping"' in output.replace(" ", "")  # the delivery log showed the ping
    verbs = list(Event.objects.filter(verb__startswith="webhook.").values_list("verb", flat=True))
    assert sorted(verbs) == sorted(
        ["webhook.created", "webhook.updated", "webhook.secret_rotated", "webhook.deleted"]
    )
    assert not Subscription.objects.exists()


# --- Verify a webhook -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def receiver_recipe(lang: str, secret: str, port: int, cwd: Path):
    """The recipe running as a server on 127.0.0.1:`port`; yields its process (stdout: what it
    handled, read once it has stopped)."""
    code = recipe(VERIFY, lang)
    command = [sys.executable, "-c", code] if lang == "python" else ["node", "-e", code]
    env = {**os.environ, "WEBHOOK_SECRET": secret, "PORT": str(port)}
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    raise AssertionError(f"the {lang} receiver did not start") from None
                time.sleep(0.05)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("lang", ["python", "js"])
def test_verify_recipe_accepts_our_signed_messages_once_and_rejects_forgeries(
    lang, admin_api, settings, tmp_path
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # the recipe listens on 127.0.0.1
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    port = _free_port()
    url = f"http://127.0.0.1:{port}/crm-webhooks"
    created = admin_api.post_json("/api/v1/webhooks", {"url": url, "events": ["*"]})
    assert created.status_code == 201, created.json()
    secret = created.json()["data"]["secret"]
    other_secret = rules.new_secret()
    now = timezone.now()
    # Non-ASCII on purpose: the signature covers the body's UTF-8 bytes.
    body = json.dumps(
        {"type": "lead.updated", "timestamp": "2026-04-22T10:31:07.412Z",
         "data": {"object": {"id": "lead-1", "name": "Aśha Vérma", "city": "Pune — Baner"},
                  "previous_attributes": {"city": None},
                  "actor": {"email": "ivr@example.com", "api_key": None, "channel": "api"}}},
        ensure_ascii=False, separators=(",", ":"),
    )  # fmt: skip

    def post(content: str, headers: dict) -> int | None:
        return send(url, content, headers).status  # our own HTTP client, as deliveries use it

    with receiver_recipe(lang, secret, port, tmp_path) as process:
        # A real delivery: a lead created through the API, delivered by a task worker.
        lead = admin_api.post_json("/api/v1/leads", {"name": "Hook", "phone": "+919800012345"})
        drain()
        (delivered,) = Message.objects.filter(event_type="lead.created")
        assert delivered.state == "delivered", list(delivered.attempts.values())
        # Signed by webhooks.delivery.signed_headers: accepted, and a repeat is not handled twice.
        assert post(body, signed_headers("msg_signed", body, [secret], now)) == 204
        later = now + dt.timedelta(seconds=5)
        assert post(body, signed_headers("msg_signed", body, [secret], later)) == 204
        # During a rotation: two signatures; this receiver still knows the old secret only.
        assert post(body, signed_headers("msg_rotating", body, [other_secret, secret], now)) == 204
        # Forgeries: a tampered body, another secret, a stale or future timestamp, no signature.
        tampered = body.replace("Pune", "Pun3")
        assert post(tampered, signed_headers("msg_tampered", body, [secret], now)) == 400
        assert post(body, signed_headers("msg_other", body, [other_secret], now)) == 400
        stale = now - dt.timedelta(minutes=6)
        assert post(body, signed_headers("msg_stale", body, [secret], stale)) == 400
        future = now + dt.timedelta(minutes=6)
        assert post(body, signed_headers("msg_future", body, [secret], future)) == 400
        unsigned = signed_headers("msg_unsigned", body, [secret], now)
        del unsigned["webhook-signature"]
        assert post(body, unsigned) == 400
    handled = process.stdout.read().splitlines()
    assert handled == [
        f"lead.created {delivered.webhook_id} {lead.json()['data']['id']}",
        "lead.updated msg_signed lead-1",
        "lead.updated msg_rotating lead-1",
    ], process.stderr.read()
