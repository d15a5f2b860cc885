"""Email over SMTP (``smtplib``): a text part and, when the template has one, an HTML
alternative.

Headers are UTF-8: non-ASCII subjects and names are RFC 2047 encoded words, and a message
to a non-ASCII address goes out with SMTPUTF8 (the server must offer it). The Message-ID is
derived from the notification's id, so a message resent after a crash can be recognised.
TLS: ``none`` (plain, for local relays), ``starttls`` (upgrade required: a server that does
not offer it is a delivery failure, never a silent plain send) or ``tls`` (implicit TLS,
port 465).
"""

from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from enum import StrEnum

import attrs

from travelcore.notifications import Channel, DeliveryFailed, OutgoingMessage, Priority


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


@attrs.frozen(kw_only=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    """The From address (``notifications@example.com``)."""
    sender_name: str = ""
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    timeout: float = 10.0
    ssl_context: ssl.SSLContext | None = None
    """Defaults to ``ssl.create_default_context()`` (certificates verified)."""


class SmtpNotifier:
    """The email :class:`~travelcore.notifications.Notifier`; one connection per message."""

    channel = Channel.EMAIL

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def message(self, outgoing: OutgoingMessage) -> EmailMessage:
        s = self.settings
        mail = EmailMessage(policy=SMTP)
        mail["From"] = _address(s.sender_name, s.sender)
        mail["To"] = _address(outgoing.recipient_name, outgoing.to)
        mail["Subject"] = outgoing.title
        mail["Date"] = formatdate(usegmt=True)
        domain = s.sender.rpartition("@")[2] or "travelcore.invalid"
        mail["Message-ID"] = f"<{outgoing.notification_id}@{domain}>"
        mail["Auto-Submitted"] = "auto-generated"
        if outgoing.priority in (Priority.HIGH, Priority.URGENT):
            mail["Importance"] = "high"
        mail.set_content(outgoing.body)
        if outgoing.html is not None:
            mail.add_alternative(outgoing.html, subtype="html")
        mail["Content-Language"] = outgoing.language  # (setting the content clears it)
        return mail

    def send(self, message: OutgoingMessage) -> str:
        try:
            mail = self.message(message)
        except (ValueError, TypeError) as exc:  # an address or header that cannot be sent
            raise DeliveryFailed(f"unsendable message: {exc}") from exc
        s = self.settings
        try:
            with self._connect() as smtp:
                if s.username is not None:
                    smtp.login(s.username, s.password or "")
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP {s.host}:{s.port}: {exc}") from exc
        return str(mail["Message-ID"])

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = s.ssl_context or ssl.create_default_context()
        if s.security is SmtpSecurity.TLS:
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.security is SmtpSecurity.STARTTLS:
            try:
                smtp.starttls(context=context)
            except BaseException:
                smtp.close()
                raise
        return smtp


def _address(name: str, address: str) -> Address:
    """An address with any display name and a UTF-8 local part (SMTPUTF8)."""
    username, _, domain = address.rpartition("@")
    return Address(" ".join(name.split()), username=username, domain=domain)
