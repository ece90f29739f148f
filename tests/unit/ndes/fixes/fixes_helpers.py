# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts of a healthy NDES (the shape facts.build_facts returns) and helpers to drive a fix like the action does."""
from __future__ import annotations

import copy

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract

NOW = "2026-11-25T21:00:00Z"
POLICY = "3B4A1F0C9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A"
OTHER = "AAAA1F0C9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A"
RA_SIGN = "5C2E000000000000000000000000000000000001"
RA_ENC = "5C2E000000000000000000000000000000000002"
POOL_SID = "S-1-5-82-1"

_HEALTHY = {
    "schema": 1,
    "agent": "lab",
    "collected_at": NOW,
    "settings": {"site": "Default Web Site", "scep_app_path": "/certsrv/mscep",
                 "certreg_app_path": "/CertificateRegistrationSvc", "scep_pool": "SCEP", "service_account": None,
                 "warn_days": 30},
    "host": {"hostname": "NDES01", "fqdn": "ndes01.contoso.com", "last_boot": "2026-11-24T21:00:00Z"},
    "iis": {
        "request_limits": {"location": "Default Web Site/certsrv/mscep",
                           "max_url": 65534, "max_url_origin": "MACHINE/WEBROOT/APPHOST",
                           "max_url_origin_location": "Default Web Site",
                           "max_query_string": 65534, "max_query_string_origin": "MACHINE/WEBROOT/APPHOST",
                           "max_query_string_origin_location": "Default Web Site", "required": 65534, "ok": True},
        "certreg_auth": {"location": "Default Web Site/CertificateRegistrationSvc", "present": True,
                         "anonymous_enabled": True, "windows_enabled": False, "ok": True},
    },
    "app_pools": [
        {"name": "DefaultAppPool", "state": "Started", "auto_start": True, "identity_type": "ApplicationPoolIdentity",
         "user_name": None},
        {"name": "SCEP", "state": "Started", "auto_start": True, "identity_type": "ApplicationPoolIdentity",
         "user_name": None},
    ],
    "scep_pool": {"exists": True, "name": "SCEP", "state": "Started", "auto_start": True,
                  "identity_type": "ApplicationPoolIdentity", "user_name": None, "started": True},
    "httpsys": {"max_field_length": {"set": 65534, "in_effect": 65534, "set_ok": True, "ok": True},
                "max_request_bytes": {"set": 65534, "in_effect": 65534, "set_ok": True, "ok": True},
                "required": 65534, "pending_reboot": False},
    "user_rights": {"impersonate": {"holders": ["S-1-5-19", "S-1-5-20", "S-1-5-32-544", "S-1-5-32-568", "S-1-5-6"],
                                    "iis_iusrs_holds": True, "gpo_defined": False, "gpo_holders": [],
                                    "gpo_source": None}},
    "policy_cert": {"value": POLICY.lower(), "thumbprint": POLICY, "stored_normalized": True, "found": True,
                    "problem": "none", "not_after": "2027-11-25T00:00:00Z", "days_left": 364,
                    "has_private_key": True, "has_client_auth_eku": True, "subject": "CN=ndes01.contoso.com",
                    "san_dns": ["ndes01.contoso.com"], "candidates": []},
    "ra_certs": {
        "certs": [
            {"role": "encryption", "thumbprint": RA_ENC, "subject": "CN=NDES01-MSCEP-RA", "template_name": "CEPEncryption",
             "not_after": "2028-11-25T00:00:00Z", "days_left": 730, "expired": False, "has_private_key": True,
             "key_acl_sids": ["S-1-5-18", "S-1-5-32-544", POOL_SID], "service_account_can_read": True},
            {"role": "signing", "thumbprint": RA_SIGN, "subject": "CN=NDES01-MSCEP-RA",
             "template_name": "EnrollmentAgentOffline", "not_after": "2028-11-25T00:00:00Z", "days_left": 730,
             "expired": False, "has_private_key": True, "key_acl_sids": ["S-1-5-18", "S-1-5-32-544", POOL_SID],
             "service_account_can_read": True},
        ],
        "roles": {"signing": {"status": "ok", "thumbprint": RA_SIGN, "days_left": 730},
                  "encryption": {"status": "ok", "thumbprint": RA_ENC, "days_left": 730}},
        "missing_roles": [], "unusable_roles": [], "min_days_left": 730, "expiring_soon": False, "acl_missing": [],
    },
    "root_store": {"non_self_signed": [], "count": 0, "gpo_placed_count": 0},
    "mscep_templates": {"signature_template": "NDESIntune", "encryption_template": "NDESIntune",
                        "general_purpose_template": "NDESIntune", "all_default": False, "values_ok": True},
    "services": {
        "WAPCSvc": {"exists": True, "status": "Running", "start_mode": "Auto", "ok": True},
        "WAPCUpdaterSvc": {"exists": True, "status": "Running", "start_mode": "Auto", "ok": True},
        "W3SVC": {"exists": True, "status": "Running", "start_mode": "Auto", "ok": True},
        "PFXCertificateConnectorSvc": {"exists": True, "status": "Running", "start_mode": "Auto", "ok": True},
        "PKICertificateConnectorSvc": {"exists": False, "status": None, "start_mode": None, "ok": None},
        "NDESConnectorSvc": {"exists": False, "status": None, "start_mode": None, "ok": None},
    },
    "service_account": {"name": "SCEP (ApplicationPoolIdentity)", "status": "not_applicable", "sid": POOL_SID},
    "chain": {"checked": True, "revocation_unreachable": False},
    "capi2": {"log_exists": True, "enabled": False},
    "temp_acl": {"path": "C:\\Windows\\Temp", "network_service_can_write": True, "network_service_explicit": True},
    "pending_reboot": False,
    "unknown": [],
}


def healthy():
    return copy.deepcopy(_HEALTHY)


def args_of(spec, **given):
    """Module args with the spec's defaults, as validate_argument_spec would give them."""
    out = {name: copy.deepcopy(opt.get("default")) for name, opt in spec.items()}
    out.update(given)
    return out


def ensures(plan):
    return [(op_id, kind, args) for op_id, kind, args in plan.ops if not contract.is_read(kind)]


def ok(kind, before, after, changed=True, backup="backups/run/1.json"):
    result = {"kind": kind, "status": "ok", "changed": changed, "before": before, "after": after}
    if changed:
        result["backup"] = backup
    return result


def read_ok(kind, data):
    return {"kind": kind, "status": "ok", "data": data}
