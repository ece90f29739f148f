# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Principals of the lab: well-known SIDs, virtual accounts, and the AD accounts in state/ad.json."""
from __future__ import annotations

import hashlib
import re
import struct

from ansible_collections.ndes.scep.plugins.module_utils._lab import layout, pools, store

IIS_IUSRS = "S-1-5-32-568"
ADMINISTRATORS = "S-1-5-32-544"
USERS = "S-1-5-32-545"
SYSTEM = "S-1-5-18"
LOCAL_SERVICE = "S-1-5-19"
NETWORK_SERVICE = "S-1-5-20"
SERVICE = "S-1-5-6"
CREATOR_OWNER = "S-1-3-0"
EVERYONE = "S-1-1-0"
IUSR = "S-1-5-17"

# userAccountControl / msDS-User-Account-Control-Computed bits.
UF_ACCOUNTDISABLE = 0x2
UF_LOCKOUT = 0x10
UF_PASSWORD_EXPIRED = 0x800000


def _hash_sid(prefix, name):
    digest = hashlib.sha1(name.encode("utf-16-le")).digest()
    return prefix + "-" + "-".join(str(v) for v in struct.unpack("<5I", digest))


def service_sid(name):
    """NT SERVICE\\<name>: S-1-5-80 + SHA-1 of the upper-case name (UTF-16LE)."""
    return _hash_sid("S-1-5-80", name.upper())


def app_pool_sid(name):
    """IIS APPPOOL\\<name>: S-1-5-82 + SHA-1 of the lower-case name (UTF-16LE)."""
    return _hash_sid("S-1-5-82", name.lower())


def load_ad(root):
    return store.load(root, layout.AD, {"reachable": False, "accounts": {}})


def split_account(account):
    """``CONTOSO\\svc`` / ``svc@contoso.com`` -> (domain or None, user)."""
    if "\\" in account:
        domain, user = account.split("\\", 1)
        return domain, user
    if "@" in account:
        user, domain = account.split("@", 1)
        return domain, user
    return None, account


def _domain_matches(ad, domain):
    if domain is None:
        return True
    low = domain.lower()
    return low in (ad.get("netbios", "").lower(), ad.get("dns", "").lower())


def find_account(ad, account):
    domain, user = split_account(account)
    if not _domain_matches(ad, domain):
        return None
    for name, entry in ad.get("accounts", {}).items():
        if name.lower() == user.lower():
            return entry
    return None


# SIDs Windows maps to a name on every member server (LsaLookupSids answers them without a domain
# controller): the well-known principals and the BUILTIN aliases of Windows Server.
WELL_KNOWN_SIDS = dict((sid, name) for name, sid in (
    ("NULL SID", "S-1-0-0"), ("Everyone", EVERYONE), ("LOCAL", "S-1-2-0"), ("CONSOLE LOGON", "S-1-2-1"),
    ("CREATOR OWNER", CREATOR_OWNER), ("CREATOR GROUP", "S-1-3-1"), ("OWNER RIGHTS", "S-1-3-4"),
    ("NT AUTHORITY\\DIALUP", "S-1-5-1"), ("NT AUTHORITY\\NETWORK", "S-1-5-2"), ("NT AUTHORITY\\BATCH", "S-1-5-3"),
    ("NT AUTHORITY\\INTERACTIVE", "S-1-5-4"), ("NT AUTHORITY\\SERVICE", SERVICE),
    ("NT AUTHORITY\\ANONYMOUS LOGON", "S-1-5-7"), ("NT AUTHORITY\\ENTERPRISE DOMAIN CONTROLLERS", "S-1-5-9"),
    ("NT AUTHORITY\\SELF", "S-1-5-10"), ("NT AUTHORITY\\Authenticated Users", "S-1-5-11"),
    ("NT AUTHORITY\\RESTRICTED", "S-1-5-12"), ("NT AUTHORITY\\TERMINAL SERVER USER", "S-1-5-13"),
    ("NT AUTHORITY\\REMOTE INTERACTIVE LOGON", "S-1-5-14"), ("NT AUTHORITY\\This Organization", "S-1-5-15"),
    ("NT AUTHORITY\\IUSR", IUSR), ("NT AUTHORITY\\SYSTEM", SYSTEM), ("NT AUTHORITY\\LOCAL SERVICE", LOCAL_SERVICE),
    ("NT AUTHORITY\\NETWORK SERVICE", NETWORK_SERVICE), ("NT AUTHORITY\\NTLM Authentication", "S-1-5-64-10"),
    ("NT AUTHORITY\\Local account", "S-1-5-113"),
    ("NT AUTHORITY\\Local account and member of Administrators group", "S-1-5-114"),
    ("NT SERVICE\\ALL SERVICES", "S-1-5-80-0"),
    ("APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES", "S-1-15-2-1"),
    ("Mandatory Label\\Low Mandatory Level", "S-1-16-4096"),
    ("Mandatory Label\\Medium Mandatory Level", "S-1-16-8192"),
    ("Mandatory Label\\High Mandatory Level", "S-1-16-12288"),
    ("Mandatory Label\\System Mandatory Level", "S-1-16-16384"),
    ("BUILTIN\\Administrators", ADMINISTRATORS), ("BUILTIN\\Users", USERS), ("BUILTIN\\Guests", "S-1-5-32-546"),
    ("BUILTIN\\Power Users", "S-1-5-32-547"), ("BUILTIN\\Backup Operators", "S-1-5-32-551"),
    ("BUILTIN\\Replicator", "S-1-5-32-552"), ("BUILTIN\\Remote Desktop Users", "S-1-5-32-555"),
    ("BUILTIN\\Network Configuration Operators", "S-1-5-32-556"),
    ("BUILTIN\\Performance Monitor Users", "S-1-5-32-558"), ("BUILTIN\\Performance Log Users", "S-1-5-32-559"),
    ("BUILTIN\\Distributed COM Users", "S-1-5-32-562"), ("BUILTIN\\IIS_IUSRS", IIS_IUSRS),
    ("BUILTIN\\Cryptographic Operators", "S-1-5-32-569"), ("BUILTIN\\Event Log Readers", "S-1-5-32-573"),
    ("BUILTIN\\Certificate Service DCOM Access", "S-1-5-32-574"),
    ("BUILTIN\\RDS Remote Access Servers", "S-1-5-32-575"), ("BUILTIN\\RDS Endpoint Servers", "S-1-5-32-576"),
    ("BUILTIN\\RDS Management Servers", "S-1-5-32-577"), ("BUILTIN\\Hyper-V Administrators", "S-1-5-32-578"),
    ("BUILTIN\\Access Control Assistance Operators", "S-1-5-32-579"),
    ("BUILTIN\\Remote Management Users", "S-1-5-32-580"),
    ("BUILTIN\\Storage Replica Administrators", "S-1-5-32-582")))

# Name -> SID (LsaLookupNames): every name above, and the unqualified names LSA also accepts for these.
WELL_KNOWN = dict((name.lower(), sid) for sid, name in WELL_KNOWN_SIDS.items())
WELL_KNOWN.update((short, WELL_KNOWN["nt authority\\" + short]) for short in ("system", "local service", "network service", "iusr"))
WELL_KNOWN.update((short, WELL_KNOWN["builtin\\" + short]) for short in ("administrators", "users", "iis_iusrs"))
WELL_KNOWN["localsystem"] = SYSTEM


def account_of_sid(root, sid, ad=None):
    """The account a SID names on the lab host (LsaLookupSids semantics), or None when it names none.

    Well-known SIDs and BUILTIN aliases; NT SERVICE\\<name> of the installed services; IIS APPPOOL\\<name>
    of the configured application pools; the domain's accounts and groups in state/ad.json (looked up
    through the host's secure channel, so also when LDAP is out of reach: the double hop does not
    apply to LSA lookups).
    """
    sid = (sid or "").strip().upper()
    if sid in WELL_KNOWN_SIDS:
        return WELL_KNOWN_SIDS[sid]
    if sid.startswith("S-1-5-80-"):
        for name in store.load(root, layout.SERVICES, {}):
            if service_sid(name) == sid:
                return "NT SERVICE\\" + name
        return None
    if sid.startswith("S-1-5-82-"):
        for name in pools.configured(root):
            if app_pool_sid(name) == sid:
                return "IIS APPPOOL\\" + name
        return None
    ad = ad if ad is not None else load_ad(root)
    for name, entry in (ad.get("accounts") or {}).items():
        if str(entry.get("sid") or "").upper() == sid:
            return "%s\\%s" % (ad.get("netbios") or "", name)
    for entry in (ad.get("accounts") or {}).values():
        if sid in (str(g).upper() for g in entry.get("groups") or []):
            return "%s\\group %s" % (ad.get("netbios") or "", sid.rsplit("-", 1)[-1])
    return None


def unmapped_sid_message(sid):
    """What a grant to a SID that names no account says (both agents use these words)."""
    return ("SID %s names no account on this host (LSA cannot map it to a name): nothing was changed. Check the "
            "account (deleted? a typo in the SID?) and give the SID of an existing account, e.g. the NDES service "
            "account's SID, or its name (DOMAIN\\user) to have it resolved." % sid)


def resolve(root, name, ad=None):
    """SID for an account name (LSA lookup semantics), or None."""
    if name.upper().startswith("S-1-"):
        return name.upper() if re.match(r"^S-1-\d+(-\d+)+$", name.strip(), re.IGNORECASE) else None
    low = name.strip().lower()
    if low in WELL_KNOWN:
        return WELL_KNOWN[low]
    if low.startswith("nt service\\"):
        return service_sid(name.split("\\", 1)[1])
    if low.startswith("iis apppool\\"):
        return app_pool_sid(name.split("\\", 1)[1])
    ad = ad if ad is not None else load_ad(root)
    entry = find_account(ad, name)
    return entry["sid"] if entry else None


def ad_account(root, account):
    """The ``ad_account`` read; raises KeyError when AD answers that the account does not exist."""
    ad = load_ad(root)
    if not ad.get("reachable"):
        return {"status": "unknown", "reason": ad.get("reason") or "no domain controller could be reached",
                "locked": None, "password_expired": None, "disabled": None, "sid": None}
    entry = find_account(ad, account)
    if entry is None:
        raise KeyError(account)
    computed = entry.get("msds_user_account_control_computed", 0)
    uac = entry.get("user_account_control", 0x200)
    return {"status": "known", "reason": None,
            "locked": bool(computed & UF_LOCKOUT),
            "password_expired": bool(computed & UF_PASSWORD_EXPIRED),
            "disabled": bool(uac & UF_ACCOUNTDISABLE),
            "sid": entry["sid"]}


AUTHENTICATED_USERS = "S-1-5-11"


def identities(root, hostname, ad=None):
    """The enrolling identities and the SIDs of their tokens (context -> {name, sid, sids}).

    machine: the host's computer account (``<HOST>$``); user: the account the agent runs as
    (``agent_user`` in ad.json). Each token also holds Everyone and Authenticated Users.
    """
    ad = ad if ad is not None else load_ad(root)
    out = {}
    for context, name in (("machine", ad.get("computer_account") or hostname.upper() + "$"),
                          ("user", ad.get("agent_user") or "Administrator")):
        entry = find_account(ad, name) or {}
        sid = entry.get("sid")
        sids = [s for s in [sid] + list(entry.get("groups") or []) if s] + [EVERYONE, AUTHENTICATED_USERS]
        if context == "user":
            sids.append(ADMINISTRATORS)
        out[context] = {"name": "%s\\%s" % (ad.get("netbios") or "", name), "sid": sid, "sids": sids}
    return out
