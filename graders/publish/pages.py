"""HTML pages from Jinja2 templates, escaped the way the course's pages always were.

Autoescape is on, and every ``{{ value }}`` is escaped as ``html.escape`` does (``'`` as
``&#x27;``, ``"`` as ``&quot;``), not as markupsafe does (``&#39;``, ``&#34;``): a page's
bytes do not depend on which of the two wrote it. Markup made on purpose (a macro's
output, ``Markup``, ``|safe``) is placed as it is. Undefined names are errors.
"""
from __future__ import annotations

import html
from pathlib import Path


def escaped(value):
    """Each ``{{ value }}`` before autoescape: escaped here, unless it is markup already;
    autoescape then leaves it as it is."""
    from markupsafe import Markup

    return value if hasattr(value, "__html__") else Markup(html.escape(str(value)))


def environment(templates: Path, **options):
    """A Jinja2 environment over the folder ``templates``; ``options``: Jinja2's
    whitespace settings (``trim_blocks``...). A page keeps its file's last newline."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(templates), autoescape=True,
                       keep_trailing_newline=True, finalize=escaped,
                       undefined=StrictUndefined, **options)
