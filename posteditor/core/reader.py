"""Reading any input into a ``Document``: plain text (``document``) or a translation file
(``formats``), by name or by the file's extension."""

from __future__ import annotations

from posteditor.core import formats
from posteditor.core.document import Document, parse_text

FORMATS = ("txt", "md", "lines", "xliff", "po", "srt")


def parse(text: str, fmt: str = "txt", name: str = "the file") -> Document:
    """Split ``text`` into segments according to ``fmt`` (txt, md, lines or a translation
    file's format: its target units, ``posteditor.core.formats``)."""
    if fmt in formats.FORMATS:
        return formats.parse(text, fmt, name)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    return parse_text(text, fmt)


def guess_format(path: str) -> str:
    if formats.guess(path):
        return formats.guess(path)
    return "md" if path.lower().endswith((".md", ".markdown")) else "txt"
