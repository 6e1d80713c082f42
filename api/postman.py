"""A Postman Collection v2.1 generated from the OpenAPI document, so the two cannot drift.

The collection is a walk-through that Newman can run top to bottom against a fresh server with a
full-permission key: create a lead, merge a duplicate, list, look it up and sync it, update it,
read the pipelines and move the lead to a stage, tag and replace it, retry a create with an
Idempotency-Key, create in bulk, log calls (by lead and, as a dialer does, by number with its
own call id), find the missed call's call-back task, add, read, complete and delete a follow-up
task, read and update the calls, delete the call and the lead; then subscribe a webhook
receiver (a public-looking URL: a host that does not resolve yet is accepted), read, change and
ping it, list and resend its deliveries, rotate its secret and delete it (no task worker is
needed: the ping waits in the queue). Each request carries a test of its status code, most of
what they answer.
Variables: `{{baseUrl}}` and `{{CRM_API_KEY}}`.
"""

import functools
import json

from django.http import HttpRequest, JsonResponse
from drf_spectacular.generators import SchemaGenerator

SCHEMA_VERSION = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"

# (operationId in the OpenAPI document, step name, expected status, extra test lines)
WALKTHROUGH = [
    ("leads_create", "Create a lead", 201, [
        "pm.collectionVariables.set('leadId', body.data.id);",
        "pm.test('lead is new with defaults', () => {",
        "  pm.expect(body.data.status).to.eql('New');",
        "  pm.expect(body.data.priority).to.eql('High');",
        "});",
    ]),
    ("leads_create", "Merge a duplicate (same phone)", 200, [
        "pm.test('merged into the same lead', () => {",
        "  pm.expect(body.data.id).to.eql(pm.collectionVariables.get('leadId'));",
        "  pm.expect(body.data.tags).to.include('callback');",
        "});",
    ]),
    ("leads_list", "List leads", 200, [
        "pm.test('list has pagination',",
        "  () => pm.expect(body.pagination).to.have.property('has_more'));",
    ]),
    ("leads_list", "Look a caller up by phone", 200, [
        "pm.test('the number, written another way, finds the lead', () => {",
        "  pm.expect(body.pagination.total).to.eql(1);",
        "  pm.expect(body.data[0].id).to.eql(pm.collectionVariables.get('leadId'));",
        "});",
    ]),
    ("leads_list", "Sync what changed since a moment", 200, [
        "pm.test('oldest change first', () => pm.expect(body.data.map(l => l.id))",
        "  .to.include(pm.collectionVariables.get('leadId')));",
    ]),
    ("leads_retrieve", "Get the lead", 200, []),
    ("leads_partial_update", "Update the lead (PATCH)", 200, [
        "pm.test('only the fields sent changed', () => {",
        "  pm.expect(body.data.status).to.eql('Qualified');",
        "  pm.expect(body.data.deal_value).to.eql(450000);",
        "  pm.expect(body.data.name).to.eql('Asha Verma');",
        "});",
    ]),
    ("pipelines_list", "List pipelines", 200, [
        # The default pipeline comes first; on a fresh server it is Sales: New … Won, Lost.
        "pm.collectionVariables.set('pipelineId', body.data[0].id);",
        "pm.collectionVariables.set('wonStageId', body.data[0].stages[4].id);",
        "pm.test('the default pipeline first, its stages in order, the lead counted', () => {",
        "  const sales = body.data[0];",
        "  pm.expect(sales.is_default).to.eql(true);",
        "  pm.expect(sales.stages[4].status).to.eql('Won');",
        "  pm.expect(sales.stages.map(s => s.position)).to.eql(",
        "    sales.stages.map((s, i) => i + 1));",
        "  pm.expect(sales.stages.find(s => s.status === 'Qualified').lead_count).to.be.above(0);",
        "});",
    ]),
    ("pipelines_retrieve", "Get the pipeline", 200, [
        "pm.test('the same pipeline', () => pm.expect(body.data.id)",
        "  .to.eql(pm.collectionVariables.get('pipelineId')));",
    ]),
    ("pipelines_leads_create", "Move the lead to a stage", 200, [
        "pm.test('in the stage, with its status', () => {",
        "  pm.expect(body.data.id).to.eql(pm.collectionVariables.get('leadId'));",
        "  pm.expect(body.data.stage_id).to.eql(pm.collectionVariables.get('wonStageId'));",
        "  pm.expect(body.data.status).to.eql('Won');",
        "});",
    ]),
    ("analytics_summary_retrieve", "Summary of the last 30 days", 200, [
        "pm.test('every status, the lead counted', () => {",
        "  pm.expect(Object.keys(body.data.by_status)).to.have.length(6);",
        "  pm.expect(body.data.leads).to.be.above(0);",
        "});",
    ]),
    ("analytics_sources_retrieve", "Leads and wins by source", 200, [
        "pm.test('the IVR source listed', () => pm.expect(body.data.map(s => s.source))",
        "  .to.include('IVR'));",
    ]),
    ("analytics_funnel_retrieve", "The default pipeline's funnel", 200, [
        "pm.test('the Won step reached by the lead', () => pm.expect(",
        "  body.data.stages.find(s => s.status === 'Won').reached).to.be.above(0));",
    ]),
    ("leads_tags_create", "Tag the lead", 200, [
        "pm.test('tags added once, ignoring case',",
        "  () => pm.expect(body.data.tags).to.eql(['ivr', 'callback', 'vip']));",
    ]),
    ("leads_tags_destroy", "Remove a tag", 200, [
        "pm.test('the tag is gone', () => pm.expect(body.data.tags).to.not.include('vip'));",
    ]),
    ("leads_create", "Create with an Idempotency-Key", 201, [
        "pm.collectionVariables.set('retriedId', body.data.id);",
    ]),
    ("leads_create", "Retry it with the same key", 201, [
        "pm.test('the first response, replayed', () => {",
        "  pm.expect(pm.response.headers.get('Idempotent-Replayed')).to.eql('true');",
        "  pm.expect(body.data.id).to.eql(pm.collectionVariables.get('retriedId'));",
        "});",
    ]),
    ("leads_bulk_create", "Create leads in bulk", 200, [
        "pm.test('one result per lead, in order', () => {",
        "  pm.expect(body.data.map(r => r.status)).to.eql([201, 400]);",
        "  pm.expect(body.summary).to.eql({created: 1, merged: 0, failed: 1});",
        "  pm.expect(body.data[1].error.field).to.eql('phone');",
        "});",
    ]),
    ("leads_update", "Replace the lead (PUT)", 200, [
        "pm.test('omitted fields are back to their defaults', () => {",
        "  pm.expect(body.data.status).to.eql('New');",
        "  pm.expect(body.data.tags).to.eql([]);",
        "  pm.expect(body.data.company).to.eql(null);",
        "});",
    ]),
    ("call_logs_create", "Log a missed call", 201, [
        "pm.collectionVariables.set('callLogId', body.data.id);",
        "pm.test('0 seconds defaults to Missed',",
        "  () => pm.expect(body.data.outcome).to.eql('Missed'));",
    ]),
    ("call_logs_create", "A dialer reports a call by number", 201, [
        "pm.test('on the lead with that number',",
        "  () => pm.expect(body.data.lead_id).to.eql(pm.collectionVariables.get('leadId')));",
    ]),
    ("call_logs_create", "The dialer reports the same call ended", 200, [
        "pm.test('the same call, updated', () => {",
        "  pm.expect(body.data.duration_seconds).to.eql(184);",
        "  pm.expect(body.data.external_id).to.eql(pm.collectionVariables.get('dialerCallId'));",
        "});",
    ]),
    ("call_logs_list", "List the lead's call logs", 200, [
        "pm.test('the call is listed', () => pm.expect(body.data.map(c => c.id))"
        ".to.include(pm.collectionVariables.get('callLogId')));",
    ]),
    ("tasks_list", "The missed call's call-back task", 200, [
        "pm.test('a call-back task was made for the missed call', () => {",
        "  const callBack = body.data.find(t => t.kind === 'call_back');",
        "  pm.expect(callBack).to.not.eql(undefined);",
        "  pm.expect(callBack.title).to.eql('Call back');",
        "  pm.expect(callBack.done).to.eql(false);",
        "});",
    ]),
    ("tasks_create", "Add a follow-up task", 201, [
        "pm.collectionVariables.set('taskId', body.data.id);",
        "pm.test('a follow-up on the lead', () => {",
        "  pm.expect(body.data.kind).to.eql('follow_up');",
        "  pm.expect(body.data.lead_id).to.eql(pm.collectionVariables.get('leadId'));",
        "});",
    ]),
    ("tasks_retrieve", "Get the task", 200, [
        "pm.test('the same task', () => pm.expect(body.data.id)",
        "  .to.eql(pm.collectionVariables.get('taskId')));",
    ]),
    ("tasks_partial_update", "Mark the task done (PATCH)", 200, [
        "pm.test('done, by the key user', () => {",
        "  pm.expect(body.data.done).to.eql(true);",
        "  pm.expect(body.data.done_by).to.not.eql(null);",
        "});",
    ]),
    ("tasks_destroy", "Delete the task", 200, [
        "pm.test('deleted', () => pm.expect(body.data.deleted).to.eql(true));",
    ]),
    ("call_logs_retrieve", "Get the call log", 200, []),
    ("call_logs_partial_update", "The call ended (PATCH)", 200, [
        "pm.test('the outcome follows', () => pm.expect(body.data.outcome).to.eql('Completed'));",
    ]),
    ("call_logs_destroy", "Delete the call log", 200, [
        "pm.test('deleted', () => pm.expect(body.data.deleted).to.eql(true));",
    ]),
    ("leads_destroy", "Delete the lead", 200, [
        "pm.test('deleted', () => pm.expect(body.data.deleted).to.eql(true));",
    ]),
    ("webhooks_create", "Subscribe a webhook receiver", 201, [
        "pm.collectionVariables.set('webhookId', body.data.id);",
        "pm.collectionVariables.set('webhookSecret', body.data.secret);",
        "pm.test('enabled, with its signing secret shown once', () => {",
        "  pm.expect(body.data.enabled).to.eql(true);",
        "  pm.expect(body.data.secret).to.match(/^whsec_[A-Za-z0-9+/=]{32,}$/);",
        "});",
    ]),
    ("webhooks_list", "List webhook subscriptions", 200, [
        "pm.test('the subscription is listed, without its secret', () => {",
        "  const mine = body.data.find(w => w.id === pm.collectionVariables.get('webhookId'));",
        "  pm.expect(mine).to.not.eql(undefined);",
        "  pm.expect(mine).to.not.have.property('secret');",
        "});",
    ]),
    ("webhooks_retrieve", "Get the webhook subscription", 200, [
        "pm.test('never the secret again',",
        "  () => pm.expect(body.data).to.not.have.property('secret'));",
    ]),
    ("webhooks_partial_update", "Change the events it receives (PATCH)", 200, [
        "pm.test('the events sent replace the list', () => pm.expect(body.data.events)",
        "  .to.eql(['lead.created', 'lead.updated', 'call_log.created']));",
    ]),
    ("webhooks_test_create", "Send a test ping", 202, [
        "pm.collectionVariables.set('pingWebhookId', body.data.webhook_id);",
        "pm.test('queued, with its webhook-id',",
        "  () => pm.expect(body.data.webhook_id).to.match(/^msg_/));",
    ]),
    ("webhooks_deliveries_list", "List its deliveries", 200, [
        "pm.collectionVariables.set('deliveryId', body.data[0].id);",
        "pm.test('the ping is the newest delivery', () => {",
        "  pm.expect(body.data[0].type).to.eql('ping');",
        "  pm.expect(body.data[0].webhook_id).to.eql(pm.collectionVariables.get('pingWebhookId'));",
        "});",
    ]),
    ("webhooks_deliveries_resend_create", "Resend the ping", 202, [
        "pm.test('the same message, the same webhook-id', () => {",
        "  pm.expect(body.data.id).to.eql(pm.collectionVariables.get('deliveryId'));",
        "  pm.expect(body.data.webhook_id).to.eql(pm.collectionVariables.get('pingWebhookId'));",
        "  pm.expect(body.data.state).to.eql('pending');",
        "});",
    ]),
    ("webhooks_rotate_secret_create", "Rotate the signing secret", 200, [
        "pm.test('a new secret', () => {",
        "  pm.expect(body.data.secret).to.match(/^whsec_/);",
        "  pm.expect(body.data.secret).to.not.eql(pm.collectionVariables.get('webhookSecret'));",
        "});",
    ]),
    ("webhooks_destroy", "Delete the webhook subscription", 200, [
        "pm.test('deleted', () => pm.expect(body.data.deleted).to.eql(true));",
    ]),
]  # fmt: skip

# Request bodies and query strings for the walk-through; path ids come from earlier steps.
BODIES = {
    "Create a lead": {
        "name": "Asha Verma",
        "phone": "{{leadPhone}}",
        "email": "{{leadEmail}}",
        "company": "Verma Traders",
        "city": "Pune",
        "source": "IVR",
        "priority": "High",
        "tags": ["ivr"],
    },
    "Merge a duplicate (same phone)": {
        "name": "Asha Verma",
        "phone": "{{leadPhone}}",
        "tags": ["callback"],
        "notes": "Asked for a call back after 5 pm.",
    },
    "Update the lead (PATCH)": {"status": "Qualified", "deal_value": 450000},
    "Create with an Idempotency-Key": {"name": "Retried Caller", "phone": "{{retryPhone}}"},
    "Retry it with the same key": {"name": "Retried Caller", "phone": "{{retryPhone}}"},
    "Create leads in bulk": {
        "leads": [
            {"name": "Bulk One", "email": "{{bulkEmail}}", "source": "Website"},
            {"name": "No Contact", "source": "Website"},
        ]
    },
    "A dialer reports a call by number": {
        "phone": "{{leadPhoneWritten}}",
        "external_id": "{{dialerCallId}}",
        "call_type": "Inbound",
        "duration_seconds": 0,
        "outcome": "No Answer",
    },
    "The dialer reports the same call ended": {
        "phone": "{{leadPhone}}",
        "external_id": "{{dialerCallId}}",
        "call_type": "Inbound",
        "duration_seconds": 184,
        "outcome": "Completed",
    },
    "Add a follow-up task": {
        "lead_id": "{{leadId}}",
        "title": "Send the quotation",
        "due_at": "2030-01-06T10:00:00+05:30",
        "notes": "Include the annual plan.",
    },
    "Mark the task done (PATCH)": {"done": True},
    "Tag the lead": {"tags": ["CALLBACK", "vip"]},
    "Move the lead to a stage": {"lead_id": "{{leadId}}", "stage_id": "{{wonStageId}}"},
    "Replace the lead (PUT)": {"name": "Asha Verma", "phone": "{{leadPhone}}"},
    "The call ended (PATCH)": {"duration_seconds": 95, "outcome": "Completed"},
    "Log a missed call": {
        "lead_id": "{{leadId}}",
        "call_type": "Inbound",
        "duration_seconds": 0,
        "notes": "Missed call from IVR",
    },
    # A public-looking host: the server refuses private addresses (the SSRF guard), and accepts
    # a host that does not resolve yet, since every delivery checks again.
    "Subscribe a webhook receiver": {
        "url": "https://hooks.example.com/crm",
        "events": ["lead.created", "lead.updated"],
        "description": "Postman walk-through",
    },
    "Change the events it receives (PATCH)": {
        "events": ["lead.created", "lead.updated", "call_log.created"],
    },
}
QUERIES = {
    "List leads": [("limit", "50"), ("source", "IVR")],
    "Look a caller up by phone": [("phone", "{{leadPhoneWritten}}")],
    "Sync what changed since a moment": [
        ("updated_since", "{{syncSince}}"),
        ("sort", "updated_at"),
    ],
    "Create leads in bulk": [("merge", "fill_empty")],
    "List the lead's call logs": [("lead_id", "{{leadId}}")],
    "The missed call's call-back task": [("lead_id", "{{leadId}}"), ("status", "open")],
}
PATH_VARIABLES = {
    "leads": "{{leadId}}",
    "call-logs": "{{callLogId}}",
    "tags": "{{tagToRemove}}",
    "webhooks": "{{webhookId}}",
    "pipelines": "{{pipelineId}}",
    "deliveries": "{{deliveryId}}",
    "tasks": "{{taskId}}",
}

# Headers of particular steps (besides Accept and Content-Type).
HEADERS = {
    "Create with an Idempotency-Key": [("Idempotency-Key", "{{retryKey}}")],
    "Retry it with the same key": [("Idempotency-Key", "{{retryKey}}")],
}

# A fresh phone and email on every run, so the first request creates (201) and the second
# merges (200) even against a server that has seen the collection before.
PREREQUEST = [
    # The spec's own instructions name the key CRATIO_API_KEY: accept it when CRM_API_KEY is unset.
    "if (!pm.variables.get('CRM_API_KEY') && pm.variables.get('CRATIO_API_KEY')) {",
    "  pm.variables.set('CRM_API_KEY', pm.variables.get('CRATIO_API_KEY'));",
    "}",
    "if (pm.info.requestName === 'Create a lead') {",
    "  const n = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');",
    "  pm.collectionVariables.set('leadPhone', '+9198' + n);",
    "  pm.collectionVariables.set('leadPhoneWritten', '098' + n.slice(0, 3) + ' ' + n.slice(3));",
    "  pm.collectionVariables.set('leadEmail', 'asha.' + n + '@example.com');",
    "  pm.collectionVariables.set('retryPhone', '+9197' + n);",
    "  pm.collectionVariables.set('retryKey', 'postman-' + n + '-' + Date.now());",
    "  pm.collectionVariables.set('bulkEmail', 'bulk.' + n + '@example.com');",
    "  pm.collectionVariables.set('dialerCallId', 'CA-' + n + '-' + Date.now());",
    "  pm.collectionVariables.set('syncSince', new Date(Date.now() - 60000).toISOString());",
    "}",
]


@functools.cache
def _operations() -> dict[str, tuple[str, str, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {}
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            operations[operation["operationId"]] = (method.upper(), path, operation)
    return operations


def _url(path: str, query: list[tuple[str, str]]) -> dict:
    segments = path.strip("/").split("/")
    for index, segment in enumerate(segments):
        if segment.startswith("{"):
            segments[index] = PATH_VARIABLES[segments[index - 1]]
    raw = "{{baseUrl}}/" + "/".join(segments)
    if query:
        raw += "?" + "&".join(f"{key}={value}" for key, value in query)
    return {
        "raw": raw,
        "host": ["{{baseUrl}}"],
        "path": segments,
        "query": [{"key": key, "value": value} for key, value in query],
    }


def _item(operation_id: str, name: str, expected: int, tests: list[str]) -> dict:
    method, path, operation = _operations()[operation_id]
    request = {
        "method": method,
        "header": [{"key": "Accept", "value": "application/json"}],
        "url": _url(path, QUERIES.get(name, [])),
        "description": operation.get("description") or operation.get("summary", ""),
    }
    request["header"] += [{"key": key, "value": value} for key, value in HEADERS.get(name, [])]
    if name in BODIES:
        request["header"].append({"key": "Content-Type", "value": "application/json"})
        request["body"] = {
            "mode": "raw",
            "raw": json.dumps(BODIES[name], indent=2, ensure_ascii=False),
            "options": {"raw": {"language": "json"}},
        }
    script = [
        f"pm.test('status is {expected}', () => pm.response.to.have.status({expected}));",
        "const body = pm.response.json();",
        *tests,
    ]
    return {
        "name": name,
        "request": request,
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": script}}],
    }


def build_collection(base_url: str) -> dict:
    return {
        "info": {
            "name": "Lead CRM API v1",
            "description": "Generated from /api/v1/openapi.json. Set `baseUrl` and `CRM_API_KEY` "
            "(a key with Read, Write and Delete; `CRATIO_API_KEY` is read too), then run the "
            "folder top to bottom.",
            "schema": SCHEMA_VERSION,
        },
        "auth": {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{CRM_API_KEY}}", "type": "string"}],
        },
        "event": [
            {"listen": "prerequest", "script": {"type": "text/javascript", "exec": PREREQUEST}}
        ],
        "variable": [
            {"key": "baseUrl", "value": base_url},
            {"key": "CRM_API_KEY", "value": ""},
            {"key": "leadPhone", "value": ""},
            {"key": "leadEmail", "value": ""},
            *(
                {"key": name, "value": ""}
                for name in (
                    "leadPhoneWritten",
                    "retryPhone",
                    "retryKey",
                    "retriedId",
                    "bulkEmail",
                    "dialerCallId",
                    "syncSince",
                )
            ),
            {"key": "leadId", "value": ""},
            {"key": "callLogId", "value": ""},
            {"key": "taskId", "value": ""},
            {"key": "tagToRemove", "value": "vip"},
            *(
                {"key": name, "value": ""}
                for name in ("webhookId", "webhookSecret", "pingWebhookId", "deliveryId")
            ),
        ],
        "item": [_item(*step) for step in WALKTHROUGH],
    }


def postman_collection(request: HttpRequest) -> JsonResponse:
    base_url = request.build_absolute_uri("/").rstrip("/")
    response = JsonResponse(build_collection(base_url), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'inline; filename="lead-crm.postman_collection.json"'
    return response
