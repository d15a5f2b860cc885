"""Who may act on accounts, credentials and conversations (DOMAIN.md section 10, and
``docs/access.md`` where it is silent): a user on their own; tenant and platform admins on
the tenant's; the system actor rotates credentials and ends conversations. Scopes:
``read:accounts``, ``write:accounts``, ``read:conversations``, ``write:conversations``."""

from __future__ import annotations

from travelcore.kernel import Actor, UserId, permit

READ, WRITE = "read:accounts", "write:accounts"
READ_CHATS, WRITE_CHATS = "read:conversations", "write:conversations"


def account(actor: Actor, user_id: UserId) -> None:
    """Register the user's account, store one of their credentials."""
    permit(actor, WRITE, user=user_id)


def read_credentials(actor: Actor, user_id: UserId) -> None:
    """List or open the user's credentials."""
    permit(actor, READ, user=user_id)


def rotate(actor: Actor) -> None:
    """Re-seal the tenant's credentials under the current key."""
    permit(actor, WRITE, jobs=True)


def converse(actor: Actor, user_id: UserId) -> None:
    """Start a conversation of the user or post in one."""
    permit(actor, WRITE_CHATS, user=user_id)


def end(actor: Actor, user_id: UserId) -> None:
    """End a conversation of the user (also the job that closes inactive ones)."""
    permit(actor, WRITE_CHATS, user=user_id, jobs=True)


def read_conversations(actor: Actor, user_id: UserId) -> None:
    permit(actor, READ_CHATS, user=user_id)
