"""The SQL Django runs for API requests, as JSON (used by run.py to count queries per request
and to check that the raw baseline still sends the app's queries). Run with the bench
environment: `python bench/sqlcheck.py API_KEY < requests.json`, where requests.json is a list of
{"method", "path", "bodies"?: [first, second]}. Each request runs twice (the first warms caches and
last_used_at); the second run is the one reported."""

import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

# Literal parameters as Django's client-side binding writes them, replaced by %s.
_LITERAL = re.compile(r"'[^']*'(?:::[a-z]+)?")


def normalize(sql: str) -> str:
    return _LITERAL.sub("%s", sql)


def main() -> None:
    key = sys.argv[1]
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {key}")
    out = []
    for spec in json.load(sys.stdin):
        for body in spec.get("bodies") or [None, None]:
            with CaptureQueriesContext(connection) as captured:
                if spec["method"] == "GET":
                    response = client.get(spec["path"])
                else:
                    data = json.dumps(body)
                    response = client.post(spec["path"], data, content_type="application/json")
        queries = [q["sql"] for q in captured.captured_queries]
        out.append(
            {
                "status": response.status_code,
                "queries": queries,
                "normalized": [normalize(sql) for sql in queries],
            }
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
