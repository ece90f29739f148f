# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DER of Microsoft's certificate template extensions: exact bytes written, names and OIDs read back, bad input refused."""
from __future__ import annotations

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._formats import der

V2_OID = "1.3.6.1.4.1.311.21.8.1.2"


# ---------------------------------------------------------------- writing and reading back
def test_bmp_string_and_template_info_der():
    assert der.bmp_string("CEP") == bytes.fromhex("1e06") + "CEP".encode("utf-16-be")
    info = der.template_info(V2_OID, 100, 4)
    assert info == bytes.fromhex("3013 060b2b0601040182371508 0102 020164 020104")
    assert der.decode_template_info(info) == (V2_OID, 100, 4)
    assert der.decode_template_oid(info) == V2_OID
    assert der.decode_string(der.bmp_string("EnrollmentAgentOffline")) == "EnrollmentAgentOffline"
    assert der.decode_oid(der.oid("1.3.6.1.4.1.311.21.8.16187918.14945684")[2:]) == \
        "1.3.6.1.4.1.311.21.8.16187918.14945684"
    long_name = "X" * 200  # long form length
    assert der.decode_string(der.bmp_string(long_name)) == long_name


def test_template_info_without_minor_version():
    info = der.template_info(V2_OID, 100)
    assert der.decode_template_info(info) == (V2_OID, 100, None)
    only_oid = der.sequence(der.oid(V2_OID))
    assert der.decode_template_info(only_oid) == (V2_OID, None, None)
    assert der.decode_template_oid(only_oid) == V2_OID


def test_oid_whose_first_subidentifier_takes_two_bytes():
    # X.690 8.19.5 example: 2.999.3 is 06 03 88 37 03
    assert der.decode_oid(bytes.fromhex("883703")) == "2.999.3"


@pytest.mark.parametrize("tag", [0x0C, 0x13, 0x16])
def test_template_name_in_8bit_string_kinds(tag):
    assert der.decode_string(der.tlv(tag, b"EnrollmentAgentOffline")) == "EnrollmentAgentOffline"


# ---------------------------------------------------------------- malformed input
@pytest.mark.parametrize("data", [
    b"", b"\x1e", bytes.fromhex("1e05 0041"),        # truncated
    bytes.fromhex("1e80"), bytes.fromhex("1e85 0000000001"),  # indefinite / 5-byte length
])
def test_truncated_or_bad_lengths_raise(data):
    with pytest.raises(ValueError):
        der.decode_string(data)


def test_wrong_kinds_raise():
    with pytest.raises(ValueError, match="not a string"):
        der.decode_string(der.integer(5))
    with pytest.raises(ValueError, match="not a SEQUENCE"):
        der.decode_template_oid(der.oid(V2_OID))
    with pytest.raises(ValueError, match="does not start with an OID"):
        der.decode_template_info(der.sequence(der.integer(100), der.oid(V2_OID)))
    with pytest.raises(ValueError, match="empty OID"):
        der.decode_oid(b"")
    with pytest.raises(UnicodeDecodeError):
        der.decode_string(der.tlv(der.TAG_BMP, b"\xd8\x00"))  # lone surrogate


# ---------------------------------------------------------------- both extensions of a certificate
def test_decode_template_gives_none_for_missing_or_malformed():
    name, info = der.bmp_string("CEPEncryption"), der.template_info(V2_OID, 100, 4)
    assert der.decode_template(name, info) == (V2_OID, "CEPEncryption")
    assert der.decode_template(None, info) == (V2_OID, None)
    assert der.decode_template(name, None) == (None, "CEPEncryption")
    assert der.decode_template() == (None, None)
    assert der.decode_template(der.integer(1), b"\x30") == (None, None)
    assert der.decode_template(der.tlv(der.TAG_BMP, b"\xd8\x00"), der.oid(V2_OID)) == (None, None)
    # the version numbers are not needed for the OID: a truncated one does not hide it
    bad_version = der.tlv(der.TAG_SEQUENCE, der.oid(V2_OID) + bytes.fromhex("020501"))
    with pytest.raises(ValueError):
        der.decode_template_info(bad_version)
    assert der.decode_template(None, bad_version) == (V2_OID, None)
