"""Putting text from the data on screen as typed, and small formats."""

from __future__ import annotations

import re

# Punctuation the Markdown renderer gives a meaning to: a backslash shows it as typed.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&=^])")
# What the renderer finds in the text itself, after reading the backslashes: links
# from bare addresses (https://..., www...., name@domain) and shortcodes
# (:smile:, :material/warning:, :red[...]). An invisible zero-width space breaks
# each; browsers and Playwright's text matching ignore it.
_TEXT_TRIGGERS = re.compile(r"(?<=:)(?=[\w+\-/])|(?<=@)(?=[\w\-])|(?i:(?<=www)(?=\.))")
ZERO_WIDTH_SPACE = "\u200b"
# Bidirectional controls reorder the text around them on screen, so a name could
# turn a sentence backwards: they are dropped.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def md_escape(text: object) -> str:
    """Return ``text`` for a Markdown element (st.markdown, captions, alerts, labels, pills).

    The result renders as the characters typed: no bold, link, image, code,
    LaTeX, colour, icon or emoji, and no link made from a bare address.
    Every text from the data or from a person goes through it.
    """
    plain = _BIDI_CONTROLS.sub("", str(text))
    plain = _TEXT_TRIGGERS.sub(ZERO_WIDTH_SPACE, plain)
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", plain)
