"""Templates: declared variables checked when saved, strict rendering, HTML escaped, the
language fallback and versions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from travelcore.kernel import TenantId, ValidationFailed, new_uuid
from travelcore.notifications import Channel, SaveTemplate, Template
from travelcore.testing.actors import admin
from travelcore_adapters.notifications import JinjaRenderer

from .conftest import NotifyWorld

RENDERER = JinjaRenderer()
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def a_template(**changes: object) -> Template:
    fields: dict[str, object] = {
        "tenant_id": TenantId(new_uuid()),
        "key": "booking_confirmed",
        "channel": Channel.EMAIL,
        "language": "en",
        "name": "confirmation",
        "title": "Booked: {{ activity }}",
        "body": "Hi {{ name }}, {{ activity }} is booked.",
        "html": "<p>Hi <b>{{ name }}</b>, {{ activity }} is booked.</p>",
        "variables": ("name", "activity"),
        "created_at": T0,
        **changes,
    }
    return Template(**fields)  # type: ignore[arg-type]


def save(world: NotifyWorld, **changes: object) -> Template:
    fields: dict[str, object] = {
        "tenant_id": world.tenant,
        "key": "booking_confirmed",
        "channel": Channel.EMAIL,
        "language": "en",
        "name": "confirmation",
        "title": "Booked: {{ activity_name }}",
        "body": "Hi {{ recipient_name }}, {{ activity_name }} is booked.",
        "variables": ("activity_name",),
        "idempotency_key": world.key(),
        **changes,
    }
    cmd = SaveTemplate(**fields)  # type: ignore[arg-type]
    return world.notify.save_template(cmd, actor=admin(cmd.tenant_id))


def test_a_template_using_an_undeclared_variable_is_refused_when_saved(
    memory_world: NotifyWorld,
) -> None:
    with pytest.raises(ValidationFailed) as info:
        save(memory_world, body="Hi {{ recipient_name }}, {{ secret }}")
    assert (info.value.field, info.value.rule) == ("body", "declared_variables_only")
    assert "secret" in info.value.message
    with pytest.raises(ValidationFailed) as info:
        save(memory_world, html="<p>{{ child_name }}</p>")
    assert info.value.field == "html"


def test_templates_that_do_not_parse_or_unescape_are_refused(memory_world: NotifyWorld) -> None:
    with pytest.raises(ValidationFailed) as info:
        save(memory_world, title="{{ activity_name")
    assert info.value.rule == "template_syntax"
    for unsafe in (
        "{{ activity_name|safe }}",
        "{% autoescape false %}{{ activity_name }}{% endautoescape %}",
    ):
        with pytest.raises(ValidationFailed) as info:
            save(memory_world, html=unsafe)
        assert (info.value.field, info.value.rule) == ("html", "escaped_output")


def test_saving_again_makes_a_new_version_and_the_newest_is_active(
    memory_world: NotifyWorld,
) -> None:
    first = save(memory_world)
    second = save(memory_world, title="Confirmed: {{ activity_name }}")
    assert (first.version, second.version) == (1, 2)
    with memory_world.db(memory_world.tenant) as uow:
        active = memory_world.notify.template_for(uow, "booking_confirmed", Channel.EMAIL, "en")
        versions = uow.notification_templates.versions("booking_confirmed", Channel.EMAIL, "en")
    assert active == second
    assert [t.version for t in versions] == [1, 2]


def test_fallback_goes_user_language_then_tenant_default_then_english_then_builtin(
    memory_world: NotifyWorld,
) -> None:
    world = memory_world
    save(world, language="de", title="Gebucht: {{ activity_name }}")
    save(world, language="fr", title="Réservé : {{ activity_name }}")
    with world.db(world.tenant) as uow:
        find = world.notify.template_for
        assert find(uow, "booking_confirmed", Channel.EMAIL, "fr").language == "fr"  # type: ignore[union-attr]
        assert find(uow, "booking_confirmed", Channel.EMAIL, "it").key == "booking_confirmed"  # type: ignore[union-attr]
        builtin = find(uow, "booking_confirmed", Channel.SMS, "fr")
        assert builtin is not None
        assert builtin.category == "builtin"
    german = type(world.notify)(
        world.db, world.clock, renderer=RENDERER, default_language=lambda _: "de"
    )
    with world.db(world.tenant) as uow:
        chosen = german.template_for(uow, "booking_confirmed", Channel.EMAIL, "it")
        assert chosen is not None
        assert chosen.language == "de"
        assert german.template_for(uow, "nothing_like_this", Channel.EMAIL, "it") is None


def test_rendering_is_strict_and_escapes_html_only_in_the_html_part() -> None:
    template = a_template()
    out = RENDERER.render(template, {"name": "<Zoë & Co>", "activity": "Robots\n2"})
    assert out.title == "Booked: Robots 2"  # one line
    assert out.body == "Hi <Zoë & Co>, Robots\n2 is booked."
    assert out.html == "<p>Hi <b>&lt;Zoë &amp; Co&gt;</b>, Robots\n2 is booked.</p>"
    with pytest.raises(ValidationFailed) as info:
        RENDERER.render(template, {"name": "Zoë"})
    assert (info.value.field, info.value.rule) == ("values", "declared_variables_given")


NAMES = st.sampled_from(["name", "activity", "child", "when"])
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="{}%#<>"), max_size=20
)
PIECES = st.lists(
    st.one_of(
        TEXT, NAMES.map(lambda n: "{{ " + n + " }}"), NAMES.map(lambda n: "{{ " + n + "|upper }}")
    ),
    min_size=1,
    max_size=8,
)
VALUES = st.text(max_size=40)


@given(
    title=PIECES,
    html_parts=PIECES,
    values=st.fixed_dictionaries(dict.fromkeys(["name", "activity", "child", "when"], VALUES)),
)
def test_valid_templates_render_any_values_and_never_let_html_through(
    title: list[str], html_parts: list[str], values: dict[str, str]
) -> None:
    source = "<div>" + "".join(html_parts) + "</div>"
    template = a_template(
        title="".join(title) or "x",
        body="".join(title),
        html=source,
        variables=("name", "activity", "child", "when"),
    )
    for part, text in template.parts().items():
        assert RENDERER.variables(text, html=part == "html") <= set(template.variables)
    out = RENDERER.render(template, values)
    assert out.html is not None
    # the template's own text has no markup: any "<" or ">" would be a value's, unescaped
    inner = out.html.removeprefix("<div>").removesuffix("</div>")
    assert "<" not in inner
    assert ">" not in inner
    assert "\n" not in out.title
