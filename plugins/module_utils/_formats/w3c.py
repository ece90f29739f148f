# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Streaming reader and writer for the W3C extended log format (IIS site logs and HTTP.sys HTTPERR logs).

The format is driven by directives: ``#Software:``, ``#Version:``, ``#Date:``,
``#Fields:`` (and ``#Remark:``, ``#Start-Date:``, ``#End-Date:``). A new
directive block is written each time logging (re)starts, so directives repeat
mid-file and ``#Fields:`` may change the field list; records are always read
with the field list in force at their line. Fields are separated by one space;
``-`` is an empty value; HTTP.sys and IIS write a space inside a value (user
agent, referer, ...) as ``+``.

Reading
-------
``W3CReader(source, prefilter=None, ignore_case=True, encoding="utf-8",
errors="replace", chunk_size=CHUNK_SIZE, fields=None)`` iterates over records; ``source`` is
a path (``str`` / ``os.PathLike``), ``bytes``, a binary or text file object, or
an iterable of lines (``str`` or ``bytes``). Binary sources are read in chunks
(constant memory); a UTF-8 BOM is skipped; CRLF and LF both work.
``fields`` (a sequence of field names) is the field list in force before the
first ``#Fields:`` directive: for the tail of a file cut after its header.

Each record is a :class:`W3CRecord`: a ``dict`` ``{field name: str | None}``
(``-`` becomes ``None``; values are kept raw, ``+`` included) with attributes
``line_no`` (1-based line in the source) and ``timestamp`` (timezone-aware UTC
``datetime`` from ``date`` + ``time``, or the ``#Date`` directive's date when
the field list has ``time`` only; ``None`` when neither is logged).
``record.decoded(name)`` gives a value with ``+`` turned back into spaces, and
``record.user_agent`` / ``record.user_agent_decoded`` the ``cs(User-Agent)``.

``prefilter`` (a ``str``/``bytes`` or a sequence of them) is the fast path:
a data line that contains none of the substrings is skipped before it is
decoded or split. Directive lines are always read. With ``ignore_case`` the
search runs over an ASCII-lowered copy of each chunk.

The encoding must be ASCII-compatible (IIS writes UTF-8 or the ANSI code
page; HTTP.sys ASCII): lines are found by searching bytes for LF and ``#``.
A reader is iterated once; ``iter_records(source, **kw)`` is a generator
without stats and ``read_records(source, **kw)`` returns ``(records, stats
dict)`` for small files.

Malformed data lines are skipped and counted: ``field_count`` (not as many
values as the ``#Fields:`` in force), ``bad_date`` (``date``/``time`` not a
valid ``YYYY-MM-DD`` / ``HH:MM:SS``), ``no_fields`` (data before any
``#Fields:``).

``reader.stats.as_dict()`` (complete once iteration ends)::

    {"lines": int,            # every line read, directives included
     "records": int,          # records yielded
     "prefiltered": int,      # data lines skipped by the prefilter (not inspected)
     "blank": int,            # empty data lines (only counted when inspected)
     "directives": int,       # '#' lines
     "header_blocks": int,    # directive blocks (#Software starts one; a #Fields
                              # after another #Fields without #Software too)
     "field_changes": int,    # times the field list changed after the first
     "malformed": {"field_count": int, "bad_date": int, "no_fields": int},
     "bom": bool,
     "kind": "iis" | "httperr" | "other" | None,   # from the first #Software
     "headers": [{"line_no", "software", "version", "date", "fields", "remark"}]}
                              # first MAX_HEADER_BLOCKS blocks

Writing
-------
``header_lines(software, fields, date, version="1.0")`` -> the four directive
lines (no line terminator); ``format_record(fields, values)`` -> one data line
(values by field name or by position; ``None`` / empty -> ``-``; space, tab,
CR, LF -> ``+``). ``format_datetime(dt)`` -> ``"YYYY-MM-DD HH:MM:SS"`` (UTC).

Helpers
-------
``decode_plus(value)``, ``split_zone(address)`` -> ``(address, zone | None)``,
``query_param(query, name)`` (case-insensitive name, raw value),
``uri_split(cs_uri)`` -> ``(path, query | None)`` for HTTPERR ``cs-uri``.
"""
from __future__ import annotations

import datetime as _dt
import io
import os

CHUNK_SIZE = 4 * 1024 * 1024
MAX_HEADER_BLOCKS = 256
UTF8_BOM = b"\xef\xbb\xbf"

IIS_SOFTWARE = "Microsoft Internet Information Services"
HTTPERR_SOFTWARE = "Microsoft HTTP API"

_UTC = _dt.timezone.utc
_NL = b"\n"


class W3CRecord(dict):
    """One log record: ``{field: str | None}`` plus ``line_no`` and ``timestamp``."""

    __slots__ = ("line_no", "timestamp")

    def decoded(self, name):
        """The value of ``name`` with ``+`` read back as spaces (``None`` stays ``None``)."""
        return decode_plus(self.get(name))

    @property
    def user_agent(self):
        return self.get("cs(User-Agent)")

    @property
    def user_agent_decoded(self):
        return decode_plus(self.get("cs(User-Agent)"))


class W3CStats:
    """Counters filled while a :class:`W3CReader` is iterated."""

    def __init__(self):
        self.lines = 0
        self.records = 0
        self.prefiltered = 0
        self.blank = 0
        self.directives = 0
        self.header_blocks = 0
        self.field_changes = 0
        self.malformed = {"field_count": 0, "bad_date": 0, "no_fields": 0}
        self.bom = False
        self.kind = None
        self.headers = []

    @property
    def malformed_total(self):
        return sum(self.malformed.values())

    def as_dict(self):
        return {
            "lines": self.lines,
            "records": self.records,
            "prefiltered": self.prefiltered,
            "blank": self.blank,
            "directives": self.directives,
            "header_blocks": self.header_blocks,
            "field_changes": self.field_changes,
            "malformed": dict(self.malformed),
            "bom": self.bom,
            "kind": self.kind,
            "headers": [dict(h, fields=list(h["fields"]) if h["fields"] is not None else None)
                        for h in self.headers],
        }


def decode_plus(value):
    """Read ``+`` back as a space (W3C logs write spaces inside a value as ``+``)."""
    if value is None:
        return None
    return value.replace("+", " ")


def split_zone(address):
    """Split an IPv6 zone id: ``fe80::1%13`` -> ``("fe80::1", "13")``; others -> ``(address, None)``."""
    if address is None:
        return None, None
    addr, sep, zone = address.partition("%")
    return (addr, zone) if sep else (address, None)


def query_param(query, name):
    """Value of ``name`` (case-insensitive) in a raw query string, or ``None``."""
    if not query:
        return None
    want = name.lower()
    for part in query.split("&"):
        key, sep, value = part.partition("=")
        if key.lower() == want:
            return value if sep else ""
    return None


def uri_split(uri):
    """``/a/b?x=1`` -> ``("/a/b", "x=1")``; no ``?`` -> ``(uri, None)``."""
    if uri is None:
        return None, None
    path, sep, query = uri.partition("?")
    return path, (query if sep else None)


def format_datetime(value):
    """``datetime`` -> ``YYYY-MM-DD HH:MM:SS`` in UTC (naive datetimes are taken as UTC)."""
    if isinstance(value, str):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(_UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def header_lines(software, fields, date, version="1.0"):
    """The directive block that starts a W3C log (no line terminators)."""
    return [
        "#Software: %s" % software,
        "#Version: %s" % version,
        "#Date: %s" % format_datetime(date),
        "#Fields: %s" % " ".join(fields),
    ]


def _encode_value(value):
    if value is None:
        return "-"
    if not isinstance(value, str):
        value = str(value)
    if value == "":
        return "-"
    if " " in value or "\t" in value or "\r" in value or "\n" in value:
        value = value.replace(" ", "+").replace("\t", "+").replace("\r", "+").replace("\n", "+")
    return value


def format_record(fields, values):
    """One data line for ``fields`` from a mapping (by field name) or a sequence (by position)."""
    if hasattr(values, "get"):
        seq = [values.get(f) for f in fields]
    else:
        seq = list(values)
        if len(seq) != len(fields):
            raise ValueError("format_record: %d values for %d fields" % (len(seq), len(fields)))
    return " ".join(_encode_value(v) for v in seq)


def _needles(prefilter, ignore_case):
    if prefilter is None:
        return None
    if isinstance(prefilter, (str, bytes)):
        prefilter = [prefilter]
    out = []
    for p in prefilter:
        b = p.encode("utf-8") if isinstance(p, str) else bytes(p)
        if not b:
            continue
        out.append(b.lower() if ignore_case else b)
    return tuple(dict.fromkeys(out)) or None


class W3CReader:
    """Iterate the records of a W3C log; see the module docstring."""

    def __init__(self, source, prefilter=None, ignore_case=True, encoding="utf-8",
                 errors="replace", chunk_size=CHUNK_SIZE, fields=None):
        self.source = source
        self.ignore_case = ignore_case
        self.encoding = encoding
        self.errors = errors
        self.chunk_size = max(int(chunk_size), 4096)
        self._needles = _needles(prefilter, ignore_case)
        self._text_needles = tuple(n.decode("utf-8") for n in self._needles) if self._needles else None
        self.stats = W3CStats()
        self._fields = None
        self._nfields = 0
        self._di = None
        self._ti = None
        self._block = None
        self._block_has_fields = False
        self._header_date = None
        self._last_dt_key = None
        self._last_dt = None
        if fields:
            self._set_fields(tuple(fields))

    # ------------------------------------------------------------ sources
    def __iter__(self):
        src = self.source
        if isinstance(src, (bytes, bytearray, memoryview)):
            return self._iter_binary(io.BytesIO(bytes(src)))
        if isinstance(src, (str, os.PathLike)):
            return self._iter_path(src)
        if hasattr(src, "read"):
            probe = src.read(0)
            if isinstance(probe, (bytes, bytearray)):
                return self._iter_binary(src)
            return self._iter_lines(src)
        return self._iter_lines(src)

    def _iter_path(self, path):
        with open(path, "rb") as fh:
            yield from self._iter_binary(fh)

    # ------------------------------------------------------------ binary fast path
    def _iter_binary(self, fh):
        read = fh.read
        size = self.chunk_size
        tail = b""
        first = True
        while True:
            block = read(size)
            if not block:
                break
            if first:
                first = False
                if block.startswith(UTF8_BOM):
                    self.stats.bom = True
                    block = block[3:]
            buf = tail + block if tail else block
            cut = buf.rfind(_NL)
            if cut < 0:
                tail = buf
                continue
            end = cut + 1
            tail = buf[end:]
            yield from self._chunk(buf, end)
        if first is False and tail:
            # last line without a terminator
            yield from self._chunk(tail, len(tail), final=True)

    def _chunk(self, buf, end, final=False):
        """Records of buf[0:end]; every line in it ends with LF unless ``final``.

        Directive lines are found with a one-byte search for ``#`` at a line
        start; line numbers come from counting LFs between positions already
        visited, so every byte is counted once.
        """
        stats = self.stats
        needles = self._needles
        hay = buf.lower() if (needles is not None and self.ignore_case) else buf
        lines_before = stats.lines
        counted_pos = 0
        counted_lines = lines_before      # lines that end before counted_pos
        directives = inspected = 0
        pos = 0
        while pos < end:
            h = buf.find(b"#", pos, end)
            while h > 0 and buf[h - 1] != 0x0A:
                h = buf.find(b"#", h + 1, end)
            seg_end = end if h < 0 else h
            if seg_end > pos:
                if needles is None:
                    counted_lines += buf.count(_NL, counted_pos, pos)
                    counted_pos = pos
                    # one decode per segment; split on LF only (str.splitlines would also split on
                    # U+2028, FF, ... inside a value)
                    items = buf[pos:seg_end].decode(self.encoding, self.errors).split("\n")
                    if buf[seg_end - 1] == 0x0A:
                        items.pop()  # split() of a segment ending with LF leaves one empty item
                    line_no = counted_lines
                    data_text = self._data_text
                    for text in items:
                        line_no += 1
                        rec = data_text(text, line_no)
                        if rec is not None:
                            yield rec
                else:
                    for ls, le in self._matching_lines(buf, hay, needles, pos, seg_end):
                        counted_lines += buf.count(_NL, counted_pos, ls)
                        counted_pos = ls
                        inspected += 1
                        rec = self._data_bytes(buf[ls:le], counted_lines + 1)
                        if rec is not None:
                            yield rec
            if h < 0:
                break
            counted_lines += buf.count(_NL, counted_pos, h)
            counted_pos = h
            le = buf.find(_NL, h, end)
            if le < 0:
                le = end
            directives += 1
            self._directive(buf[h:le], counted_lines + 1)
            pos = le + 1
        chunk_lines = counted_lines - lines_before + buf.count(_NL, counted_pos, end)
        if final and end:
            chunk_lines += 1  # the last line has no terminator
        stats.lines = lines_before + chunk_lines
        if needles is not None:
            stats.prefiltered += chunk_lines - directives - inspected

    @staticmethod
    def _matching_lines(buf, hay, needles, start, stop):
        """(line_start, line_end) of lines in [start, stop) holding any needle, in order."""
        if len(needles) == 1:
            needle = needles[0]
            p = hay.find(needle, start, stop)
            while p >= 0:
                ls = buf.rfind(_NL, start, p)
                ls = start if ls < 0 else ls + 1
                le = buf.find(_NL, p, stop)
                if le < 0:
                    le = stop
                yield ls, le
                p = hay.find(needle, le + 1, stop)
            return
        nxt = [hay.find(n, start, stop) for n in needles]
        while True:
            live = [p for p in nxt if p >= 0]
            if not live:
                return
            p = min(live)
            ls = buf.rfind(_NL, start, p)
            ls = start if ls < 0 else ls + 1
            le = buf.find(_NL, p, stop)
            if le < 0:
                le = stop
            yield ls, le
            for i, n in enumerate(needles):
                if 0 <= nxt[i] <= le:
                    nxt[i] = hay.find(n, le + 1, stop)

    def _data_bytes(self, raw, line_no):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw:
            self.stats.blank += 1
            return None
        return self._data_text(raw.decode(self.encoding, self.errors), line_no)

    # ------------------------------------------------------------ line path
    def _iter_lines(self, lines):
        stats = self.stats
        needles = self._text_needles
        first = True
        for line in lines:
            if isinstance(line, (bytes, bytearray)):
                line = bytes(line).decode(self.encoding, self.errors)
            if first:
                first = False
                if line.startswith("\ufeff"):
                    stats.bom = True
                    line = line[1:]
            # an iterable may hold multi-line strings (e.g. a whole file as one item)
            parts = line.split("\n")
            if parts[-1] == "" and len(parts) > 1:
                parts.pop()
            for text in parts:
                stats.lines += 1
                if text.endswith("\r"):
                    text = text[:-1]
                if text.startswith("#"):
                    self._directive(text, stats.lines)
                    continue
                if needles is not None:
                    hay = text.lower() if self.ignore_case else text
                    if not any(n in hay for n in needles):
                        stats.prefiltered += 1
                        continue
                if not text:
                    stats.blank += 1
                    continue
                rec = self._data_text(text, stats.lines)
                if rec is not None:
                    yield rec

    # ------------------------------------------------------------ shared
    def _directive(self, raw, line_no):
        stats = self.stats
        stats.directives += 1
        text = raw.decode(self.encoding, self.errors) if isinstance(raw, (bytes, bytearray)) else raw
        text = text.lstrip("\ufeff").rstrip("\r\n")
        name, sep, value = text[1:].partition(":")
        if not sep:
            return
        name = name.strip().lower()
        value = value.strip()
        if name == "software":
            blk = self._block
            if blk is None or blk["software"] is not None or self._block_has_fields:
                self._new_block(line_no)
            self._block["software"] = value
            self._block_has_fields = False
            if stats.kind is None:
                if value.startswith(IIS_SOFTWARE):
                    stats.kind = "iis"
                elif value.startswith(HTTPERR_SOFTWARE):
                    stats.kind = "httperr"
                else:
                    stats.kind = "other"
        elif name == "fields":
            fields = tuple(value.split())
            if self._block is None or self._block_has_fields:
                self._new_block(line_no)
            self._block["fields"] = fields
            self._block_has_fields = True
            if self._fields is not None and fields != self._fields:
                stats.field_changes += 1
            self._set_fields(fields)
        elif name in ("version", "date", "remark", "start-date", "end-date"):
            if self._block is None:
                self._new_block(line_no)
            key = name.replace("-", "_")
            if key in self._block:
                self._block[key] = value
            if name == "date":
                self._header_date = value[:10] if len(value) >= 10 else None

    def _new_block(self, line_no):
        self.stats.header_blocks += 1
        self._block = {"line_no": line_no, "software": None, "version": None, "date": None,
                       "fields": None, "remark": None}
        if len(self.stats.headers) < MAX_HEADER_BLOCKS:
            self.stats.headers.append(self._block)

    def _set_fields(self, fields):
        self._fields = fields
        self._nfields = len(fields)
        self._di = fields.index("date") if "date" in fields else None
        self._ti = fields.index("time") if "time" in fields else None

    def _data_text(self, text, line_no):
        stats = self.stats
        # split on the single space W3C writes (str.split() would also cut at NBSP and other
        # Unicode spaces a raw value may hold)
        text = text.rstrip("\r\n\t ")
        if not text:
            stats.blank += 1
            return None
        parts = text.split(" ")
        if self._fields is None:
            stats.malformed["no_fields"] += 1
            return None
        if len(parts) != self._nfields:
            stats.malformed["field_count"] += 1
            return None
        ts = None
        ti = self._ti
        if ti is not None:
            di = self._di
            d = parts[di] if di is not None else self._header_date
            t = parts[ti]
            key = (d, t)
            if key == self._last_dt_key:
                ts = self._last_dt
            else:
                ts = _parse_dt(d, t)
                if ts is None:
                    stats.malformed["bad_date"] += 1
                    return None
                self._last_dt_key = key
                self._last_dt = ts
        elif self._di is not None:
            ts = _parse_dt(parts[self._di], "00:00:00")
            if ts is None:
                stats.malformed["bad_date"] += 1
                return None
        rec = W3CRecord(zip(self._fields, [None if v == "-" else v for v in parts]))
        rec.line_no = line_no
        rec.timestamp = ts
        stats.records += 1
        return rec


def _parse_dt(d, t):
    if d is None or t is None:
        return None
    if len(d) != 10 or d[4] != "-" or d[7] != "-" or len(t) < 8 or t[2] != ":" or t[5] != ":":
        return None
    try:
        return _dt.datetime(int(d[0:4]), int(d[5:7]), int(d[8:10]),
                            int(t[0:2]), int(t[3:5]), int(t[6:8]), tzinfo=_UTC)
    except ValueError:
        return None


def iter_records(source, **kwargs):
    """Generator of records (no stats); keyword arguments as :class:`W3CReader`."""
    return iter(W3CReader(source, **kwargs))


def read_records(source, **kwargs):
    """``(list of records, stats dict)``: convenience for small files."""
    reader = W3CReader(source, **kwargs)
    records = list(reader)
    return records, reader.stats.as_dict()
