# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Just enough DER to write and read Microsoft's certificate template extensions from raw bytes.

1.3.6.1.4.1.311.20.2 (v1 template name): a BMPString (some CAs write UTF8String).
1.3.6.1.4.1.311.21.7 (v2 template info): SEQUENCE { templateID OID, majorVersion INTEGER,
minorVersion INTEGER OPTIONAL }.
"""
from __future__ import annotations

TAG_INTEGER, TAG_OID, TAG_UTF8, TAG_PRINTABLE, TAG_IA5, TAG_BMP, TAG_SEQUENCE = 0x02, 0x06, 0x0C, 0x13, 0x16, 0x1E, 0x30


def _length(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag, body):
    return bytes([tag]) + _length(len(body)) + body


def bmp_string(text):
    return tlv(TAG_BMP, text.encode("utf-16-be"))


def integer(value):
    body = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)
    return tlv(TAG_INTEGER, body)


def oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(TAG_OID, bytes(body))


def sequence(*items):
    return tlv(TAG_SEQUENCE, b"".join(items))


def template_info(template_oid, major, minor=None):
    items = [oid(template_oid), integer(major)]
    if minor is not None:
        items.append(integer(minor))
    return sequence(*items)


def read_tlv(data, pos=0):
    """-> (tag, body, next position); raise ValueError on malformed input."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first & 0x80:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    else:
        length = first
    if pos + length > len(data):
        raise ValueError("truncated DER value")
    return tag, data[pos:pos + length], pos + length


def decode_oid(body):
    if not body:
        raise ValueError("empty OID")
    first = body[0]
    arcs = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(str(a) for a in arcs)


def decode_string(data):
    """A DER string of any of the kinds CAs use for template names."""
    tag, body, _end = read_tlv(data)
    if tag == TAG_BMP:
        return body.decode("utf-16-be")
    if tag in (TAG_UTF8, TAG_PRINTABLE, TAG_IA5):
        return body.decode("utf-8")
    raise ValueError("not a string (tag 0x%02x)" % tag)


def decode_template_info(data):
    """-> (template OID, major, minor or None)."""
    tag, body, _end = read_tlv(data)
    if tag != TAG_SEQUENCE:
        raise ValueError("template info is not a SEQUENCE")
    tag, oid_body, pos = read_tlv(body)
    if tag != TAG_OID:
        raise ValueError("template info does not start with an OID")
    numbers = []
    while pos < len(body):
        tag, ibody, pos = read_tlv(body, pos)
        if tag == TAG_INTEGER:
            numbers.append(int.from_bytes(ibody, "big", signed=True))
    return decode_oid(oid_body), (numbers[0] if numbers else None), (numbers[1] if len(numbers) > 1 else None)
