"""Secrets kept out of the logs of the SDKs the adapters drive.

The Stripe SDK logs every request's form data and every response body at DEBUG on the
``stripe`` logger (card tokens, client secrets); :func:`redact` puts a filter on such a
logger that rewrites each record before any handler sees it: the named body fields become
``***``, so do the secrets an adapter registers (its API key, its webhook secret) and
anything shaped like a Stripe secret or card token.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"

_SECRET_SHAPES = re.compile(
    r"\b(?:sk|rk)_(?:live|test)_\w+"  # API keys
    r"|\bwhsec_\w+"  # webhook signing secrets
    r"|\b\w+_secret_\w+"  # client secrets (pi_..._secret_...)
    r"|\b(?:pm|tok|card|src|ba)_\w+"  # payment methods and card tokens
)


class SecretRedactor(logging.Filter):
    """Rewrites a record's message: ``fields`` (logfmt ``name=value`` pairs) masked,
    registered secrets and :data:`_SECRET_SHAPES` masked. Never drops a record."""

    def __init__(self, fields: Iterable[str] = ()) -> None:
        super().__init__()
        names = "|".join(re.escape(name) for name in fields)
        self._fields = (
            re.compile(rf"\b({names})=('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\S+)")
            if names
            else None
        )
        self._secrets: set[str] = set()

    def add(self, secrets: Iterable[str]) -> None:
        self._secrets.update(secret for secret in secrets if secret)

    def redact(self, text: str) -> str:
        if self._fields is not None:
            text = self._fields.sub(rf"\1={MASK}", text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return _SECRET_SHAPES.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


def redact(logger_name: str, *secrets: str, fields: Iterable[str] = ()) -> SecretRedactor:
    """The redactor of ``logger_name`` (put on it the first time, with ``fields``), now also
    masking ``secrets``. A filter on a logger sees only that logger's own records: name the
    logger that logs (``stripe``), not a parent of it."""
    logger = logging.getLogger(logger_name)
    redactor = next((f for f in logger.filters if isinstance(f, SecretRedactor)), None)
    if redactor is None:
        redactor = SecretRedactor(fields)
        logger.addFilter(redactor)
    redactor.add(secrets)
    return redactor
