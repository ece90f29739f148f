# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and write the INF that ``secedit /export /cfg <file>`` writes (security template), keeping it round-trip exact.

A real export is UTF-16LE with a BOM and CRLF line ends; UTF-8 (with or
without BOM) and LF are accepted too, and a document is written back in the
encoding, BOM and line ending it was read with. Lines are kept as they are
(comments, ``[Unicode]``, ``[System Access]``, ``[Registry Values]``,
``[Version]``...), so ``dumps(loads(data)) == data`` for an untouched document;
only a ``[Privilege Rights]`` line that is set is rewritten.

``[Privilege Rights]`` lines are ``SeRight = entry,entry,...``; an entry is
``*S-1-...`` (an account resolved to a SID) or a bare account name (accounts
secedit could not write as a SID, e.g. ``Classic .NET AppPool``). A right that
nobody holds is absent.

API and shapes
--------------
* ``loads(data: bytes | str) -> InfDocument``; ``load(path)``;
  ``dumps(doc) -> bytes``; ``dump(doc, path)``; ``new_document()`` -> an
  empty export (``[Unicode]``, ``[Privilege Rights]``, ``[Version]``), written
  as UTF-16LE + BOM + CRLF. A ``str`` given to ``loads`` is written back the
  same way (the real format).
* ``InfDocument.encoding`` (``"utf-16-le"`` | ``"utf-8"``), ``.bom`` (bool),
  ``.newline`` (``"\\r\\n"`` | ``"\\n"``), ``.section_names() -> [str]``,
  ``.lines(section) -> [str]``, ``.values(section) -> {key: value}`` (``key =
  value`` lines, first wins, surrounding blanks stripped).
* ``privilege_rights(doc) -> {right: [entry, ...]}`` (entries as written,
  ``*`` kept).
* ``split_entries(entries) -> {"sids": ["S-1-5-32-568", ...], "names": [...]}``
  (``*`` removed from SIDs; order kept).
* ``holders(doc, right) -> {"sids": [...], "names": [...]}`` (empty lists when
  the right is absent).
* ``set_privilege_right(doc, right, entries)``: rewrite (or add) the line;
  an empty list removes it. SIDs are written as ``*S-...``; a name is written
  bare. The section is created (before ``[Version]``) when missing.
"""
from __future__ import annotations

import codecs
import re

PRIVILEGE_RIGHTS = "Privilege Rights"
_SECTION_RE = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_SID_RE = re.compile(r"^S-1-[0-9]+(?:-[0-9]+)+$", re.IGNORECASE)


class InfDocument:
    """An INF file as ordered sections of raw lines (``None`` = lines before the first section)."""

    def __init__(self, sections, encoding="utf-16-le", bom=True, newline="\r\n", final_newline=True):
        self.sections = sections          # list of [name | None, [line, ...]]
        self.encoding = encoding
        self.bom = bom
        self.newline = newline
        self.final_newline = final_newline

    def section_names(self):
        return [name for name, dummy in self.sections if name is not None]

    def _find(self, name):
        want = name.lower()
        for sec in self.sections:
            if sec[0] is not None and sec[0].lower() == want:
                return sec
        return None

    def lines(self, name):
        sec = self._find(name)
        return list(sec[1]) if sec else []

    def values(self, name):
        out = {}
        sec = self._find(name)
        for line in (sec[1] if sec else []):
            key, value = _key_value(line)
            if key is not None and key not in out:
                out[key] = value
        return out


def _key_value(line):
    stripped = line.strip()
    if not stripped or stripped.startswith(";") or "=" not in stripped:
        return None, None
    key, dummy, value = stripped.partition("=")
    return key.strip(), value.strip()


def _decode(data):
    """bytes -> (text, encoding, bom)."""
    if data.startswith(codecs.BOM_UTF16_LE):
        return data[2:].decode("utf-16-le"), "utf-16-le", True
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8"), "utf-8", True
    # UTF-16LE without BOM: ASCII text leaves every second byte NUL
    if len(data) >= 4 and data[1:2] == b"\x00" and data[3:4] == b"\x00":
        return data.decode("utf-16-le"), "utf-16-le", False
    return data.decode("utf-8"), "utf-8", False


def loads(data):
    """Parse an INF from bytes (any of the encodings above) or text."""
    if isinstance(data, str):
        text, encoding, bom = data.lstrip("\ufeff"), "utf-16-le", True
    else:
        text, encoding, bom = _decode(bytes(data))
    newline = "\r\n" if "\r\n" in text else "\n"
    final_newline = text.endswith("\n")
    raw_lines = text.split("\n")
    if final_newline:
        raw_lines.pop()
    sections = [[None, []]]
    for raw in raw_lines:
        line = raw[:-1] if raw.endswith("\r") else raw
        m = _SECTION_RE.match(line)
        if m:
            sections.append([m.group(1).strip(), [line]])
        else:
            sections[-1][1].append(line)
    # the header line of a section is stored as its first line, keeping its exact spelling
    return InfDocument(sections, encoding, bom, newline, final_newline)


def new_document():
    """An export with no rights: what the lab writes before granting any."""
    return loads("[Unicode]\r\nUnicode=yes\r\n[Privilege Rights]\r\n"
                 "[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n")


def load(path):
    with open(path, "rb") as fh:
        return loads(fh.read())


def dumps(doc):
    """Bytes in the document's encoding, BOM and line ending."""
    lines = []
    for dummy, sec_lines in doc.sections:
        lines.extend(sec_lines)
    text = doc.newline.join(lines)
    if doc.final_newline and lines:
        text += doc.newline
    body = text.encode(doc.encoding)
    if doc.bom:
        body = (codecs.BOM_UTF16_LE if doc.encoding == "utf-16-le" else codecs.BOM_UTF8) + body
    return body


def dump(doc, path):
    with open(path, "wb") as fh:
        fh.write(dumps(doc))


def _entries(value):
    return [e.strip() for e in value.split(",") if e.strip()]


def privilege_rights(doc):
    """``{right: [entry, ...]}`` from ``[Privilege Rights]``."""
    if not isinstance(doc, InfDocument):
        doc = loads(doc)
    out = {}
    sec = doc._find(PRIVILEGE_RIGHTS)
    for line in (sec[1][1:] if sec else []):
        key, value = _key_value(line)
        if key is not None and key not in out:
            out[key] = _entries(value)
    return out


def is_sid(text):
    return bool(_SID_RE.match(text or ""))


def split_entries(entries):
    """``["*S-1-5-32-544", "DefaultAppPool"]`` -> ``{"sids": ["S-1-5-32-544"], "names": ["DefaultAppPool"]}``."""
    sids, names = [], []
    for entry in entries:
        if entry.startswith("*") and is_sid(entry[1:]):
            sids.append(entry[1:].upper())
        else:
            names.append(entry)
    return {"sids": sids, "names": names}


def holders(doc, right):
    """Holders of ``right`` split into SIDs and names (empty when nobody holds it)."""
    return split_entries(privilege_rights(doc).get(right, []))


def _format_entry(entry):
    if entry.startswith("*"):
        return entry
    return "*" + entry if is_sid(entry) else entry


def set_privilege_right(doc, right, entries):
    """Set the holders of ``right`` (entries as ``*S-...``, ``S-...`` or names); ``[]`` removes the line."""
    formatted = []
    for entry in entries:
        value = _format_entry(entry.strip())
        if value and value not in formatted:
            formatted.append(value)
    new_line = "%s = %s" % (right, ",".join(formatted)) if formatted else None
    sec = doc._find(PRIVILEGE_RIGHTS)
    if sec is None:
        if new_line is None:
            return doc
        sec = [PRIVILEGE_RIGHTS, ["[%s]" % PRIVILEGE_RIGHTS]]
        idx = len(doc.sections)
        for i, (name, dummy) in enumerate(doc.sections):
            if name is not None and name.lower() == "version":
                idx = i
                break
        doc.sections.insert(idx, sec)
    body = sec[1]
    for i in range(1, len(body)):
        key, dummy = _key_value(body[i])
        if key is not None and key.lower() == right.lower():
            if new_line is None:
                del body[i]
            else:
                body[i] = new_line
            return doc
    if new_line is not None:
        # after the last key line, before trailing blank/comment lines
        pos = len(body)
        while pos > 1 and _key_value(body[pos - 1])[0] is None:
            pos -= 1
        body.insert(pos, new_line)
    return doc
