"""Text from outside (labels, server text, errors, names) as Textual content: always text, never markup.

A label such as ``[/x]`` would stop Rich's markup parser (and the app with it), and balanced
markup such as ``[@click=app.quit]Q[/]`` would become a live action link. ``plain`` builds
Content directly, which is never parsed, after the one sanitiser has replaced control
characters (an escape sequence in a Static would be re-sent to the terminal on every repaint).
"""

from __future__ import annotations

from textual.content import Content

from connectors.outside_text import clean


def plain(text: object, style: str = "", *, multiline: bool = False) -> Content:
    """``text`` cleaned and shown as it is, optionally in one style (e.g. "bold", "$error")."""
    cleaned = clean(text, multiline=multiline)
    return Content.styled(cleaned, style) if style else Content(cleaned)
