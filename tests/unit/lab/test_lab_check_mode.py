# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode predicts every ensure kind and leaves the lab byte-identical; the real run changes it."""
from __future__ import annotations

import os

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import make_request
from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, certinfo, certstore, faults, layout

SVC_SID = "S-1-5-21-3623811015-3361044348-30300820-1105"


def thumbprint(root, store, template=None, oid=None):
    for entry in certstore.entries(root, store):
        t_oid, t_name = certinfo.template(entry["cert"])
        if template is None and oid is None or template == t_name or (oid and oid == t_oid):
            return entry["thumbprint"]
    raise AssertionError("no such certificate")


def ensure_args(root, kind):
    """Args for each ensure kind that change something on a healthy lab."""
    lab = faults.read_lab(root)
    return {
        "registry_value": {"path": r"HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters",
                           "name": "MaxFieldLength", "type": "REG_DWORD", "value": 1234},
        "iis_property": {"section": "system.webServer/security/requestFiltering/requestLimits",
                         "location": "Default Web Site", "commit_path": "MACHINE/WEBROOT/APPHOST",
                         "attributes": {"maxUrl": 4096}},
        "user_right_grant": {"right": "SeImpersonatePrivilege", "remove": ["S-1-5-32-568"]},
        "app_pool_state": {"name": "SCEP", "state": "stopped", "auto_start": False},
        "service_state": {"name": "WAPCSvc", "state": "stopped", "start_mode": "manual"},
        "cert_move": {"thumbprint": thumbprint(root, "Root"), "from_store": "Root", "to_store": "CA"},
        "key_acl_grant": {"thumbprint": thumbprint(root, "My", "WebServer"), "store": "My", "sid": SVC_SID,
                          "rights": "read"},
        "folder_acl_grant": {"path": r"C:\Windows\Temp", "sid": "S-1-5-32-545", "rights": "modify"},
        "event_log_state": {"log": "Microsoft-Windows-CAPI2/Operational", "enabled": True},
        "iis_reset": {},
        "cert_enroll": {"ca": lab["ca_config"], "template": "WebServer", "subject": "CN=web.contoso.com, O=Contoso",
                        "san_dns": ["web.contoso.com"], "context": "machine"},
        "cert_archive": {"thumbprint": thumbprint(root, "My", "WebServer"), "store": "My"},
        "restore": {"run_id": "earlier"},
        "reboot": {"reason": "test"},
        "lab_inject": {"latency": 0.25},
    }[kind]


def run(root, kind, args, check, run_id="r1"):
    request = make_request([("op", kind, args)], check, run_id=run_id)
    return agent.handle(root, request)["results"][0]


@pytest.mark.parametrize("kind", contract.kinds_of(contract.ENSURE))
def test_check_mode_changes_nothing_and_real_run_does(kind, healthy_lab):
    root = healthy_lab
    if kind == "restore":  # something to restore: a real change under run "earlier"
        run(root, "registry_value", ensure_args(root, "registry_value"), False, run_id="earlier")
    args = ensure_args(root, kind)
    before = layout.state_digest(root)
    backups_before = sorted(os.listdir(layout.path(root, layout.BACKUPS))) if kind == "restore" else []

    predicted = run(root, kind, args, check=True)
    assert predicted["status"] == "ok", predicted
    assert predicted["changed"] is True
    assert "backup" not in predicted
    assert layout.state_digest(root) == before
    assert not os.path.exists(layout.path(root, layout.INJECT))
    assert (sorted(os.listdir(layout.path(root, layout.BACKUPS))) if kind == "restore" else []) == backups_before
    assert not os.path.exists(os.path.join(layout.path(root, layout.BACKUPS), "r1"))

    real = run(root, kind, args, check=False)
    assert real["status"] == "ok", real
    assert real["changed"] is True
    if kind == "lab_inject":
        assert os.path.exists(layout.path(root, layout.INJECT))
    else:
        assert layout.state_digest(root) != before
    if kind not in ("iis_reset", "reboot", "lab_inject", "restore"):
        assert real["backup"].startswith(os.path.join(root, "backups", "r1"))
        assert os.path.isfile(real["backup"])
    if kind not in ("iis_reset", "reboot", "cert_enroll", "restore"):
        assert real["after"] == predicted["after"]


def test_check_mode_predicts_iis_effective_value_with_a_deeper_override(make_lab):
    root = make_lab([{"id": "request_limits", "variant": "webconfig"}])
    args = {"section": "system.webServer/security/requestFiltering/requestLimits", "location": "Default Web Site/certsrv/mscep",
            "commit_path": "MACHINE/WEBROOT/APPHOST", "commit_location": "Default Web Site",
            "attributes": {"maxUrl": 65534, "maxQueryString": 65534}}
    before = layout.state_digest(root)
    result = run(root, "iis_property", args, check=True)
    # apphost already says 65534 there; the site's web.config keeps the effective values low
    assert result["changed"] is False
    assert result["after"]["attributes"] == {"maxUrl": 4096, "maxQueryString": 2048}
    assert any("deeper configuration level" in w for w in result["warnings"])
    args["commit_path"] = "MACHINE/WEBROOT/APPHOST/Default Web Site"
    del args["commit_location"]
    result = run(root, "iis_property", args, check=True)
    assert result["changed"] is True and result["after"]["attributes"] == {"maxUrl": 65534, "maxQueryString": 65534}
    assert layout.state_digest(root) == before
