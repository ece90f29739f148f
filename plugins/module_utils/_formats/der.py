# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Just enough DER to write and read Microsoft's certificate template extensions from raw bytes.

1.3.6.1.4.1.311.20.2 (v1 template name): a BMPString (some CAs write UTF8String,
PrintableString or IA5String).
1.3.6.1.4.1.311.21.7 (v2 template info): SEQUENCE { templateID OID, majorVersion INTEGER,
minorVersion INTEGER OPTIONAL }.

Readers: ``decode_string(value)`` (the template name), ``decode_template_oid(value)``
and ``decode_template_info(value)`` take an extension's value bytes and raise
ValueError (UnicodeDecodeError is one) on malformed input;
``decode_template(name_value, info_value) -> (oid, name)`` gives None for a
missing or malformed one. Writers (the lab CA):
``bmp_string(text)``, ``template_info(oid, major, minor=None)``.
"""
from __future__ import annotations

OID_TEMPLATE_NAME = "1.3.6.1.4.1.311.20.2"          # v1 template name (BMPString)
OID_TEMPLATE_INFO = "1.3.6.1.4.1.311.21.7"          # v2 template: SEQ {OID, major, minor}

TAG_INTEGER, TAG_OID, TAG_UTF8, TAG_PRINTABLE, TAG_IA5, TAG_BMP, TAG_SEQUENCE = 0x02, 0x06, 0x0C, 0x13, 0x16, 0x1E, 0x30


# ------------------------------------------------------------------ writing
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


# ------------------------------------------------------------------ reading
def read_tlv(data, pos=0):
    """-> (tag, body, next position) of the DER element at pos; raise ValueError on malformed input."""
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
    """The dotted form of an OID's body (base-128 subidentifiers; the first one holds two arcs)."""
    arcs = []
    value = 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if not arcs:
        raise ValueError("empty OID")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first] + arcs[1:])


def decode_string(data):
    """A DER string of any of the kinds CAs use for template names (extension 1.3.6.1.4.1.311.20.2 value)."""
    tag, body, _end = read_tlv(data)
    if tag == TAG_BMP:
        return body.decode("utf-16-be")
    if tag in (TAG_UTF8, TAG_PRINTABLE, TAG_IA5):
        return body.decode("utf-8")
    raise ValueError("not a string (tag 0x%02x)" % tag)


def _template_info_oid(data):
    """(SEQUENCE body, OID body, position after the OID) of a template info value."""
    tag, body, _end = read_tlv(data)
    if tag != TAG_SEQUENCE:
        raise ValueError("template info is not a SEQUENCE")
    tag, oid_body, pos = read_tlv(body)
    if tag != TAG_OID:
        raise ValueError("template info does not start with an OID")
    return body, oid_body, pos


def decode_template_oid(data):
    """Extension 1.3.6.1.4.1.311.21.7 value -> template OID (the version numbers are not read)."""
    return decode_oid(_template_info_oid(data)[1])


def decode_template_info(data):
    """Extension 1.3.6.1.4.1.311.21.7 value -> (template OID, major, minor or None)."""
    body, oid_body, pos = _template_info_oid(data)
    numbers = []
    while pos < len(body):
        tag, ibody, pos = read_tlv(body, pos)
        if tag == TAG_INTEGER:
            numbers.append(int.from_bytes(ibody, "big", signed=True))
    return decode_oid(oid_body), (numbers[0] if numbers else None), (numbers[1] if len(numbers) > 1 else None)


def decode_template(name_value=None, info_value=None):
    """(template OID, template name) of a certificate's template extension values; None for one missing or malformed."""
    name = template_oid = None
    if name_value:
        try:
            name = decode_string(name_value)
        except ValueError:
            name = None
    if info_value:
        try:
            template_oid = decode_template_oid(info_value)
        except ValueError:
            template_oid = None
    return template_oid, name
