"""The SQL Django runs for API requests, as JSON (used by run.py to count queries per request
and to check that the raw baseline still sends the app's queries). Run with the bench
environment: `python bench/sqlcheck.py API_KEY < requests.json`, where requests.json is a list of
{"method", "path", "bodies"?: [first, second], "login"?: email, "extra_stages"?: N}. Each request
runs twice (the first warms caches and last_used_at); the second run is the one reported.

- `login`: a page request, sent with that user's session (force_login) instead of the key.
- `extra_stages`: run inside a transaction rolled back afterwards, in which a second pipeline
  with N stages exists and holds a few leads in each stage; `{pipeline}` in the path is its id.
  (What "the same queries whatever the number of stages" is checked with.)"""

import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

# Literal parameters as Django's client-side binding writes them, replaced by %s: quoted values
# and numbers compared with `=` (psycopg writes a negative one with a space before it).
_LITERAL = re.compile(r"'[^']*'(?:::[a-z]+)?|(?<== ) ?-?\d+\b")


def normalize(sql: str) -> str:
    return _LITERAL.sub("%s", sql)


class _Rollback(Exception):
    pass


def extra_pipeline(stages: int, email: str | None, leads_per_stage: int = 5) -> str:
    """A second pipeline with `stages` stages (statuses in turn), each holding a few leads that
    were in the default pipeline (leads the user `email` sees, if given); returns its id. Only
    inside a transaction that is rolled back."""
    from accounts.models import User
    from leads.models import Lead
    from pipelines.models import Pipeline, Stage
    from pipelines.rules import LeadStatus

    leads = Lead.objects.all()
    if email:
        leads = leads.visible_to(User.objects.get(email=email))

    pipeline = Pipeline.objects.create(name="Bench: many stages")
    statuses = list(LeadStatus.values)
    made = Stage.objects.bulk_create(
        Stage(pipeline=pipeline, name=f"Step {i}", position=i, status=statuses[i % len(statuses)])
        for i in range(1, stages + 1)
    )
    picked = list(leads.order_by("-created_at").values_list("pk", flat=True)[
        : stages * leads_per_stage
    ])  # fmt: skip
    for i, stage in enumerate(made):
        chunk = picked[i * leads_per_stage : (i + 1) * leads_per_stage]
        Lead.objects.filter(pk__in=chunk).update(stage=stage, status=stage.status)
    return str(pipeline.pk)


def run(spec: dict, client: Client) -> dict:
    """Both runs of one request; the second's status and SQL."""
    path = spec["path"]
    if spec.get("login"):
        from accounts.models import User

        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(email=spec["login"]))
    for body in spec.get("bodies") or [None, None]:
        with CaptureQueriesContext(connection) as captured:
            if spec["method"] == "GET":
                response = client.get(path)
            else:
                data = json.dumps(body)
                response = client.post(path, data, content_type="application/json")
    return {
        "status": response.status_code,
        "queries": [q["sql"] for q in captured.captured_queries],
    }


def main() -> None:
    key = sys.argv[1]
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {key}")
    out = []
    for spec in json.load(sys.stdin):
        if spec.get("extra_stages"):
            try:
                with transaction.atomic():
                    pipeline_id = extra_pipeline(spec["extra_stages"], spec.get("login"))
                    found = run({**spec, "path": spec["path"].format(pipeline=pipeline_id)}, client)
                    raise _Rollback
            except _Rollback:
                pass
        else:
            found = run(spec, client)
        status, queries = found["status"], found["queries"]
        out.append(
            {
                "status": status,
                "queries": queries,
                "normalized": [normalize(sql) for sql in queries],
            }
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
