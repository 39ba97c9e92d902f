"""Translation files (XLIFF 1.2, PO/POT, SRT): their target units as segments, written back exactly.

The libraries that know these formats (translate-toolkit for XLIFF and PO, ``srt`` for
subtitles) check the file and give each unit's source and target; a light scan of the raw
text finds where each target sits in the file. The document the rest of posteditor sees is a
``UnitDocument``: one segment per target unit, one paragraph each, its source ready for
``--source`` and inline tags, entities and placeholders *locked* as Markdown markup is.
Rendering replaces only the raw text of the units whose text changed (and their state: XLIFF
``state``, the PO ``fuzzy`` flag), so untouched units come back byte for byte.

A change a person approved (``review``) marks the unit translated (XLIFF ``translated``, PO
fuzzy flag removed); a change nobody looked at (``correct``) marks it for review (XLIFF
``needs-review-translation``, PO ``fuzzy``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from posteditor.core.document import Document
from posteditor.core.languages import language_code
from posteditor.core.textio import InputError

FORMATS = ("xliff", "po", "srt")
EXTENSIONS = {".xlf": "xliff", ".xliff": "xliff", ".po": "po", ".pot": "po", ".srt": "srt"}

# Inline markup no edit may touch: XML/HTML tags, character entities, printf and brace
# placeholders ("%s", "%(name)d", "%1$s", "{0}", "{name}", "{\an8}").
PLACEHOLDER = re.compile(
    r"<[^<>]+>"
    r"|&(?:[A-Za-z][\w.-]*|#\d+|#x[0-9A-Fa-f]+);"
    r"|%(?:\d+\$|\([^)\s]+\))?[-+ #0]*\d*(?:\.\d+)?[sdifuxXeEgGcr@]"
    r"|\{[^{}\s]*\}"
)
_GAP = "\n\n"  # between units in the document's display text: each unit its own paragraph


def guess(path: str) -> str | None:
    """The translation format a file name says, or None."""
    lower = path.lower()
    return next((fmt for ext, fmt in EXTENSIONS.items() if lower.endswith(ext)), None)


@dataclass(frozen=True)
class Unit:
    """One target unit: its text as the editor sees it and where it lives in the file."""

    id: str
    text: str
    source: str | None
    line: int  # 1-based line of the target in the file
    span: tuple[int, int]  # raw characters that hold the target's text
    extra: dict = field(default_factory=dict, compare=False)  # the format's own positions


Writer = Callable[[str, Unit, str, bool], list[tuple[int, int, str]]]


@dataclass
class UnitDocument(Document):
    """A translation file as a document: ``text`` is a display text (units as paragraphs);
    ``raw`` is the file, and ``render`` gives the file back with the changed units rewritten."""

    raw: str = ""
    units: list[Unit] = field(default_factory=list)
    fmt: str = ""
    writer: Writer | None = None

    def line_of(self, index: int) -> int:
        return self.units[index].line

    def render(self, replacements: dict[int, str], reviewed: bool = True) -> str:
        changes: list[tuple[int, int, str]] = []
        for i, new in replacements.items():
            if new != self.units[i].text:
                changes += self.writer(self.raw, self.units[i], new, reviewed)
        out = self.raw
        for a, b, new in sorted(changes, key=lambda c: (c[0], c[1]), reverse=True):
            out = out[:a] + new + out[b:]
        return out


def parse(text: str, fmt: str, name: str = "the file") -> UnitDocument:
    """The target units of a translation file as a document, or ``InputError`` in one line."""
    readers = {"xliff": _read_xliff, "po": _read_po, "srt": _read_srt}
    if fmt not in readers:
        raise ValueError(f"unknown translation format {fmt!r}")
    try:
        units, writer = readers[fmt](text)
    except InputError as exc:
        raise InputError(f"{name}: not a valid {fmt.upper()} file ({exc})") from None
    except Exception as exc:  # the libraries' own parse errors, whatever their type
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise InputError(f"{name}: not a valid {fmt.upper()} file ({reason})") from None
    spans, locked, pos = [], [], 0
    for unit in units:
        spans.append((pos, pos + len(unit.text)))
        locked += [(pos + m.start(), pos + m.end()) for m in PLACEHOLDER.finditer(unit.text)]
        pos += len(unit.text) + len(_GAP)
    display = _GAP.join(u.text for u in units)
    return UnitDocument(display, spans, locked, [u.source for u in units], _declared(text) if fmt == "xliff" else None,
                        raw=text, units=units, fmt=fmt, writer=writer)


_SOURCE_LANGUAGE = re.compile(r"""<(?:[\w.-]+:)?file\b[^>]*?\bsource-language\s*=\s*(["'])(.*?)\1""", re.S)


def _declared(text: str) -> str | None:
    """The source language an XLIFF file declares on its ``<file>`` elements ("ro-RO" -> "ro"),
    comments aside: None where they declare none, several, or one that names no language."""
    found = set()
    for m in _SOURCE_LANGUAGE.finditer(_SKIP.sub("", text)):
        try:
            found.add(language_code(m.group(2)))
        except ValueError:
            return None
    return found.pop() if len(found) == 1 else None


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


# --- XLIFF 1.2 ------------------------------------------------------------------------------

_TRANS_UNIT = re.compile(r"<trans-unit\b([^>]*)>(.*?)</trans-unit\s*>", re.S)
_SKIP = re.compile(r"<alt-trans\b.*?</alt-trans\s*>|<!--.*?-->", re.S)
_ID = re.compile(r"""\bid\s*=\s*(["'])(.*?)\1""", re.S)
_STATE = re.compile(r"""\bstate\s*=\s*(["'])(.*?)\1""", re.S)
_XML_PIECE = re.compile(r"<[^<>]*>|&(?:[A-Za-z][\w.-]*|#\d+|#x[0-9A-Fa-f]+);|[<>&]")
_XML_ESCAPES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def _element(body: str, base: int, tag: str) -> tuple[str, int, int] | None:
    """(open tag, content start, content end) of the first ``tag`` element outside alt-trans
    and comments, positions in the file; None when absent or empty (``<target/>``)."""
    hidden = [m.span() for m in _SKIP.finditer(body)]
    for m in re.finditer(rf"<{tag}\b[^>]*?(/?)>", body):
        if any(a <= m.start() < b for a, b in hidden):
            continue
        if m.group(1):
            return None
        end = body.find(f"</{tag}", m.end())
        if end < 0:
            raise InputError(f"<{tag}> without </{tag}>")
        return m.group(0), base + m.end(), base + end
    return None


def _read_xliff(text: str) -> tuple[list[Unit], Writer]:
    from translate.storage.xliff import xlifffile

    store = xlifffile.parsestring(text.encode("utf-8"))
    sources = {u.getid(): u.source for u in store.units if not u.isheader()}
    units = []
    for m in _TRANS_UNIT.finditer(text):
        base = m.start(2)
        target = _element(m.group(2), base, "target")
        if target is None or not text[target[1] : target[2]].strip():
            continue
        id_match = _ID.search(m.group(1))
        uid = id_match.group(2) if id_match else ""
        source = sources.get(uid)
        if source is None:
            source = next((s for k, s in sources.items() if k.endswith(uid) and uid), None)
        open_tag, a, b = target
        units.append(Unit(uid, text[a:b], source or None, _line(text, a), (a, b),
                          {"open": (a - len(open_tag), a)}))
    if len(units) > len(sources):
        raise InputError("trans-units the XLIFF reader does not see")
    return units, _write_xliff


def _escape_xml(new: str, old: str) -> str:
    """``new`` as XML content: tags and entities it kept from ``old`` as they are, anything
    else that would break the file (a typed "<" or "&") escaped."""
    kept = {m.group(0) for m in _XML_PIECE.finditer(old) if len(m.group(0)) > 1}
    return _XML_PIECE.sub(lambda m: m.group(0) if m.group(0) in kept else
                          "".join(_XML_ESCAPES.get(c, c) for c in m.group(0)), new)


def _write_xliff(raw: str, unit: Unit, new: str, reviewed: bool) -> list[tuple[int, int, str]]:
    state = "translated" if reviewed else "needs-review-translation"
    a, b = unit.extra["open"]
    tag = raw[a:b]
    found = _STATE.search(tag)
    if found:
        tag = tag[: found.start(2)] + state + tag[found.end(2) :]
    else:
        tag = tag[:-1].rstrip() + f' state="{state}">'
    return [(a, b, tag), (*unit.span, _escape_xml(new, unit.text))]


# --- PO / POT -------------------------------------------------------------------------------

_PO_LINE = re.compile(r'^(#.*|(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(".*")|(".*"))\s*$')


def _po_entries(text: str):
    """The entries of a PO file: for each, its lines as (start, end, keyword or None, quoted)."""
    entry: list = []
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        start, pos = pos, pos + len(line)
        if not body.strip():
            if entry:
                yield entry
            entry = []
            continue
        m = _PO_LINE.match(body.strip())
        if not m:
            raise InputError(f"line {_line(text, start)}: {body.strip()[:40]!r} is not PO syntax")
        if m.group(1).startswith("#"):
            entry.append((start, start + len(body), "#", body))
        elif m.group(2):
            entry.append((start, start + len(body), m.group(2), m.group(3)))
        else:
            if not entry or entry[-1][2] in (None, "#"):
                raise InputError(f"line {_line(text, start)}: a string continues nothing")
            entry.append((start, start + len(body), "+", m.group(4)))
    if entry:
        yield entry


def _read_po(text: str) -> tuple[list[Unit], Writer]:
    from translate.storage.pypo import pofile, unquotefrompo

    store = pofile.parsestring(text.encode("utf-8"))
    wanted = [(u.source, u.target) for u in store.units
              if not u.isheader() and not u.isobsolete() and not u.hasplural() and u.target]
    units = []
    for entry in _po_entries(text):
        fields: dict[str, list] = {}
        key = None
        for line in entry:
            if line[2] == "#":
                continue
            key = key if line[2] == "+" else line[2]
            fields.setdefault(key, []).append(line)
        if "msgid_plural" in fields or "msgstr" not in fields or "msgid" not in fields:
            continue
        msgid = unquotefrompo([q for *_, q in fields["msgid"]])
        msgstr = unquotefrompo([q for *_, q in fields["msgstr"]])
        if not msgid or not msgstr:
            continue
        lines = fields["msgstr"]
        flags = next((ln for ln in entry if ln[3].startswith("#,")), None)
        head = next(ln[0] for ln in entry if ln[2] != "#" or ln[3].startswith("#|"))
        units.append(Unit(str(len(units)), msgstr, msgid, _line(text, lines[0][0]), (lines[0][0], lines[-1][1]),
                          {"flags": flags, "head": head, "newline": "\r\n" if "\r\n" in text else "\n"}))
    if [(u.source, u.text) for u in units] != wanted:
        raise InputError("entries the PO reader sees differently")
    return units, _write_po


def _write_po(raw: str, unit: Unit, new: str, reviewed: bool) -> list[tuple[int, int, str]]:
    from translate.storage.pypo import quoteforpo

    nl = unit.extra["newline"]
    changes = [(*unit.span, "msgstr " + nl.join(quoteforpo(new)))]
    flags = unit.extra["flags"]
    if flags is None:
        if not reviewed:
            changes.append((unit.extra["head"], unit.extra["head"], "#, fuzzy" + nl))
        return changes
    start, end, _, line = flags
    names = [f.strip() for f in line[2:].split(",") if f.strip()]
    if reviewed:
        names = [f for f in names if f != "fuzzy"]
    elif "fuzzy" not in names:
        names.insert(0, "fuzzy")
    if names:
        changes.append((start, end, "#, " + ", ".join(names)))
    else:  # the flags line goes, with its line break
        changes.append((start, end + len(nl), ""))
    return changes


# --- SRT ------------------------------------------------------------------------------------

_SRT_BLOCK = re.compile(
    r"^[ \t]*\d+[ \t]*\r?\n[^\n]*-->[^\n]*\n(?P<content>(?:[^\n]*\S[^\n]*(?:\n|\Z))*)", re.M)


def _read_srt(text: str) -> tuple[list[Unit], Writer]:
    import srt

    subtitles = list(srt.parse(text))
    units = []
    for m in _SRT_BLOCK.finditer(text):
        a, b = m.span("content")
        while b > a and text[b - 1] in "\r\n":
            b -= 1
        if a < b:
            units.append(Unit(str(len(units) + 1), text[a:b], None, _line(text, a), (a, b)))
    contents = [s.content.strip() for s in subtitles if s.content.strip()]
    if [u.text.replace("\r\n", "\n").strip() for u in units] != contents:
        raise InputError("subtitles the SRT reader sees differently")
    return units, _write_srt


def _write_srt(raw: str, unit: Unit, new: str, reviewed: bool) -> list[tuple[int, int, str]]:
    new = re.sub(r"\n[ \t]*(?:\r?\n[ \t]*)+", "\n", new.strip())  # a blank line would end the subtitle
    return [(*unit.span, new)]


# --- TMX ------------------------------------------------------------------------------------


def tmx(pairs: Sequence[tuple[str, str]], source_lang: str = "und", target_lang: str = "en") -> bytes:
    """Source and final target of each segment as a TMX translation memory (translate-toolkit)."""
    from translate.storage.tmx import tmxfile

    store = tmxfile(sourcelanguage=source_lang, targetlanguage=target_lang)
    for source, target in pairs:
        store.addtranslation(source, source_lang, target, target_lang)
    return bytes(store)
