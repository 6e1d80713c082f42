"""A real HTTP receiver on 127.0.0.1 for the webhook tests: it verifies every request's
Standard Webhooks signature with the `standardwebhooks` package (as integrators' receivers do)
and answers what the test scripts (200 by default; failures, 410, 429 with Retry-After)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    headers: dict
    body: str
    verified: bool
    path: str
    client_port: int = 0
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    def __init__(self, secret: str | None = None, host: str = "127.0.0.1"):
        self.secret = secret
        self.received: list[Received] = []  # answered requests
        self.arrivals: list[str] = []  # webhook-ids of requests as they arrive, answered or not
        # Scripted answers: (status, headers, delay before answering, body or None, seconds
        # between bytes when the answer is dripped)
        self.script: list[tuple[int, dict, float, bytes | None, float]] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Buffered: the status line, headers and body leave in one write (unbuffered, the
            # body would wait on Nagle's algorithm for the sender's delayed ACK, 40 ms).
            wbufsize = -1

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                headers = {name.lower(): value for name, value in self.headers.items()}
                verified = receiver.verify(body, headers)
                with receiver.arrived:
                    receiver.arrivals.append(headers.get("webhook-id"))
                    receiver.arrived.notify_all()
                with receiver.lock:
                    status, extra, delay, body_out, drip = (
                        receiver.script.pop(0) if receiver.script else (200, {}, 0.0, None, 0.0)
                    )
                if delay:
                    time.sleep(delay)
                with receiver.arrived:
                    receiver.received.append(
                        Received(headers, body, verified, self.path, self.client_address[1])
                    )
                    receiver.arrived.notify_all()
                payload = body_out
                if payload is None:
                    payload = json.dumps({"ok": 200 <= status < 300}).encode()
                try:
                    if drip:
                        answer = (
                            f"HTTP/1.1 {status} X\r\nContent-Length: {len(payload)}\r\n\r\n"
                        ).encode() + payload
                        for byte in answer:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(drip)
                        return
                    self.send_response(status)
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sender gave up (a timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    def verify(self, body: str, headers: dict) -> bool:
        if not self.secret:
            return False
        try:
            Webhook(self.secret).verify(body, headers)
            return True
        except WebhookVerificationError:
            return False

    def answer(
        self,
        *statuses,
        headers: dict | None = None,
        delay: float = 0.0,
        body: bytes | None = None,
        drip: float = 0.0,
    ) -> None:
        with self.lock:
            self.script.extend((status, headers or {}, delay, body, drip) for status in statuses)

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.arrived.wait(remaining)
            return list(self.received)

    def wait_for_arrivals(self, count: int, timeout: float = 15.0) -> list[str]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.arrivals) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.arrived.wait(remaining)
            return list(self.arrivals)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
