# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small value helpers for the facts: times, thumbprints, SIDs, host names, registry data."""
from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import math
import re
import struct

UTC = datetime.timezone.utc

# Well-known SIDs (names are localized; SIDs are not).
EVERYONE = "S-1-1-0"
AUTHENTICATED_USERS = "S-1-5-11"
LOCAL_SYSTEM = "S-1-5-18"
LOCAL_SERVICE = "S-1-5-19"
NETWORK_SERVICE = "S-1-5-20"
ADMINISTRATORS = "S-1-5-32-544"
USERS = "S-1-5-32-545"
IIS_IUSRS = "S-1-5-32-568"

IDENTITY_SIDS = {"localsystem": LOCAL_SYSTEM, "localservice": LOCAL_SERVICE,
                 "networkservice": NETWORK_SERVICE}

_FRACTION = re.compile(r"\.(\d+)")
_HEX = re.compile(r"[^0-9A-Fa-f]")


def parse_time(value):
    """ISO-8601 (``Z``, offsets, 7-digit .NET fractions; naive = UTC) -> aware UTC datetime, else None."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)   # 3.10: exactly 6 digits
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso(value):
    """Aware datetime -> ``2026-11-25T21:00:00Z``; None stays None."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def days_left(not_after, now):
    """Whole days from ``now`` to ``not_after`` (floor; negative once expired), or None."""
    if not_after is None or now is None:
        return None
    return int(math.floor((not_after - now).total_seconds() / 86400.0))


def thumbprint(value):
    """Upper-case hex with every other character dropped (spaces, U+200E ...); None when empty."""
    if not isinstance(value, str):
        return None
    text = _HEX.sub("", value).upper()
    return text or None


def sid(value):
    """Upper-case SID string, or None."""
    return value.strip().upper() if isinstance(value, str) and value.strip() else None


def apppool_sid(pool_name):
    """SID of the virtual account ``IIS APPPOOL\\<pool>``: S-1-5-82 + SHA-1 of the lower-cased name (UTF-16LE)."""
    digest = hashlib.sha1(pool_name.lower().encode("utf-16-le")).digest()
    return "S-1-5-82-" + "-".join(str(part) for part in struct.unpack("<5I", digest))


def identity_sid(identity_type, pool_name):
    """SID a built-in app pool identity runs as; None for SpecificUser (ask AD / LSA)."""
    kind = (identity_type or "").lower()
    if kind == "applicationpoolidentity":
        return apppool_sid(pool_name)
    return IDENTITY_SIDS.get(kind)


def account_user(account):
    """``CONTOSO\\svc-ndes`` or ``svc-ndes@contoso.com`` -> ``svc-ndes``; None stays None."""
    if not account:
        return None
    return account.split("\\")[-1].split("@")[0] or None


def der(value):
    """Base64 DER -> bytes (None when absent or not base64)."""
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value.encode("ascii"), validate=False)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def as_int(value):
    """An int from an int, a decimal / ``0x`` hex string; None otherwise (bools are not ints)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text, 16) if text.lower().startswith("0x") else int(text)
        except ValueError:
            return None
    return None


def as_bool(value):
    """A bool from a bool, ``true``/``false`` strings or 0/1; None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def reg_value(values, name):
    """``(type, value)`` of a registry value by case-insensitive name, or (None, None)."""
    for key, item in (values or {}).items():
        if key.lower() == name.lower():
            if isinstance(item, dict):
                return item.get("type"), item.get("value")
            return None, item
    return None, None


def name_matches(pattern, name):
    """DNS name match, case-insensitive; ``*.`` covers exactly one left-most label."""
    if not pattern or not name:
        return False
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _dot, rest = name.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == name


def subject_cns(subject):
    """CN values of an RFC 4514 subject string (escaped commas respected)."""
    out = []
    for part in re.split(r"(?<!\\),", subject or ""):
        key, sep, val = part.strip().partition("=")
        if sep and key.strip().upper() == "CN":
            out.append(val.strip().replace("\\,", ","))
    return out
