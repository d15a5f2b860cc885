"""Notification adapters: the Jinja2 template renderer and the SMTP email channel.
Needs the ``notifications`` extra (Jinja2); SMTP uses the standard library."""

from travelcore_adapters.notifications.jinja import JinjaRenderer
from travelcore_adapters.notifications.smtp import SmtpNotifier, SmtpSecurity, SmtpSettings

__all__ = ["JinjaRenderer", "SmtpNotifier", "SmtpSecurity", "SmtpSettings"]
