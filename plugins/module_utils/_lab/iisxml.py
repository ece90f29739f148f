# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IIS configuration XML files: parse keeping comments, navigate and create elements, write back the rest untouched."""
from __future__ import annotations

import codecs
import contextlib
import os
import re
import xml.etree.ElementTree as ET

from ansible_collections.ndes.scep.plugins.module_utils._lab import store

INDENT = "    "
# Characters an XML 1.0 document cannot hold, even escaped (ElementTree writes them raw).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
EMPTY_WEB_CONFIG = '<?xml version="1.0" encoding="UTF-8"?>\n<configuration>\n</configuration>\n'

_CACHE = {}
_OVERLAY = {}


class ConfigDoc(object):
    """One config file: the XML tree plus the bytes around the root element, kept verbatim."""

    def __init__(self, filename, text, bom=False):
        self.filename = filename
        self.bom = bom
        start = text.find("<configuration")
        end = text.rfind("</configuration>")
        if start < 0:
            raise ValueError("%s: no <configuration> element" % filename)
        self.prolog = text[:start]
        self.epilog = text[end + len("</configuration>"):] if end >= 0 else "\n"
        parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
        parser.feed(text[start:])
        self.root = parser.close()

    def to_bytes(self):
        body = self.prolog + ET.tostring(self.root, encoding="unicode") + self.epilog
        return (codecs.BOM_UTF8 if self.bom else b"") + body.encode("utf-8")

    def check(self):
        """Raise ValueError when the document holds a character XML 1.0 cannot (it would not parse back)."""
        bad = _XML_INVALID.search(ET.tostring(self.root, encoding="unicode"))
        if bad:
            raise ValueError("%s cannot hold the character U+%04X (XML 1.0): remove control characters from the "
                             "site, path or value; nothing was written" % (self.filename, ord(bad.group(0))))

    def save(self):
        self.check()
        store.write_bytes(self.filename, self.to_bytes())
        _CACHE.pop(self.filename, None)


@contextlib.contextmanager
def overlay(docs):
    """Let reads see edited, unsaved documents ({filename: ConfigDoc}): check-mode predictions."""
    _OVERLAY.update(docs)
    try:
        yield
    finally:
        for name in docs:
            _OVERLAY.pop(name, None)


def exists(filename):
    return filename in _OVERLAY or os.path.isfile(filename)


def load(filename, cached=True):
    """Parse a config file; reads share a cache keyed by mtime/size, writers take a fresh copy."""
    if filename in _OVERLAY:
        return _OVERLAY[filename]
    st = os.stat(filename)
    stamp = (st.st_mtime_ns, st.st_size)
    if cached:
        hit = _CACHE.get(filename)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    data = store.read_bytes(filename)
    bom = data.startswith(codecs.BOM_UTF8)
    doc = ConfigDoc(filename, data[3:].decode("utf-8") if bom else data.decode("utf-8"), bom)
    if cached:
        _CACHE[filename] = (stamp, doc)
    return doc


def load_or_empty(filename):
    if os.path.exists(filename):
        return load(filename, cached=False)
    return ConfigDoc(filename, EMPTY_WEB_CONFIG)


def child(parent, tag):
    for node in parent:
        if node.tag == tag:
            return node
    return None


def find_path(parent, parts):
    node = parent
    for part in parts:
        node = child(node, part)
        if node is None:
            return None
    return node


def elements(parent, tag):
    return [node for node in parent if node.tag == tag]


def _depth(root, target):
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if node is target:
            return depth
        stack.extend((c, depth + 1) for c in node)
    return 0


def append(root, parent, tag, attrib=None):
    """Add a child element indented like IIS writes it."""
    depth = _depth(root, parent)
    node = ET.Element(tag, attrib or {})
    children = list(parent)
    if children:
        node.tail = children[-1].tail
        children[-1].tail = "\n" + INDENT * (depth + 1)
    else:
        parent.text = "\n" + INDENT * (depth + 1)
        node.tail = "\n" + INDENT * depth
    parent.append(node)
    return node


def ensure_path(root, parent, parts):
    """Find or create nested elements ``parts`` under ``parent``."""
    node = parent
    for part in parts:
        found = child(node, part)
        node = found if found is not None else append(root, node, part)
    return node
