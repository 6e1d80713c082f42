"""The Postman collection: generated from the OpenAPI document, public, and runnable top to
bottom. CI runs it with Newman; here a small replay sends the requests it describes to a live
server and checks the status each item's test script expects."""

import datetime as dt
import json
import random
import re
import time

import pytest
import requests

from tests.api.test_openapi import OPERATIONS
from tests.factories import make_key
from webhooks.models import Message, Subscription

SET_FROM_BODY = re.compile(
    r"pm\.collectionVariables\.set\('(\w+)', body\.data((?:\[\d+\]|\.\w+)+)\)"
)
STEP = re.compile(r"\[(\d+)\]|\.(\w+)")
EXPECTS_STATUS = re.compile(r"pm\.response\.to\.have\.status\((\d+)\)")


@pytest.fixture
def collection(client, db) -> dict:
    response = client.get("/api/v1/postman_collection.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_is_a_v2_1_collection_with_the_two_variables(collection):
    assert collection["info"]["schema"].endswith("/v2.1.0/collection.json")
    variables = {v["key"] for v in collection["variable"]}
    assert {"baseUrl", "CRM_API_KEY"} <= variables
    assert collection["auth"]["bearer"][0]["value"] == "{{CRM_API_KEY}}"
    for item in collection["item"]:
        assert item["request"]["url"]["raw"].startswith("{{baseUrl}}/api/v1/")


def test_covers_every_operation_of_the_openapi_document(collection):
    covered = set()
    for item in collection["item"]:
        path = "/" + "/".join(item["request"]["url"]["path"])
        path = path.replace("{{deliveryId}}", "{delivery_id}").replace("{{tagToRemove}}", "{tag}")
        path = re.sub(r"\{\{\w+Id\}\}", "{id}", path)
        covered.add((item["request"]["method"].lower(), path))
    assert covered == OPERATIONS


def test_every_request_tests_its_status_code(collection):
    for item in collection["item"]:
        script = "\n".join(item["event"][0]["script"]["exec"])
        assert EXPECTS_STATUS.search(script), item["name"]


def test_order_is_create_merge_list_call_list_delete_call_delete_lead(collection):
    names = [item["name"] for item in collection["item"]]
    order = ["Create a lead", "Merge a duplicate (same phone)", "List leads", "Log a missed call",
             "List the lead's call logs", "Delete the call log", "Delete the lead"]  # fmt: skip
    assert [name for name in names if name in order] == order


def test_webhooks_are_subscribed_pinged_resent_rotated_then_deleted(collection):
    """After the leads: a subscription to a public-looking URL (the server runs without
    WEBHOOK_ALLOW_PRIVATE_URLS), its ping and resend chained by ids, and its deletion last."""
    items = {item["name"]: item for item in collection["item"]}
    names = [name for name in items if "webhook" in items[name]["request"]["url"]["raw"]]
    assert names == [
        "Subscribe a webhook receiver", "List webhook subscriptions",
        "Get the webhook subscription", "Change the events it receives (PATCH)",
        "Send a test ping", "List its deliveries", "Resend the ping",
        "Rotate the signing secret", "Delete the webhook subscription",
    ]  # fmt: skip
    create = json.loads(items["Subscribe a webhook receiver"]["request"]["body"]["raw"])
    assert create["url"].startswith("https://")
    assert "127.0.0.1" not in create["url"]
    assert "localhost" not in create["url"]
    resend = items["Resend the ping"]["request"]["url"]["raw"]
    assert resend.endswith("/webhooks/{{webhookId}}/deliveries/{{deliveryId}}/resend")


def replay(collection: dict, base_url: str, api_key: str) -> list[tuple[str, int, int]]:
    variables = {v["key"]: v["value"] for v in collection["variable"]}
    variables.update(baseUrl=base_url, CRM_API_KEY=api_key)
    # What the collection's pre-request script does before "Create a lead".
    number = f"{random.randrange(10**8):08d}"
    variables.update(
        leadPhone=f"+9198{number}",
        leadPhoneWritten=f"098{number[:3]} {number[3:]}",
        leadEmail=f"asha.{number}@example.com",
        retryPhone=f"+9197{number}",
        retryKey=f"test-{number}-{time.time()}",
        bulkEmail=f"bulk.{number}@example.com",
        dialerCallId=f"CA-{number}-{time.time()}",
        syncSince=(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
    )

    def fill(text: str) -> str:
        return re.sub(r"\{\{(\w+)\}\}", lambda m: variables[m.group(1)], text)

    results = []
    for item in collection["item"]:
        request = item["request"]
        headers = {h["key"]: fill(h["value"]) for h in request["header"]}
        headers["Authorization"] = f"Bearer {api_key}"
        body = request.get("body", {}).get("raw")
        response = requests.request(
            request["method"], fill(request["url"]["raw"]), headers=headers,
            data=fill(body).encode() if body else None, timeout=30,
        )  # fmt: skip
        script = "\n".join(item["event"][0]["script"]["exec"])
        expected = int(EXPECTS_STATUS.search(script).group(1))
        results.append((item["name"], expected, response.status_code))
        for name, path in SET_FROM_BODY.findall(script):
            value = response.json()["data"]
            for index, attribute in STEP.findall(path):  # body.data[0].stages[4].id
                value = value[int(index)] if index else value[attribute]
            variables[name] = value
    return results


def test_replays_top_to_bottom_against_a_fresh_server(
    live_server, transactional_db, admin_user, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False  # as in CI: the walk-through needs no exception
    collection = requests.get(f"{live_server.url}/api/v1/postman_collection.json", timeout=30)
    assert collection.json()["variable"][0]["value"] == live_server.url
    _, raw = make_key(admin_user)
    for _ in range(2):  # twice: a fresh phone each run keeps "create" a 201
        for name, expected, actual in replay(collection.json(), live_server.url, raw):
            assert actual == expected, name
    # Each run deletes its subscription at the end, and its delivery log with it.
    assert not Subscription.objects.exists()
    assert not Message.objects.exists()


def test_every_script_is_valid_javascript(collection, tmp_path):
    """Newman runs these scripts: a quote out of place would fail the run, not this suite."""
    import shutil
    import subprocess

    node = shutil.which("node")
    assert node, "Node.js is needed to check the collection's scripts (Newman needs it too)."
    scripts = [("prerequest", "\n".join(collection["event"][0]["script"]["exec"]))]
    scripts += [
        (item["name"], "\n".join(item["event"][0]["script"]["exec"])) for item in collection["item"]
    ]
    for index, (name, script) in enumerate(scripts):
        path = tmp_path / f"script{index}.js"
        path.write_text(f"function check(pm) {{\n{script}\n}}\n")
        done = subprocess.run([node, "--check", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, f"{name}: {done.stderr}"
