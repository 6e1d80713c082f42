"""Run by test_database_restart.py in its own process, against a private PostgreSQL cluster
(DATABASE_URL): a db_worker delivers, the cluster restarts while a delivery is in flight, and
every message still arrives. Prints one JSON line with what happened."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from events.models import Channel  # noqa: E402
from events.services import Actor  # noqa: E402
from leads.services import lead_create  # noqa: E402
from tests.webhooks.receiver import Receiver  # noqa: E402
from webhooks.models import Message  # noqa: E402
from webhooks.services import webhook_create  # noqa: E402


def main(restart_command: list[str]) -> None:
    call_command("migrate", verbosity=0)
    user = User.objects.create_superuser("restart@example.com", "pw")
    actor = Actor(user=user, channel=Channel.API)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with Receiver() as receiver:
            created = webhook_create(actor=Actor.system(user), url=receiver.url, events=["*"])
            receiver.secret = created.secret
            lead_create(actor=actor, fields={"name": "before", "phone": "+919877722201"})
            receiver.wait_for(1, 20)
            receiver.answer(200, delay=2.0)  # the next delivery is in flight during the restart
            lead_create(actor=actor, fields={"name": "during", "phone": "+919877722202"})
            receiver.wait_for_arrivals(2, 20)
            connection.close()
            subprocess.run(restart_command, check=True, capture_output=True)
            lead_create(actor=actor, fields={"name": "after", "phone": "+919877722203"})
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                states = list(Message.objects.values_list("state", flat=True))
                if states.count("delivered") == 3:
                    break
                time.sleep(0.5)
            names = sorted(
                {got.json["data"]["object"]["name"] for got in receiver.received if got.verified}
            )
            print(
                json.dumps(
                    {"states": states, "verified": names, "worker_alive": worker.poll() is None}
                )
            )
    finally:
        worker.kill()
        worker.wait(10)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
