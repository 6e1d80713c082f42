#!/usr/bin/env python
"""A fast webhook receiver for the benchmark, on 127.0.0.1: asyncio, HTTP/1.1 keep-alive, one
process. It answers every webhook POST 200 at once and notes when it arrived (wall clock, so
run.py can compare it with the moment a create request returned), its webhook-id, event type
and the id of the object it tells about. It checks the Standard Webhooks signature of one
message in `--verify-every` (1 = all) with the `standardwebhooks` package, as receivers do.

    .venv/bin/python bench/receiver.py --port 8804 --secret whsec_...

Control routes (run.py's): `GET /_stats` → counts; `GET /_records` → every arrival;
`POST /_reset` forgets them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class State:
    def __init__(self, secret: str | None, verify_every: int):
        self.records: list[tuple[float, str, str, str]] = []  # (at, webhook-id, type, object id)
        self.ids: set[str] = set()
        self.duplicates = 0
        self.verified = 0
        self.bad_signatures = 0
        self.verify_every = verify_every
        self.webhook = None
        if secret:
            from standardwebhooks.webhooks import Webhook

            self.webhook = Webhook(secret)

    def stats(self) -> dict:
        return {
            "received": len(self.records),
            "unique": len(self.ids),
            "duplicates": self.duplicates,
            "verified": self.verified,
            "bad_signatures": self.bad_signatures,
            "first": self.records[0][0] if self.records else None,
            "last": self.records[-1][0] if self.records else None,
        }

    def reset(self) -> None:
        self.records, self.ids = [], set()
        self.duplicates = self.verified = self.bad_signatures = 0

    def note(self, headers: dict[str, str], body: bytes) -> None:
        at = time.time()
        webhook_id = headers.get("webhook-id", "")
        try:
            payload = json.loads(body)
            data = payload.get("data") or {}
            event_type = payload.get("type", "")
            object_id = str((data.get("object") or {}).get("id", ""))
        except (ValueError, AttributeError):
            event_type = object_id = ""
        if webhook_id in self.ids:
            self.duplicates += 1
        self.ids.add(webhook_id)
        self.records.append((at, webhook_id, event_type, object_id))
        if self.webhook is not None and (len(self.records) - 1) % self.verify_every == 0:
            try:
                self.webhook.verify(body.decode(), headers)
                self.verified += 1
            except Exception:  # any failure is a bad signature here
                self.bad_signatures += 1


def _reply(payload: dict) -> bytes:
    body = json.dumps(payload).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def handle(state: State, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            body = await reader.readexactly(length) if length else b""
            if path == "/_stats":
                writer.write(_reply(state.stats()))
            elif path == "/_records":
                writer.write(_reply({"records": state.records, **state.stats()}))
            elif path == "/_reset" and method == "POST":
                state.reset()
                writer.write(_reply({"reset": True}))
            else:
                state.note(headers, body)
                writer.write(OK)
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                return
    finally:
        writer.close()


async def serve(host: str, port: int, state: State) -> None:
    server = await asyncio.start_server(
        lambda r, w: handle(state, r, w), host, port, reuse_address=True, backlog=256
    )
    print(f"receiver listening on http://{host}:{port}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8804)
    parser.add_argument("--secret", help="the subscription's whsec_ secret (to verify)")
    parser.add_argument("--verify-every", type=int, default=10, help="verify 1 message in N")
    args = parser.parse_args()
    state = State(args.secret, max(1, args.verify_every))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve("127.0.0.1", args.port, state))


if __name__ == "__main__":
    main()
