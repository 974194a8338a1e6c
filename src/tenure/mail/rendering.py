"""Templates rendered for one customer in Jinja2's sandbox.

Marketers write templates, so a template is untrusted code: Jinja2's ``SandboxedEnvironment``
refuses attribute access to Python's internals, the context holds plain values (never a model,
whose managers would reach the database), and the operators that can build huge values
(``*``, ``**``) are checked before they run. Any error is a ``RenderError`` in words.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

MAX_OUTPUT = 500_000  # characters of one rendered part
MAX_OPERAND = 100_000


class RenderError(ValueError):
    def __init__(self, part: str, reason: str) -> None:
        super().__init__(f"{part}: {reason}")
        self.part = part
        self.reason = reason


class _Sandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise SecurityError("exponents above 64 are not allowed")
            return operator.pow(left, right)
        if operator_name == "*":
            sizes = [len(x) for x in (left, right) if isinstance(x, str | list | tuple)]
            counts = [x for x in (left, right) if isinstance(x, int)]
            if sizes and counts and sizes[0] * max(counts[0], 0) > MAX_OPERAND:
                raise SecurityError("a repeated value may not exceed 100,000 items")
            return operator.mul(left, right)
        return super().call_binop(context, operator_name, left, right)


_TEXT = _Sandbox(autoescape=False, undefined=StrictUndefined)
_HTML = _Sandbox(autoescape=True, undefined=StrictUndefined)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=256)
def _compiled(source: str, html: bool) -> Template:
    """A template compiled once per process: a broadcast renders one source many times."""
    return (_HTML if html else _TEXT).from_string(source)


def _render(part: str, source: str, context: Mapping[str, Any], *, html: bool = False) -> str:
    try:
        output = _compiled(source, html).render(dict(context))
    except (TemplateError, SecurityError) as error:
        raise RenderError(part, str(error) or type(error).__name__) from None
    except (ArithmeticError, TypeError, ValueError, RecursionError, MemoryError) as error:
        raise RenderError(part, f"{type(error).__name__}: {error}"[:300]) from None
    if len(output) > MAX_OUTPUT:
        raise RenderError(part, "the rendered text is longer than 500,000 characters")
    return output


def template_render(*, subject: str, text: str, html: str, context: Mapping[str, Any]) -> Rendered:
    """The three parts rendered with ``context``; the subject on one line."""
    rendered_subject = _render("subject", subject, context)
    one_line = " ".join(rendered_subject.split())
    if len(one_line) > 998:
        raise RenderError("subject", "the subject is longer than 998 characters once rendered")
    return Rendered(
        subject=one_line,
        text=_render("text", text, context),
        html=_render("html", html, context, html=True) if html.strip() else "",
    )


def template_check(*, subject: str, text: str, html: str) -> None:
    """Raise ``RenderError`` if a part does not parse (before it is stored)."""
    for part, source in (("subject", subject), ("text", text), ("html", html)):
        try:
            _TEXT.parse(source)
        except TemplateError as error:
            raise RenderError(part, str(error)) from None
        except (RecursionError, MemoryError, ValueError) as error:
            raise RenderError(part, type(error).__name__) from None
