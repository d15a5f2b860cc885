"""The SMTP channel against a real SMTP server (aiosmtpd, started here): headers, parts,
language, UTF-8, the three TLS modes, and an outage that the retries ride out."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from travelcore.booking import BookSession, ConfirmBooking
from travelcore.kernel import ManualClock, new_uuid
from travelcore.notifications import (
    Channel,
    DeliveryFailed,
    InAppChannel,
    NotificationId,
    NotificationService,
    NotificationStatus,
    NotificationType,
    OutgoingMessage,
    Priority,
)
from travelcore.testing.actors import admin, job
from travelcore_adapters.memory import MemoryDatabase
from travelcore_adapters.notifications import (
    JinjaRenderer,
    SmtpNotifier,
    SmtpSecurity,
    SmtpSettings,
)

from .conftest import NotifyWorld


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[Envelope, EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        mail = message_from_bytes(content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.mails.append((envelope, mail))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def client_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=True)
    controller.start()
    yield controller, inbox
    controller.stop()


def settings(port: int, **changes: Any) -> SmtpSettings:
    fields: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "sender": "hello@family-pass.example",
        "sender_name": "Family Pass",
        "security": SmtpSecurity.NONE,
        "timeout": 5.0,
        **changes,
    }
    return SmtpSettings(**fields)


def outgoing(**changes: Any) -> OutgoingMessage:
    fields: dict[str, Any] = {
        "notification_id": NotificationId(new_uuid()),
        "channel": Channel.EMAIL,
        "to": "maria@example.com",
        "recipient_name": "María Pérez",
        "language": "es",
        "priority": Priority.HIGH,
        "title": "Reserva confirmada: Robótica 🤖",
        "body": "Hola María, Ana está inscrita.",
        "html": "<p>Hola <b>María</b>, Ana está inscrita.</p>",
        **changes,
    }
    return OutgoingMessage(**fields)


def test_a_mail_arrives_with_its_headers_parts_and_language(
    smtp_server: tuple[Controller, Inbox],
) -> None:
    controller, inbox = smtp_server
    notifier = SmtpNotifier(settings(controller.port))
    message = outgoing()
    message_id = notifier.send(message)
    [(envelope, mail)] = inbox.mails
    assert envelope.mail_from == "hello@family-pass.example"
    assert envelope.rcpt_tos == ["maria@example.com"]
    assert mail["Subject"] == "Reserva confirmada: Robótica 🤖"
    assert mail["To"] == "María Pérez <maria@example.com>"
    assert mail["From"] == "Family Pass <hello@family-pass.example>"
    assert mail["Content-Language"] == "es"
    assert mail["Importance"] == "high"
    assert mail["Message-ID"] == message_id == f"<{message.notification_id}@family-pass.example>"
    assert mail.get_content_type() == "multipart/alternative"
    text, html = mail.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert text.get_content().strip() == "Hola María, Ana está inscrita."
    assert html.get_content_type() == "text/html"
    assert "<b>María</b>" in html.get_content()
    assert text.get_content_charset() == "utf-8"


def test_a_text_only_mail_to_a_non_ascii_address_uses_smtputf8(
    smtp_server: tuple[Controller, Inbox],
) -> None:
    controller, inbox = smtp_server
    SmtpNotifier(settings(controller.port)).send(outgoing(to="zoë@example.com", html=None))
    [(envelope, mail)] = inbox.mails
    assert "SMTPUTF8" in envelope.mail_options
    assert envelope.rcpt_tos == ["zoë@example.com"]
    assert mail.get_content_type() == "text/plain"


@pytest.mark.parametrize("security", [SmtpSecurity.STARTTLS, SmtpSecurity.TLS])
def test_tls_modes(security: SmtpSecurity, certificate: tuple[Path, Path]) -> None:
    inbox = Inbox()
    port = free_port()
    tls: dict[str, Any] = (
        {"tls_context": server_context(certificate), "require_starttls": True}
        if security is SmtpSecurity.STARTTLS
        else {"ssl_context": server_context(certificate)}
    )
    controller = Controller(inbox, hostname="localhost", port=port, **tls)
    controller.start()
    try:
        trusted = settings(port, host="localhost", security=security)
        with pytest.raises(DeliveryFailed):  # the system store does not trust our certificate
            SmtpNotifier(trusted).send(outgoing())
        context = client_context(certificate)
        SmtpNotifier(settings(port, host="localhost", security=security, ssl_context=context)).send(
            outgoing()
        )
        assert len(inbox.mails) == 1
    finally:
        controller.stop()


def test_starttls_required_refuses_a_server_that_does_not_offer_it(
    smtp_server: tuple[Controller, Inbox],
) -> None:
    controller, inbox = smtp_server
    with pytest.raises(DeliveryFailed, match="STARTTLS"):
        SmtpNotifier(settings(controller.port, security=SmtpSecurity.STARTTLS)).send(outgoing())
    assert inbox.mails == []


def test_an_outage_fails_retries_with_backoff_and_delivers_once_when_the_server_returns(
    clock: ManualClock,
) -> None:
    inbox = Inbox()
    port = free_port()
    db = MemoryDatabase()
    world = NotifyWorld(db, clock, db.outbox)
    notify = NotificationService(
        db,
        clock,
        renderer=JinjaRenderer(),
        notifiers=[SmtpNotifier(settings(port)), InAppChannel()],
    )
    parent, [child] = world.family()
    session = world.session()
    receipt = world.bookings.book(
        BookSession(
            tenant_id=world.tenant,
            session_id=session,
            child_id=child,
            parent_id=parent,
            idempotency_key=world.key(),
        ),
        actor=admin(world.tenant),
    )
    world.bookings.confirm(
        ConfirmBooking(
            tenant_id=world.tenant, booking_id=receipt.booking_id, idempotency_key=world.key()
        ),
        actor=admin(world.tenant),
    )
    world.relay.drain()

    def confirmation() -> Any:
        [mail] = [
            n
            for n in notify.history(world.tenant, parent, actor=admin(world.tenant))
            if n.channel is Channel.EMAIL and n.type is NotificationType.BOOKING_CONFIRMED
        ]
        return mail

    report = notify.deliver_due(world.tenant, actor=job(world.tenant))  # no server listening
    assert (report.sent, report.failed) == (1, 1)  # in-app went, email failed
    first = confirmation()
    assert first.status is NotificationStatus.FAILED
    assert "Connection refused" in (first.last_error or "")
    assert first.due_at == clock.now() + dt.timedelta(seconds=30)
    clock.advance(dt.timedelta(seconds=30))
    assert notify.deliver_due(world.tenant, actor=job(world.tenant)).failed == 1
    assert confirmation().due_at == clock.now() + dt.timedelta(seconds=60)

    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert (
            notify.deliver_due(world.tenant, actor=job(world.tenant)).sent == 0
        )  # backing off: not due yet
        clock.advance(dt.timedelta(seconds=60))
        assert notify.deliver_due(world.tenant, actor=job(world.tenant)).sent == 1
        clock.advance(dt.timedelta(days=1))
        assert notify.deliver_due(world.tenant, actor=job(world.tenant)).sent == 0
    finally:
        controller.stop()
    sent = confirmation()
    assert sent.status is NotificationStatus.SENT
    assert sent.attempts == 3
    assert len(inbox.mails) == 1
    assert sent.external_id == inbox.mails[0][1]["Message-ID"]
    assert inbox.mails[0][1]["Subject"].startswith("Booked:")
