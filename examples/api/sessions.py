"""Session tokens: an actor signed with itsdangerous, valid for 12 hours."""

from __future__ import annotations

import attrs
from itsdangerous import BadSignature, URLSafeTimedSerializer

from travelcore.apikeys.token import InvalidApiKey
from travelcore.kernel import Actor, from_data, to_data

SESSION_COOKIE = "travelcore_session"
SESSION_MAX_AGE = 12 * 3600


@attrs.define
class Sessions:
    """Signs an actor into a session token and reads it back."""

    secret: str

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt="travelcore-session")

    def issue(self, actor: Actor) -> str:
        return self._serializer().dumps(to_data(actor))

    def actor(self, token: str) -> Actor:
        try:
            data = self._serializer().loads(token, max_age=SESSION_MAX_AGE)
        except BadSignature:
            raise InvalidApiKey("bad_session") from None
        return from_data(data, Actor)
