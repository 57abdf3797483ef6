"""The class report's HTML, from the Jinja2 templates of ``templates/``.

``report.html.j2`` lays the page out (its style and script are ``style.css.j2`` and
``script.js.j2``); each section's markup is a macro of its own template, fed the data of
``sections``. Values are escaped as every page of the course is (``publish.pages``);
HTML made elsewhere (the plots' SVG, the similarity views' marked code) is placed with
``|safe``.

Whitespace is the templates' own: ``trim_blocks`` and ``lstrip_blocks`` drop the lines of
block tags, ``keep_trailing_newline`` keeps a file's last newline (the page ends with one),
and ``{{-``/``-}}``/``{#- #}`` join lines where the page has none.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..publish import pages
from .sections import short

TEMPLATES = Path(__file__).resolve().parent / "templates"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 pair``, ``2 pairs``: how the page counts things."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def percent(share: float) -> str:
    """``0.8333`` as ``83%``."""
    return f"{share:.0%}"


@lru_cache(maxsize=1)
def environment():
    env = pages.environment(TEMPLATES, trim_blocks=True, lstrip_blocks=True)
    env.globals["plural"] = plural
    env.filters["percent"] = percent
    env.filters["short"] = short
    return env


def render(**data) -> str:
    """The page, from ``data`` (see ``report.render`` for the names)."""
    return environment().get_template("report.html.j2").render(**data)
