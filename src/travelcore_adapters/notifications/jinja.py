"""Templates rendered by Jinja2's sandbox with strict undefined variables.

Titles and plain-text bodies render without escaping (they are not HTML); HTML parts render
with autoescaping, and templates that could switch it off (the ``safe`` filter, an
``autoescape`` block) are refused when checked, so a merge value never reaches an email's
HTML unescaped.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from travelcore.kernel import ValidationFailed
from travelcore.notifications import Rendered, Template

UNSAFE_FILTERS = frozenset({"safe", "unescape"})


class JinjaRenderer:
    """The :class:`~travelcore.notifications.TemplateRenderer` over Jinja2."""

    def __init__(self, cache_size: int = 512) -> None:
        self._environments = {
            html: SandboxedEnvironment(undefined=StrictUndefined, autoescape=html)
            for html in (False, True)
        }
        self._compile = functools.lru_cache(maxsize=cache_size)(self._compile_uncached)

    def variables(self, source: str, *, html: bool = False) -> frozenset[str]:
        """The variables ``source`` reads. ``ValidationFailed`` if it does not parse or,
        for HTML, if it could emit a value unescaped."""
        field = "html" if html else "template"
        try:
            tree = self._environments[html].parse(source)
        except TemplateError as exc:
            raise ValidationFailed(field, "template_syntax", f"{field}: {exc}") from exc
        unsafe = [f for f in tree.find_all(nodes.Filter) if f.name in UNSAFE_FILTERS]
        if unsafe or any(tree.find_all(nodes.EvalContextModifier)):
            raise ValidationFailed(
                field, "escaped_output", f"{field}: may not turn HTML escaping off"
            )
        return frozenset(meta.find_undeclared_variables(tree))

    def render(self, template: Template, values: Mapping[str, Any]) -> Rendered:
        parts: dict[str, str] = {}
        for part, source in template.parts().items():
            compiled = self._compile(source, part == "html")
            try:
                parts[part] = compiled.render(dict(values))
            except UndefinedError as exc:
                raise ValidationFailed(
                    "values", "declared_variables_given", f"{part}: {exc.message}"
                ) from exc
            except (SecurityError, TemplateError, TypeError, ValueError, ArithmeticError) as exc:
                raise ValidationFailed("values", "renderable", f"{part}: {exc}") from exc
        title = " ".join(parts["title"].split())  # one line: it becomes a mail header
        return Rendered(title=title or template.key, body=parts["body"], html=parts.get("html"))

    def _compile_uncached(self, source: str, html: bool) -> Any:
        try:
            return self._environments[html].from_string(source)
        except TemplateError as exc:
            raise ValidationFailed("template", "template_syntax", str(exc)) from exc
