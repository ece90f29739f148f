# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each fix action over a real lab NDES, in-process: fixes its fault, idempotent, check mode, call counts, backups.

The same flows run through ansible-playbook in tests/integration/test_fixes.py; here every fault
variant runs in well under a second.
"""
from __future__ import annotations

import os

import pytest

import lab_flow as lf

from ansible_collections.ndes.scep.plugins.module_utils._lab import certs, certstore, healthy, rights
from ansible_collections.ndes.scep.plugins.module_utils._ndes import remediate_plan as rp

FQDN = "ndes01.contoso.com"


def renewed_policy_cert(root):
    """What an admin does before policy_cert: enrol a new Client Authentication certificate for the host."""
    cert, key = certs.issue(root, certs.name(FQDN), "NDESPolicyClientAuth", [FQDN], key=certs.new_key())
    return certstore.add(root, "My", cert, key, {"key_acl": healthy.admin_key_acl()})


def _fault(fid, variant=None):
    return {"id": fid, "variant": variant} if variant else fid


# (fault, variant, module, args, prepare(root), fixed(facts))
FIXABLE = [
    ("impersonate_right", "local", "user_right", {}, None, lambda f: f["user_rights"]["impersonate"]["iis_iusrs_holds"]),
    ("app_pool_stopped", None, "app_pool", {}, None, lambda f: f["scep_pool"]["started"] and f["scep_pool"]["auto_start"]),
    ("root_intermediates", "local", "root_store", {}, None, lambda f: f["root_store"]["count"] == 0),
    ("crs_windows_auth", None, "certreg_auth", {}, None, lambda f: f["iis"]["certreg_auth"]["ok"]),
    ("policy_cert_expired", "expired", "policy_cert", {"auto": True}, renewed_policy_cert,
     lambda f: f["policy_cert"]["problem"] == "none" and f["policy_cert"]["stored_normalized"]),
    ("policy_cert_expired", "missing", "policy_cert", {"auto": True}, renewed_policy_cert,
     lambda f: f["policy_cert"]["problem"] == "none"),
    ("policy_cert_expired", "keyless", "policy_cert", {"auto": True}, renewed_policy_cert,
     lambda f: f["policy_cert"]["problem"] == "none"),
    ("policy_cert_expired", "no_client_auth_eku", "policy_cert", {"auto": True}, renewed_policy_cert,
     lambda f: f["policy_cert"]["problem"] == "none"),
    ("proxy_connector_down", "stopped", "connector_service", {}, None, lambda f: f["services"]["WAPCSvc"]["ok"]),
    ("request_limits", "apphost", "request_limits", {}, None, lambda f: f["iis"]["request_limits"]["ok"]),
    ("request_limits", "webconfig", "request_limits", {}, None, lambda f: f["iis"]["request_limits"]["ok"]),
    ("httpsys_limits", "absent", "request_limits", {}, None,
     lambda f: f["httpsys"]["set_ok"] and f["httpsys"]["pending_reboot"]),
    ("httpsys_limits", "low", "request_limits", {}, None,
     lambda f: f["httpsys"]["set_ok"] and f["httpsys"]["pending_reboot"]),
    ("httpsys_limits", "pending", "reboot", {"only_if_required": True}, None,
     lambda f: f["httpsys"]["ok"] and not f["pending_reboot"]),
    ("mscep_templates", "ipsec", "mscep_templates", {"template": healthy.SCEP_TEMPLATE}, None,
     lambda f: not f["mscep_templates"]["all_default"]),
    ("mscep_templates", "display_name", "mscep_templates", {"template": healthy.SCEP_TEMPLATE}, None,
     lambda f: f["mscep_templates"]["signature_template"] == healthy.SCEP_TEMPLATE),
    ("temp_acl", None, "temp_acl", {}, None, lambda f: f["temp_acl"]["network_service_explicit"]),
    ("ra_key_acl", None, "ra_certs", {}, None, lambda f: f["ra_certs"]["acl_missing"] == []),
    ("connector_health", "stopped", "connector_service", {"certificate_connector": True}, None,
     lambda f: f["services"]["PFXCertificateConnectorSvc"]["ok"]),
    ("crl_unreachable", None, "capi2_log", {}, None, lambda f: f["capi2"]["enabled"]),
]
IDS = ["%s-%s" % (row[0], row[1] or "default") for row in FIXABLE]


@pytest.mark.parametrize("fid,variant,module,args,prepare,fixed", FIXABLE, ids=IDS)
def test_fix_with_facts_fixes_backs_up_and_is_idempotent(tmp_path, fid, variant, module, args, prepare, fixed):
    root = lf.make_lab(tmp_path / "lab", [_fault(fid, variant)])
    if prepare:
        prepare(root)
    facts = lf.info(root)
    assert not fixed(facts)

    before = lf.digest(root)
    checked, calls, _requests = lf.run(module, root, check=True, facts=facts, **args)
    assert lf.digest(root) == before, "check mode changed the lab"
    assert checked["changed"] is True and not checked.get("failed"), checked.get("msg")
    assert calls == 1 and checked["backup"] is None

    result, calls, requests = lf.run(module, root, facts=facts, **args)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True and calls == 1
    assert len(requests) == 1 and all(op["kind"] != "system" for op in requests[0]["ops"])
    if module != "reboot":
        assert result["backup"]["items"] and all(os.path.exists(p) for p in result["backup"]["items"])
        assert result["backup"]["run_id"] == requests[0]["run_id"]
    assert result["diff"]["before"] != result["diff"]["after"]
    assert fixed(lf.info(root))

    again, calls, _requests = lf.run(module, root, facts=lf.info(root), **args)
    assert again["changed"] is False and calls == 0 and not again.get("failed")


@pytest.mark.parametrize("fid,variant,module,args", [
    ("request_limits", "webconfig", "request_limits", {}),
    ("impersonate_right", "local", "user_right", {}),
    ("root_intermediates", "local", "root_store", {}),
    ("app_pool_stopped", None, "app_pool", {}),
    ("ra_key_acl", None, "ra_certs", {}),
])
def test_fix_without_facts_reads_once_then_ensures_once(tmp_path, fid, variant, module, args):
    root = lf.make_lab(tmp_path / "lab", [_fault(fid, variant)])
    result, calls, requests = lf.run(module, root, **args)
    assert result["changed"] is True and calls == 2, result.get("msg")
    assert all(op["kind"] in ("system",) or not op["kind"].endswith("_grant") for op in requests[0]["ops"])
    again, calls, _requests = lf.run(module, root, **args)
    assert again["changed"] is False and calls == 1


def test_request_limits_reports_reboot_until_the_lab_boots(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [{"id": "httpsys_limits", "variant": "absent"}])
    result, _calls, _requests = lf.run("request_limits", root, facts=lf.info(root))
    assert result["reboot_required"] is True and result["restart_required"] is False
    still, calls, _requests = lf.run("request_limits", root, facts=lf.info(root))
    assert still["changed"] is False and still["reboot_required"] is True and calls == 0
    booted, _calls, _requests = lf.run("reboot", root, only_if_required=True, required=still["reboot_required"])
    assert booted["rebooted"] is True
    after, _calls, _requests = lf.run("request_limits", root, facts=lf.info(root))
    assert after["reboot_required"] is False


def test_request_limits_webconfig_is_written_to_the_site_web_config(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [{"id": "request_limits", "variant": "webconfig"}])
    result, _calls, requests = lf.run("request_limits", root, facts=lf.info(root), scope=["iis"])
    (op,) = [o for o in requests[0]["ops"] if o["kind"] == "iis_property"]
    assert op["args"]["commit_path"] == "MACHINE/WEBROOT/APPHOST/Default Web Site"
    assert result["iis"]["maxUrl"]["effective_after"] == 65534
    assert any(p.endswith("web.config") for p in result["backup"]["items"])


# ------------------------------------------------------------------ report-only faults stay reported
def test_gpo_defined_right_is_reported_and_left_alone(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [{"id": "impersonate_right", "variant": "gpo"}])
    before = lf.digest(root)
    result, calls, _requests = lf.run("user_right", root, facts=lf.info(root))
    assert result["changed"] is False and calls == 0 and result["gpo_blocked"] is True
    assert result["gpo_source"] == "NDES Server Baseline" and "override_gpo" in result["warnings"][0]
    assert lf.digest(root) == before


def test_gpo_defined_right_with_override(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [{"id": "impersonate_right", "variant": "gpo"}])
    result, calls, _requests = lf.run("user_right", root, facts=lf.info(root), override_gpo=True)
    assert result["changed"] is True and calls == 1 and "reverted" in " ".join(result["warnings"])


def test_unreadable_rsop_refuses_the_grant_end_to_end(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [{"id": "impersonate_right", "variant": "local"}])
    rights.set_rsop_readable(root, False)
    facts = lf.info(root)
    assert facts["user_rights"]["impersonate"]["gpo_defined"] is None
    assert rp.fix_plan(facts, {}) == []
    before = lf.digest(root)
    result, calls, _requests = lf.run("user_right", root, facts=facts)
    assert result["changed"] is False and calls == 0 and result["gpo_blocked"] is True
    assert result["gpo_defined"] is None and "RSOP" in result["warnings"][0]
    assert lf.digest(root) == before
    result, calls, _requests = lf.run("user_right", root, facts=facts, override_gpo=True)
    assert result["changed"] is True and calls == 1
    assert lf.info(root)["user_rights"]["impersonate"]["iis_iusrs_holds"] is True


def test_gpo_placed_root_certificate_is_reported_not_moved(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [{"id": "root_intermediates", "variant": "gpo"}])
    before = lf.digest(root)
    result, calls, _requests = lf.run("root_store", root, facts=lf.info(root))
    assert result["changed"] is False and calls == 0 and len(result["gpo_placed"]) == 1
    assert lf.digest(root) == before and lf.info(root)["root_store"]["count"] == 1


def test_absent_proxy_connector_is_not_installed_here(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [{"id": "proxy_connector_down", "variant": "absent"}])
    result, _calls, _requests = lf.run("connector_service", root, facts=lf.info(root))
    assert not result.get("failed") and result["not_installed"] == ["WAPCSvc", "WAPCUpdaterSvc"]
    required, _calls, _requests = lf.run("connector_service", root, facts=lf.info(root), required=True)
    assert required["failed"] and "not installed" in required["msg"]


@pytest.mark.parametrize("variant", ["expired", "missing"])
def test_unusable_ra_certificates_fail_with_the_next_step(tmp_path, variant):
    root = lf.make_lab(tmp_path / "lab", [{"id": "ra_cert_expired", "variant": variant}])
    before = lf.digest(root)
    result, _calls, _requests = lf.run("ra_certs", root, facts=lf.info(root))
    assert result["failed"] and "ndes.scep.ra_renew" in result["msg"]
    assert lf.digest(root) == before


def test_expiring_ra_certificates_warn_with_days_left(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [{"id": "ra_cert_expired", "variant": "expiring"}])
    result, calls, _requests = lf.run("ra_certs", root, facts=lf.info(root))
    assert not result.get("failed") and calls == 0 and result["min_days_left"] <= 15
    assert "expires in" in result["warnings"][0]


def test_crl_unreachable_stays_reported_after_capi2_log(tmp_path):
    root = lf.make_lab(tmp_path / "lab", ["crl_unreachable"])
    lf.run("capi2_log", root, facts=lf.info(root))
    assert lf.info(root)["chain"]["revocation_unreachable"] is True


def test_policy_cert_refuses_an_expired_certificate_and_changes_nothing(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [{"id": "policy_cert_expired", "variant": "expired"}])
    facts = lf.info(root)
    before = lf.digest(root)
    result, _calls, _requests = lf.run("policy_cert", root, facts=facts, thumbprint=facts["policy_cert"]["thumbprint"])
    assert result["failed"] and "has expired" in result["msg"] and lf.digest(root) == before
    result, _calls, _requests = lf.run("policy_cert", root, facts=facts, auto=True)
    assert result["failed"] and "auto found no certificate" in result["msg"]


def test_policy_cert_explicit_thumbprint_with_spaces_and_lrm(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [{"id": "policy_cert_expired", "variant": "expired"}])
    facts = lf.info(root)
    new = renewed_policy_cert(root)           # enrolled after the facts were gathered
    pasted = "\u200e" + " ".join(new[i:i + 2] for i in range(0, 40, 2)).lower()
    result, calls, _requests = lf.run("policy_cert", root, facts=facts, thumbprint=pasted)
    assert result["changed"] is True and calls == 2          # not in the facts: one My read, then the write
    assert result["stored_after"] == new.lower()
    assert [r["name"] for r in result["restarts"] if r["kind"] == "service"] == [
        "PFXCertificateConnectorSvc", "PKICertificateConnectorSvc", "W3SVC"]      # the connector services installed
    assert result["restarts"][-1]["action"] == "reinstall"
    assert lf.info(root)["policy_cert"]["value"] == new.lower()


def test_app_pool_refuses_while_a_crash_cause_remains(tmp_path):
    root = lf.make_lab(tmp_path / "lab", ["app_pool_stopped", "crs_windows_auth"])
    facts = lf.info(root)
    result, _calls, _requests = lf.run("app_pool", root, facts=facts)
    assert result["failed"] and "CRS_WINDOWS_AUTH with ndes.scep.certreg_auth" in result["msg"]
    lf.run("certreg_auth", root, facts=facts)
    # the facts are stale now: app_pool reads again before refusing, and starts the pool
    result, calls, _requests = lf.run("app_pool", root, facts=facts)
    assert result["changed"] is True and calls == 2, result.get("msg")


def test_app_pool_unknown_name_lists_pools(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [])
    result, _calls, _requests = lf.run("app_pool", root, facts=lf.info(root), name="NDES")
    assert result["failed"] and "SCEP" in result["msg"] and "DefaultAppPool" in result["msg"]


def test_iis_restart_recycles_and_resets(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [])
    result, calls, _requests = lf.run("iis_restart", root, pools=["SCEP"])
    assert result["changed"] is True and calls == 1
    result, calls, _requests = lf.run("iis_restart", root, reset=True)
    assert result["changed"] is True and calls == 1
    before = lf.digest(root)
    lf.run("iis_restart", root, check=True, reset=True)
    assert lf.digest(root) == before


def test_connector_service_restarted_for_handlers(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [])
    before = lf.digest(root)
    checked, _calls, _requests = lf.run("connector_service", root, check=True, facts=lf.info(root),
                                        certificate_connector=True, state="restarted")
    assert checked["changed"] is True and lf.digest(root) == before
    result, calls, requests = lf.run("connector_service", root, facts=lf.info(root), certificate_connector=True,
                                     state="restarted")
    assert result["changed"] is True and calls == 1 and not result.get("failed"), result.get("msg")
    assert [op["args"]["state"] for op in requests[0]["ops"]] == ["restarted"] * 4
