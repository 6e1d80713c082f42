"""HTTPS receivers: the certificate is verified against the name in the URL (SNI and hostname
check), even though the connection goes to the address the SSRF guard checked."""

import socket
import ssl
import subprocess

import pytest

from events.services import Actor
from webhooks.models import Attempt, Message, MessageState
from webhooks.outbox import ping_message
from webhooks.services import webhook_create

from .conftest import drain
from .receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A private CA and a certificate it signed for `receiver.test`, made with openssl."""
    folder = tmp_path_factory.mktemp("tls")

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test CA",
            "-keyout", "ca.key", "-out", "ca.pem")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=receiver.test",
            "-keyout", "server.key", "-out", "server.csr")  # fmt: skip
    (folder / "ext.cnf").write_text("subjectAltName=DNS:receiver.test\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf",
            "-out", "server.pem")  # fmt: skip
    return folder


@pytest.fixture
def tls_receiver(certificates):
    with Receiver() as receiver:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificates / "server.pem", certificates / "server.key")
        receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
        yield receiver


@pytest.fixture
def names(monkeypatch):
    """`receiver.test` and `other.test` resolve to 127.0.0.1."""
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host in ("receiver.test", "other.test"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def ping(user, receiver, host):
    port = receiver.server.server_address[1]
    created = webhook_create(
        actor=Actor.system(user), url=f"https://{host}:{port}/hooks", events=["*"]
    )
    receiver.secret = created.secret
    ping_message(created.subscription)
    drain()


def test_an_https_receiver_with_a_valid_certificate_gets_the_message(
    admin_user, tls_receiver, names, certificates, settings
):
    settings.WEBHOOK_CA_BUNDLE = str(certificates / "ca.pem")
    ping(admin_user, tls_receiver, "receiver.test")
    [got] = tls_receiver.wait_for(1)
    assert got.verified
    assert Message.objects.get().state == MessageState.DELIVERED


def test_a_certificate_for_another_name_fails_the_attempt(
    admin_user, tls_receiver, names, certificates, settings
):
    settings.WEBHOOK_CA_BUNDLE = str(certificates / "ca.pem")
    ping(admin_user, tls_receiver, "other.test")
    assert tls_receiver.received == []
    errors = [attempt.error for attempt in Attempt.objects.all()]
    assert len(errors) == 3
    assert all("other.test" in error or "certificate" in error.lower() for error in errors)


def test_an_untrusted_certificate_fails_the_attempt(admin_user, tls_receiver, names, settings):
    settings.WEBHOOK_CA_BUNDLE = ""  # the system's trust store does not know the test CA
    ping(admin_user, tls_receiver, "receiver.test")
    assert tls_receiver.received == []
    assert all("certificate" in a.error.lower() for a in Attempt.objects.all())
    assert Message.objects.get().state == MessageState.FAILED
