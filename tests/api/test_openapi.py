import json
import re

import pytest
import yaml
from openapi_spec_validator import validate

from tests.api.test_errors import CODES
from tests.factories import make_lead
from tests.leads.test_create import LEAD_FIELDS

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("get", "/api/v1/leads"), ("post", "/api/v1/leads"), ("get", "/api/v1/leads/{id}"),
    ("delete", "/api/v1/leads/{id}"), ("get", "/api/v1/call-logs"), ("post", "/api/v1/call-logs"),
    ("get", "/api/v1/call-logs/{id}"), ("delete", "/api/v1/call-logs/{id}"),
    ("patch", "/api/v1/leads/{id}"), ("put", "/api/v1/leads/{id}"),
    ("post", "/api/v1/leads/{id}/tags"), ("delete", "/api/v1/leads/{id}/tags/{tag}"),
    ("patch", "/api/v1/call-logs/{id}"), ("post", "/api/v1/leads/bulk"),
    ("get", "/api/v1/webhooks"), ("post", "/api/v1/webhooks"), ("get", "/api/v1/webhooks/{id}"),
    ("patch", "/api/v1/webhooks/{id}"), ("delete", "/api/v1/webhooks/{id}"),
    ("post", "/api/v1/webhooks/{id}/rotate-secret"), ("post", "/api/v1/webhooks/{id}/test"),
    ("get", "/api/v1/webhooks/{id}/deliveries"),
    ("post", "/api/v1/webhooks/{id}/deliveries/{delivery_id}/resend"),
    ("get", "/api/v1/pipelines"), ("get", "/api/v1/pipelines/{id}"),
    ("post", "/api/v1/pipelines/{id}/leads"),
    ("get", "/api/v1/analytics/summary"), ("get", "/api/v1/analytics/sources"),
    ("get", "/api/v1/analytics/funnel"),
    ("get", "/api/v1/tasks"), ("post", "/api/v1/tasks"), ("get", "/api/v1/tasks/{id}"),
    ("patch", "/api/v1/tasks/{id}"), ("delete", "/api/v1/tasks/{id}"),
}  # fmt: skip
CREATES = {
    ("post", "/api/v1/leads"),
    ("post", "/api/v1/call-logs"),
    ("post", "/api/v1/webhooks"),
    ("post", "/api/v1/tasks"),
}
ACCEPTS = {
    ("post", "/api/v1/webhooks/{id}/test"),
    ("post", "/api/v1/webhooks/{id}/deliveries/{delivery_id}/resend"),
}


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_yaml_and_json_are_public_and_the_same_openapi_3_1_document(client, schema):
    response = client.get("/api/v1/openapi.yaml")
    assert response.status_code == 200
    assert yaml.safe_load(response.content) == schema
    assert schema["openapi"] == "3.1.0"
    validate(schema)


def test_documents_every_endpoint_at_its_specified_path(schema):
    operations = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert operations == OPERATIONS


def test_every_operation_documents_auth_errors_rate_headers_and_the_envelope(schema):
    error_ref = "#/components/schemas/Error"
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for status in ("401", "403", "429", "503"):
                content = responses[status]["content"]["application/json"]["schema"]
                assert content == {"$ref": error_ref}, (method, path, status)
            assert "Retry-After" in responses["503"]["headers"], (method, path)
            ok_status = "201" if (method, path) in CREATES else "200"
            ok = responses["202" if (method, path) in ACCEPTS else ok_status]
            assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(
                ok["headers"]
            )
            assert operation["security"] == [{"BearerAuth": []}, {"ApiKeyHeader": []}]
    creates = schema["paths"]["/api/v1/leads"]["post"]["responses"]
    assert {"200", "201", "400", "409", "413", "415"} <= set(creates)
    assert "404" in schema["paths"]["/api/v1/call-logs"]["post"]["responses"]
    error = schema["components"]["schemas"]["ErrorDetail"]
    assert error["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCode"}
    assert set(schema["components"]["schemas"]["ErrorCode"]["enum"]) == CODES
    assert error["required"] == ["code", "message"]


def test_security_schemes_are_bearer_and_x_api_key(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["BearerAuth"]["type"] == "http"
    assert schemes["BearerAuth"]["scheme"] == "bearer"
    assert schemes["ApiKeyHeader"] == {**schemes["ApiKeyHeader"], "in": "header",
                                       "name": "X-API-Key", "type": "apiKey"}  # fmt: skip


def test_lead_schema_has_exactly_the_spec_fields_with_nullable_ones(schema):
    lead = schema["components"]["schemas"]["Lead"]
    assert set(lead["properties"]) == LEAD_FIELDS
    for nullable in ["email", "phone", "company", "city", "deal_value", "notes", "assigned_to"]:
        prop = lead["properties"][nullable]
        assert "null" in json.dumps(prop), nullable
    assert lead["properties"]["status"]["allOf"] == [{"$ref": "#/components/schemas/LeadStatus"}]
    statuses = schema["components"]["schemas"]["LeadStatus"]["enum"]
    assert statuses == ["New", "Contacted", "Qualified", "Proposal", "Won", "Lost"]


def test_list_parameters_are_typed(schema):
    params = {p["name"]: p for p in schema["paths"]["/api/v1/leads"]["get"]["parameters"]}
    assert set(params) == {"from_date", "to_date", "status", "source", "priority", "assigned_to",
                           "limit", "offset", "phone", "email", "q", "tag", "updated_since",
                           "sort", "pipeline_id", "stage_id", "cursor"}  # fmt: skip
    assert params["tag"]["schema"]["type"] == "array"  # repeatable
    assert params["updated_since"]["schema"]["format"] == "date-time"
    assert "all" in params["status"]["schema"]["enum"]
    assert params["from_date"]["schema"]["format"] == "date"
    assert params["limit"]["schema"]["maximum"] == 500
    assert set(params["status"]["schema"]["enum"]) == {
        "New", "Contacted", "Qualified", "Proposal", "Won", "Lost", "all"
    }  # fmt: skip


def test_docs_page_is_public_and_loads_only_its_own_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    # What the page loads: scripts, stylesheets, the icon (its <a> links are pages of the app).
    assets = re.findall(r'(?:src="([^"]+)"|<link [^>]*href="([^"]+)")', page)
    assets = [src or href for src, href in assets]
    assert assets
    for asset in assets:
        assert asset.startswith("/"), asset
        served = client.get(asset)
        assert served.status_code == 200, (asset, served.status_code, served.get("Content-Type"))
    assert "cdn" not in page.lower()
    assert "<script>" not in page  # no inline script: the page runs under a strict CSP
    start_up = client.get(re.search(r'<script src="(/api/docs/\?script=[^"]*)"', page).group(1))
    assert "/api/v1/openapi.json" in start_up.content.decode()


def test_links_chain_a_new_lead_to_its_calls_and_each_resource_to_its_id(schema, admin_api):
    """POST /leads links to reading and deleting the lead and to logging a call on it; POST
    /call-logs to reading and deleting the call. Each link names a real operation and its real
    parameters, and what the links say works against the server."""
    new_id = "$response.body#/data/id"
    operations = {
        operation["operationId"]: operation
        for item in schema["paths"].values()
        for operation in item.values()
    }
    lead_links = schema["paths"]["/api/v1/leads"]["post"]["responses"]["201"]["links"]
    call_links = schema["paths"]["/api/v1/call-logs"]["post"]["responses"]["201"]["links"]
    assert set(lead_links) == {"GetLead", "UpdateLead", "ReplaceLead", "TagLead", "DeleteLead",
                               "ListCallsOfLead", "LogCallOnLead"}  # fmt: skip
    assert set(call_links) == {"GetCallLog", "UpdateCallLog", "DeleteCallLog"}
    for link in [*lead_links.values(), *call_links.values()]:
        parameters = {p["name"] for p in operations[link["operationId"]].get("parameters", [])}
        assert set(link.get("parameters", {})) <= parameters, link
        assert set(link.get("parameters", {}).values()) <= {new_id}, link

    lead = admin_api.post_json("/api/v1/leads", {"name": "Linked", "phone": "+919811100022"})
    lead_id = lead.json()["data"]["id"]
    log_call = lead_links["LogCallOnLead"]["requestBody"]
    call = admin_api.post_json("/api/v1/call-logs", {**log_call, "lead_id": lead_id})
    assert log_call["lead_id"] == new_id
    assert call.status_code == 201
    listed = admin_api.get("/api/v1/call-logs", {"lead_id": lead_id}).json()["data"]
    assert [entry["id"] for entry in listed] == [call.json()["data"]["id"]]
    assert admin_api.delete(f"/api/v1/call-logs/{call.json()['data']['id']}").status_code == 200


def test_links_chain_a_new_webhook_subscription_to_its_operations(schema):
    """POST /webhooks links to reading, changing, pinging, rotating, listing the deliveries of
    and deleting the subscription, each with the created id as its path `id`."""
    new_id = "$response.body#/data/id"
    operations = {
        operation["operationId"]: (method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    links = schema["paths"]["/api/v1/webhooks"]["post"]["responses"]["201"]["links"]
    targets = {(operations[link["operationId"]][0], operations[link["operationId"]][1])
               for link in links.values()}  # fmt: skip
    assert targets == {
        ("get", "/api/v1/webhooks/{id}"), ("patch", "/api/v1/webhooks/{id}"),
        ("delete", "/api/v1/webhooks/{id}"), ("post", "/api/v1/webhooks/{id}/test"),
        ("post", "/api/v1/webhooks/{id}/rotate-secret"),
        ("get", "/api/v1/webhooks/{id}/deliveries"),
    }  # fmt: skip
    for link in links.values():
        assert link["parameters"] == {"id": new_id}, link
        parameters = {p["name"] for p in operations[link["operationId"]][2]["parameters"]}
        assert "id" in parameters


def test_webhook_secret_appears_only_in_the_create_and_rotate_answers(schema):
    components = schema["components"]["schemas"]

    def data_schema(path, method, status):
        ref = schema["paths"][path][method]["responses"][status]["content"]["application/json"]
        envelope = components[ref["schema"]["$ref"].rsplit("/", 1)[1]]
        return components[envelope["properties"]["data"]["$ref"].rsplit("/", 1)[1]]

    created = data_schema("/api/v1/webhooks", "post", "201")
    rotated = data_schema("/api/v1/webhooks/{id}/rotate-secret", "post", "200")
    read = data_schema("/api/v1/webhooks/{id}", "get", "200")
    assert "secret" in created["properties"]
    assert "secret" in rotated["properties"]
    assert "secret" not in read["properties"]


def test_analytics_answers_have_exactly_the_fields_their_schemas_list(schema, admin_api):
    """Every field an analytics answer has is documented, and nothing more (a field object shared
    by two attributes once hid `win_rate` from the schema)."""
    components = schema["components"]["schemas"]
    summary = admin_api.get("/api/v1/analytics/summary").json()["data"]
    assert set(components["AnalyticsSummary"]["properties"]) == set(summary)
    assert set(components["AnalyticsSummary"]["required"]) == set(summary)
    make_lead(source="IVR")
    (source,) = admin_api.get("/api/v1/analytics/sources").json()["data"]
    assert set(components["AnalyticsSource"]["properties"]) == set(source)
    stage = admin_api.get("/api/v1/analytics/funnel").json()["data"]["stages"][0]
    assert set(components["FunnelStage"]["properties"]) == set(stage)
