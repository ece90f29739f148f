# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""capi2_log, mscep_templates, temp_acl, iis_restart, reboot decisions."""
from __future__ import annotations

import pytest

from fixes_helpers import args_of, ensures, healthy, ok, read_ok

from ansible_collections.ndes.scep.plugins.action import capi2_log, iis_restart, mscep_templates, reboot, temp_acl
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import capi2_log as capi2_fix
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import iis_restart as restart_fix
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import mscep_templates as templates_fix
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import reboot as reboot_fix
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import temp_acl as temp_fix


def args(action, **given):
    return args_of(action.ActionModule.ARGUMENT_SPEC, **given)


# ------------------------------------------------------------------ capi2_log
def test_capi2_enable_and_disable():
    a = args(capi2_log)
    assert ensures(capi2_fix.plan(a, healthy(), {})) == [
        ("capi2", "event_log_state", {"log": "Microsoft-Windows-CAPI2/Operational", "enabled": True})]
    assert capi2_fix.plan(args(capi2_log, enabled=False), healthy(), {}).ops == []
    facts = healthy()
    facts["capi2"]["enabled"] = None                      # unknown: ensure anyway
    assert capi2_fix.plan(args(capi2_log, enabled=False), facts, {}).ops


# ------------------------------------------------------------------ mscep_templates
def test_templates_only_the_wrong_values_are_written_and_iis_reset_asked():
    facts = healthy()
    facts["mscep_templates"].update(signature_template="IPSECIntermediateOffline",
                                    encryption_template="IPSECIntermediateOffline")
    plan = templates_fix.plan(args(mscep_templates, template="NDESIntune"), facts, {})
    assert [(i, a["value"], a["type"], a["path"]) for i, _k, a in ensures(plan)] == [
        ("SignatureTemplate", "NDESIntune", "REG_SZ", templates_fix.MSCEP_KEY),
        ("EncryptionTemplate", "NDESIntune", "REG_SZ", templates_fix.MSCEP_KEY)]
    assert c.shape(plan, True)["restarts"][0]["action"] == "reset"
    assert templates_fix.plan(args(mscep_templates, template="NDESIntune"), healthy(), {}).ops == []


def test_templates_display_name_warns_and_empty_refuses():
    plan = templates_fix.plan(args(mscep_templates, template="NDES Intune"), healthy(), {})
    assert "display name" in plan.warnings[0] and len(plan.ops) == 3
    with pytest.raises(c.FixError, match="template is empty"):
        templates_fix.plan(args(mscep_templates, template=" "), healthy(), {})


# ------------------------------------------------------------------ temp_acl
def test_temp_acl_grant_from_facts():
    facts = healthy()
    facts["temp_acl"]["network_service_can_write"] = False
    a = args(temp_acl)
    assert temp_fix.reads(a, facts) == []
    assert ensures(temp_fix.plan(a, facts, {})) == [
        ("acl", "folder_acl_grant", {"path": "C:\\Windows\\Temp", "sid": "S-1-5-20", "rights": "modify"})]
    assert temp_fix.plan(a, healthy(), {}).ops == []
    # write access only through Users (no explicit NetworkService ACE): the idempotent grant is sent
    facts = healthy()
    facts["temp_acl"].update(network_service_can_write=True, network_service_explicit=False)
    assert temp_fix.plan(a, facts, {}).ops


def test_temp_acl_other_sid_reads_the_acl():
    a = args(temp_acl, sid="S-1-5-19", rights="read")
    assert temp_fix.reads(a, healthy()) == [("acl", "folder_acl", {"path": "C:\\Windows\\Temp"})]
    reads = {"acl": read_ok("folder_acl", {"owner_sid": "S-1-5-18", "aces": [
        {"sid": "S-1-5-19", "rights": ["modify"], "type": "allow", "inherited": True}]})}
    assert temp_fix.plan(a, healthy(), reads).ops == []            # modify covers read
    with pytest.raises(c.FixError, match="not a SID"):
        temp_fix.plan(args(temp_acl, sid="NetworkService"), healthy(), {})


def test_temp_acl_finish():
    facts = healthy()
    facts["temp_acl"]["network_service_can_write"] = False
    plan = temp_fix.plan(args(temp_acl), facts, {})
    ace = {"sid": "S-1-5-20", "rights": ["modify"], "type": "allow", "inherited": False}
    good = {"acl": ok("folder_acl_grant", {"aces": []}, {"aces": [ace]})}
    assert temp_fix.finish(args(temp_acl), plan, good)[1] is None
    assert "still lacks" in temp_fix.finish(args(temp_acl), plan, {"acl": ok("folder_acl_grant", {}, {"aces": []})})[1]


# ------------------------------------------------------------------ iis_restart
def test_iis_restart_recycle_and_reset():
    plan = restart_fix.plan(args(iis_restart, pools=["scep"]), healthy(), {})
    assert ensures(plan) == [("recycle_0", "app_pool_state", {"name": "SCEP", "state": "recycled"})]
    assert ensures(restart_fix.plan(args(iis_restart, reset=True), healthy(), {})) == [("iisreset", "iis_reset", {})]
    assert ensures(restart_fix.plan(args(iis_restart, pools=["Any"]), {}, {}))[0][2]["name"] == "Any"   # no facts


@pytest.mark.parametrize("given,match", [({}, "Nothing to do"), ({"pools": ["SCEP"], "reset": True}, "not both"),
                                         ({"pools": ["NDES"]}, "No application pool named NDES.*DefaultAppPool")])
def test_iis_restart_errors(given, match):
    with pytest.raises(c.FixError, match=match):
        restart_fix.plan(args(iis_restart, **given), healthy(), {})


# ------------------------------------------------------------------ reboot
def test_reboot_decisions():
    assert reboot_fix.needs_facts(args(reboot)) is False
    assert ensures(reboot_fix.plan(args(reboot), {}, {}))[0][1] == "reboot"
    a = args(reboot, only_if_required=True)
    assert reboot_fix.needs_facts(a) is True
    assert reboot_fix.plan(a, healthy(), {}).ops == []
    facts = healthy()
    facts["pending_reboot"] = True
    assert reboot_fix.plan(a, facts, {}).fields["reboot_needed"] is True
    explicit = args(reboot, only_if_required=True, required=False)
    assert reboot_fix.needs_facts(explicit) is False and reboot_fix.plan(explicit, facts, {}).ops == []
    with pytest.raises(c.FixError, match="pending"):
        reboot_fix.plan(a, {}, {})
