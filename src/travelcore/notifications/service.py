"""Use cases of the notifications context: templates, preferences, creating notifications
for a user on every channel they allow, the delivery job and the in-app centre."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

import attrs

from travelcore.kernel import (
    AccessDenied,
    Actor,
    Clock,
    Command,
    NotFound,
    RetryPolicy,
    TenantId,
    UserId,
    ValidationFailed,
    checked_clock,
    new_uuid,
    require_tenant,
    run_command,
)
from travelcore.kernel import validation as v
from travelcore.notifications import access
from travelcore.notifications.model import (
    MAX_BODY,
    MAX_TITLE,
    Channel,
    Notification,
    NotificationId,
    NotificationPreferences,
    NotificationStatus,
    NotificationType,
    OutgoingMessage,
    Priority,
    QuietHours,
    Rendered,
    Template,
    language_chain,
)
from travelcore.notifications.ports import (
    NotificationsUnitOfWork,
    Notifier,
    TemplateRenderer,
)
from travelcore.notifications.templates import BUILTIN_TEMPLATES
from travelcore.people import User, UserRepository


class RecipientsUnitOfWork(NotificationsUnitOfWork, Protocol):
    """The notifications storage plus the users, whose email and name it needs."""

    @property
    def users(self) -> UserRepository: ...


NotificationsUowFactory = Callable[[TenantId], RecipientsUnitOfWork]
R = TypeVar("R")


@attrs.frozen(kw_only=True)
class NotificationRequest:
    """Tell ``user_id`` something, on every channel they allow for ``type``.

    ``key`` names the cause (an event id, ``"reminder-24h:<booking id>"``): asking twice
    with the same key creates nothing new."""

    user_id: UserId
    type: NotificationType
    key: str
    values: Mapping[str, Any] = attrs.field(factory=dict)
    priority: Priority = Priority.NORMAL
    template_key: str | None = None
    data: Mapping[str, Any] = attrs.field(factory=dict)
    related_entity_type: str | None = None
    related_entity_id: UUID | None = None
    action_url: str | None = None
    scheduled_for: datetime | None = None


@attrs.frozen(kw_only=True)
class SaveTemplate:
    tenant_id: TenantId
    key: str
    channel: Channel
    language: str
    name: str
    title: str
    body: str
    html: str | None = None
    variables: tuple[str, ...] = ()
    category: str | None = None
    idempotency_key: str


@attrs.frozen(kw_only=True)
class SwitchChannel:
    tenant_id: TenantId
    user_id: UserId
    type: NotificationType
    channel: Channel
    enabled: bool
    idempotency_key: str


@attrs.frozen(kw_only=True)
class UpdatePreferences:
    """Replace the user's language, quiet hours and addresses (``None`` keeps one)."""

    tenant_id: TenantId
    user_id: UserId
    language: str | None = None
    quiet_hours: QuietHours | None = None
    addresses: Mapping[Channel, str] | None = None
    clear_quiet_hours: bool = False
    idempotency_key: str


@attrs.frozen(kw_only=True)
class Announce:
    """A system announcement to ``user_ids``."""

    tenant_id: TenantId
    user_ids: tuple[UserId, ...]
    subject: str
    message: str
    priority: Priority = Priority.NORMAL
    idempotency_key: str


@attrs.frozen(kw_only=True)
class MarkRead:
    tenant_id: TenantId
    user_id: UserId
    notification_id: NotificationId
    idempotency_key: str


@attrs.frozen(kw_only=True)
class Created:
    notification_ids: tuple[NotificationId, ...]


@attrs.frozen(kw_only=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    parked: int = 0
    postponed: int = 0
    """Due in the recipient's quiet hours (as they are now): due again at their end."""


MAX_BATCH = 1000


class NotificationService:
    """Creates, renders and delivers notifications.

    ``default_language`` gives a tenant's language, the fallback between the user's and
    English; ``notifiers`` are the channels this process can deliver on (a notification
    on a channel without a notifier waits)."""

    def __init__(
        self,
        uow_factory: NotificationsUowFactory,
        clock: Clock,
        *,
        renderer: TemplateRenderer,
        notifiers: Iterable[Notifier] = (),
        default_language: Callable[[TenantId], str] = lambda _: "en",
        retry: RetryPolicy | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = checked_clock(clock)
        self._renderer = renderer
        self._notifiers = {notifier.channel: notifier for notifier in notifiers}
        self._default_language = default_language
        self._retry = retry or RetryPolicy()

    def _run(
        self,
        cmd: Command,
        result_type: type[R],
        action: Callable[[RecipientsUnitOfWork, datetime], R],
        actor: Actor,
    ) -> R:
        """``action`` for ``cmd`` through :func:`run_command`."""
        return run_command(self._uow, self._clock, cmd, result_type, action, actor=actor)

    # templates ---------------------------------------------------------------------------

    def save_template(self, cmd: SaveTemplate, *, actor: Actor) -> Template:
        """Save a new version; refused if it uses a variable it does not declare."""

        def action(uow: RecipientsUnitOfWork, now: datetime) -> Template:
            access.administer(actor)
            channel = Channel(cmd.channel)
            versions = uow.notification_templates.versions(cmd.key, channel, cmd.language)
            template = Template(
                tenant_id=cmd.tenant_id,
                key=cmd.key,
                channel=channel,
                language=cmd.language,
                name=cmd.name,
                title=cmd.title,
                body=cmd.body,
                html=cmd.html,
                variables=cmd.variables,
                category=cmd.category,
                version=versions[-1].version + 1 if versions else 1,
                created_at=now,
            )
            self.check_template(template)
            uow.notification_templates.add(template)
            return template

        return self._run(cmd, Template, action, actor)

    def check_template(self, template: Template) -> None:
        """``ValidationFailed`` naming the part and the variable it uses undeclared."""
        for part, source in template.parts().items():
            used = self._renderer.variables(source, html=part == "html")
            undeclared = sorted(used - {*template.variables, "recipient_name"})
            if undeclared:
                raise ValidationFailed(
                    part,
                    "declared_variables_only",
                    f"{part} uses undeclared variable(s) {', '.join(undeclared)}",
                )

    def template_for(
        self,
        uow: NotificationsUnitOfWork,
        key: str,
        channel: Channel,
        *languages: str | None,
    ) -> Template | None:
        """The active template in the first language of ``languages``, the tenant's
        default, English, that exists; then the built-in one."""
        chain = language_chain(*languages, self._default_language(uow.tenant_id))
        for language in chain:
            found = uow.notification_templates.active(key, channel, language)
            if found is not None:
                return found
        return BUILTIN_TEMPLATES.get((key, channel))

    # preferences -------------------------------------------------------------------------

    def preferences(
        self, tenant_id: TenantId, user_id: UserId, *, actor: Actor
    ) -> NotificationPreferences:
        v.ids(user_id=user_id)
        require_tenant(actor, tenant_id)
        access.read(actor, user_id)
        with self._uow(tenant_id) as uow:
            return _preferences(uow, user_id)

    def switch_channel(self, cmd: SwitchChannel, *, actor: Actor) -> NotificationPreferences:
        def action(uow: RecipientsUnitOfWork, now: datetime) -> NotificationPreferences:
            access.own(actor, cmd.user_id)
            preferences = _preferences(uow, cmd.user_id)
            preferences.switch(NotificationType(cmd.type), Channel(cmd.channel), cmd.enabled)
            uow.notification_preferences.put(preferences)
            return preferences

        return self._run(cmd, NotificationPreferences, action, actor)

    def update_preferences(
        self, cmd: UpdatePreferences, *, actor: Actor
    ) -> NotificationPreferences:
        def action(uow: RecipientsUnitOfWork, now: datetime) -> NotificationPreferences:
            access.own(actor, cmd.user_id)
            preferences = _preferences(uow, cmd.user_id)
            if cmd.language is not None:
                preferences.language = cmd.language
            if cmd.quiet_hours is not None or cmd.clear_quiet_hours:
                preferences.quiet_hours = cmd.quiet_hours
            if cmd.addresses is not None:
                if Channel.IN_APP in cmd.addresses or Channel.EMAIL in cmd.addresses:
                    raise ValidationFailed("addresses", "sms_whatsapp_push_only")
                preferences.addresses = {Channel(c): a for c, a in cmd.addresses.items()}
            uow.notification_preferences.put(preferences)
            return preferences

        return self._run(cmd, NotificationPreferences, action, actor)

    # creating ----------------------------------------------------------------------------

    def announce(self, cmd: Announce, *, actor: Actor) -> Created:
        def action(uow: RecipientsUnitOfWork, now: datetime) -> Created:
            access.send(actor)
            created: list[NotificationId] = []
            for user_id in cmd.user_ids:
                request = NotificationRequest(
                    user_id=user_id,
                    type=NotificationType.SYSTEM_ANNOUNCEMENT,
                    key=f"announce:{cmd.idempotency_key}",
                    values={"subject": cmd.subject, "message": cmd.message},
                    priority=cmd.priority,
                )
                created.extend(n.id for n in self.create(uow, request, now))
            return Created(notification_ids=tuple(created))

        return self._run(cmd, Created, action, actor)

    def create(
        self,
        uow: RecipientsUnitOfWork,
        request: NotificationRequest,
        now: datetime,
    ) -> list[Notification]:
        """Queue ``request`` in ``uow`` on every channel the user allows and can be
        reached on; a channel already queued under the same key is skipped."""
        preferences = _preferences(uow, request.user_id)
        user = _user(uow, request.user_id)
        values = {"recipient_name": user.first_name if user else "", **request.values}
        created = []
        for channel in sorted(preferences.enabled(request.type)):
            if _address(channel, user, preferences) is None:
                continue
            key = f"{request.key}:{channel.value}"
            if uow.notifications.find_by_key(key) is not None:
                continue
            template = self.template_for(
                uow, request.template_key or request.type.value, channel, preferences.language
            )
            if template is None:
                continue
            rendered = self._renderer.render(template, values)
            notification = _notification(uow.tenant_id, request, channel, key, rendered, now)
            notification.language = template.language
            quiet = preferences.quiet_hours
            loud = channel is not Channel.IN_APP and request.priority is not Priority.URGENT
            if quiet is not None and loud:
                notification.due_at = quiet.release(notification.due_at)
            uow.notifications.add(notification)
            created.append(notification)
        return created

    def cancel_for(
        self,
        uow: NotificationsUnitOfWork,
        entity_id: UUID,
        reason: str,
        *types: NotificationType,
    ) -> int:
        """Park the pending notifications of ``types`` about ``entity_id``."""
        count = 0
        for notification in uow.notifications.for_entity(entity_id):
            if notification.pending and notification.type in types:
                notification.cancel(reason)
                uow.notifications.save(notification)
                count += 1
        return count

    # delivering --------------------------------------------------------------------------

    def deliver_due(self, tenant_id: TenantId, limit: int = 100, *, actor: Actor) -> DeliveryReport:
        """The delivery job: send each due notification once, one per transaction (so a
        send and its ``sent`` mark are lost together at most); safe to run in several
        processes at once. A non-urgent one that falls due (first or for a retry) in the
        recipient's quiet hours waits for their end."""
        require_tenant(actor, tenant_id)
        access.send(actor)
        if not 1 <= limit <= MAX_BATCH:
            raise ValidationFailed("limit", f"between_1_and_{MAX_BATCH}")
        sent = failed = parked = postponed = 0
        channels = frozenset(self._notifiers)
        for _ in range(limit):
            with self._uow(tenant_id) as uow:
                now = self._clock.now()
                due = uow.notifications.claim_due(now, 1, channels)
                if not due:
                    break
                notification = due[0]
                quiet_until = _quiet_until(uow, notification, now)
                if quiet_until is None:
                    self._send(uow, self._notifiers[notification.channel], notification, now)
                else:
                    notification.postpone(quiet_until)
                uow.notifications.save(notification)
                uow.commit()
            if quiet_until is not None:
                postponed += 1
            elif notification.status is NotificationStatus.SENT:
                sent += 1
            elif notification.status is NotificationStatus.PARKED:
                parked += 1
            else:
                failed += 1
        return DeliveryReport(sent=sent, failed=failed, parked=parked, postponed=postponed)

    def _send(
        self,
        uow: RecipientsUnitOfWork,
        notifier: Notifier,
        notification: Notification,
        now: datetime,
    ) -> None:
        user = _user(uow, notification.user_id)
        address = _address(notification.channel, user, _preferences(uow, notification.user_id))
        if address is None:
            notification.mark_failed(now, "no address for this channel", self._retry)
            return
        message = OutgoingMessage(
            notification_id=notification.id,
            channel=notification.channel,
            to=address,
            recipient_name=f"{user.first_name} {user.last_name}" if user else "",
            language=notification.language,
            priority=notification.priority,
            title=notification.title,
            body=notification.body,
            html=notification.html,
            action_url=notification.action_url,
            data=notification.data,
        )
        try:
            external_id = notifier.send(message)
        except Exception as exc:  # any provider error: retried, then parked with the reason
            notification.mark_failed(now, f"{type(exc).__name__}: {exc}", self._retry)
        else:
            notification.mark_sent(now, external_id)

    # the in-app centre and history -------------------------------------------------------

    def inbox(
        self, tenant_id: TenantId, user_id: UserId, *, unread_only: bool = False, actor: Actor
    ) -> Sequence[Notification]:
        """The user's delivered in-app notifications, newest first."""
        v.ids(user_id=user_id)
        v.boolean(unread_only, "unread_only")
        require_tenant(actor, tenant_id)
        access.read(actor, user_id)
        with self._uow(tenant_id) as uow:
            found = uow.notifications.for_user(
                user_id, channel=Channel.IN_APP, unread_only=unread_only
            )
        return [n for n in found if n.status is NotificationStatus.SENT]

    def unread_count(self, tenant_id: TenantId, user_id: UserId, *, actor: Actor) -> int:
        v.ids(user_id=user_id)
        require_tenant(actor, tenant_id)
        access.read(actor, user_id)
        with self._uow(tenant_id) as uow:
            return uow.notifications.unread_count(user_id)

    def history(
        self, tenant_id: TenantId, user_id: UserId, *, actor: Actor
    ) -> Sequence[Notification]:
        """Every notification of the user on every channel, newest first."""
        v.ids(user_id=user_id)
        require_tenant(actor, tenant_id)
        access.read(actor, user_id)
        with self._uow(tenant_id) as uow:
            return uow.notifications.for_user(user_id)

    def mark_read(self, cmd: MarkRead, *, actor: Actor) -> Notification:
        def action(uow: RecipientsUnitOfWork, now: datetime) -> Notification:
            notification = uow.notifications.get(cmd.notification_id)
            access.own(actor, notification.user_id)
            if notification.user_id != cmd.user_id:
                raise AccessDenied("this notification belongs to another user", rule="own_user")
            notification.mark_read(now)
            uow.notifications.save(notification)
            return notification

        return self._run(cmd, Notification, action, actor)


def _preferences(uow: NotificationsUnitOfWork, user_id: UserId) -> NotificationPreferences:
    found = uow.notification_preferences.find(user_id)
    return found or NotificationPreferences(tenant_id=uow.tenant_id, user_id=user_id)


def _quiet_until(
    uow: NotificationsUnitOfWork, notification: Notification, now: datetime
) -> datetime | None:
    """The end of the recipient's quiet hours if ``now`` is in them and they apply."""
    if notification.channel is Channel.IN_APP or notification.priority is Priority.URGENT:
        return None
    quiet = _preferences(uow, notification.user_id).quiet_hours
    release = None if quiet is None else quiet.release(now)
    return None if release is None or release == now else release


def _user(uow: RecipientsUnitOfWork, user_id: UserId) -> User | None:
    try:
        return uow.users.get(user_id)
    except NotFound:
        return None


def _address(
    channel: Channel, user: User | None, preferences: NotificationPreferences
) -> str | None:
    if channel is Channel.IN_APP:
        return str(preferences.user_id)
    if channel is Channel.EMAIL:
        return preferences.addresses.get(channel) or (user.email if user else None)
    return preferences.addresses.get(channel)


def _notification(
    tenant_id: TenantId,
    request: NotificationRequest,
    channel: Channel,
    key: str,
    rendered: Rendered,
    now: datetime,
) -> Notification:
    return Notification(
        id=NotificationId(new_uuid()),
        tenant_id=tenant_id,
        user_id=request.user_id,
        key=key,
        type=NotificationType(request.type),
        channel=channel,
        priority=Priority(request.priority),
        title=rendered.title,
        body=rendered.body,
        html=rendered.html,
        data=dict(request.data),
        related_entity_type=request.related_entity_type,
        related_entity_id=request.related_entity_id,
        action_url=request.action_url,
        scheduled_for=request.scheduled_for,
        created_at=now,
        due_at=request.scheduled_for or now,
    )


# -- boundary checks -----------------------------------------------------------------------

MAX_ANNOUNCEMENT_RECIPIENTS = 1_000
MAX_TEMPLATE_VARIABLES = 50
_KEY = {"idempotency_key": v.text(255)}
_ON_USER = {"tenant_id": v.uuid, "user_id": v.uuid}
v.validated(QuietHours, start=v.wall_time, end=v.wall_time, timezone=v.time_zone)
v.validated(
    SaveTemplate,
    tenant_id=v.uuid,
    key=v.text(100),
    channel=v.member(Channel),
    language=v.text(10),
    name=v.text(255),
    title=v.text(MAX_TITLE),
    body=v.text(MAX_BODY),
    html=v.optional(v.text(MAX_BODY * 5)),
    variables=v.items(v.text(64), max_items=MAX_TEMPLATE_VARIABLES),
    category=v.optional(v.text(50)),
    **_KEY,
)
v.validated(
    SwitchChannel,
    **_ON_USER,
    type=v.member(NotificationType),
    channel=v.member(Channel),
    enabled=v.boolean,
    **_KEY,
)
v.validated(
    UpdatePreferences,
    **_ON_USER,
    language=v.optional(v.text(10)),
    quiet_hours=v.optional(v.record(QuietHours)),
    addresses=v.optional(
        v.entries(v.member(Channel), v.text(255), min_items=0, max_items=len(Channel))
    ),
    clear_quiet_hours=v.boolean,
    **_KEY,
)
v.validated(
    Announce,
    tenant_id=v.uuid,
    user_ids=v.items(v.uuid, min_items=1, max_items=MAX_ANNOUNCEMENT_RECIPIENTS),
    subject=v.text(MAX_TITLE),
    message=v.text(MAX_BODY),
    priority=v.member(Priority),
    **_KEY,
)
v.validated(MarkRead, **_ON_USER, notification_id=v.uuid, **_KEY)
