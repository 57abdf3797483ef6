"""The class report's HTML, from the Jinja2 templates of ``templates/``.

``report.html.j2`` lays the page out (its style and script are ``style.css.j2`` and
``script.js.j2``); each section's markup is a macro of its own template, fed the data of
``sections``. Autoescape is on, and every ``{{ value }}`` is escaped as ``html.escape``
does (``'`` as ``&#x27;``, ``"`` as ``&quot;``), not as markupsafe does (``&#39;``,
``&#34;``): the bytes the report has always had. HTML made elsewhere (the plots' SVG, the
similarity views' marked code) is placed with ``|safe``.

Whitespace is the templates' own: ``trim_blocks`` and ``lstrip_blocks`` drop the lines of
block tags, ``keep_trailing_newline`` keeps a file's last newline (the page ends with one),
and ``{{-``/``-}}``/``{#- #}`` join lines where the page has none.
"""
from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

from .sections import short

TEMPLATES = Path(__file__).resolve().parent / "templates"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 pair``, ``2 pairs``: how the page counts things."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def percent(share: float) -> str:
    """``0.8333`` as ``83%``."""
    return f"{share:.0%}"


def _escaped(value):
    """Each ``{{ value }}`` before autoescape: escaped here, as ``html.escape``, unless it
    is markup already (a macro's output, ``|safe``); autoescape then leaves it as is."""
    from markupsafe import Markup

    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value)))


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      finalize=_escaped, undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True)
    env.globals["plural"] = plural
    env.filters["percent"] = percent
    env.filters["short"] = short
    return env


def render(**data) -> str:
    """The page, from ``data`` (see ``report.render`` for the names)."""
    return environment().get_template("report.html.j2").render(**data)
