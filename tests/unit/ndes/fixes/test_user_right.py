# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""user_right: grant by SID, names resolved, GPO reported instead of fought."""
from __future__ import annotations

import pytest

from fixes_helpers import args_of, ensures, healthy, ok, read_ok

from ansible_collections.ndes.scep.plugins.action.user_right import ActionModule
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import user_right as fix

IIS_IUSRS = "S-1-5-32-568"


def args(**given):
    return args_of(ActionModule.ARGUMENT_SPEC, **given)


def missing_right(gpo=None):
    facts = healthy()
    imp = facts["user_rights"]["impersonate"]
    imp["holders"] = ["S-1-5-19", "S-1-5-20", "S-1-5-32-544", "S-1-5-6"]
    if gpo:
        imp.update(gpo_defined=True, gpo_source=gpo, gpo_holders=["S-1-5-32-544"])
    return facts


def test_held_right_is_a_no_op():
    plan = fix.plan(args(), healthy(), {})
    assert plan.ops == [] and plan.fields["missing"] == []
    assert fix.reads(args(), healthy()) == []


def test_missing_right_is_granted_by_sid_and_pool_recycle_asked():
    plan = fix.plan(args(), missing_right(), {})
    assert ensures(plan) == [("grant", "user_right_grant", {"right": "SeImpersonatePrivilege", "add": [IIS_IUSRS]})]
    shaped = c.shape(plan, changed=True)
    assert shaped["restart_required"] is True
    assert shaped["restarts"][0]["kind"] == "app_pool" and shaped["restarts"][0]["name"] == "SCEP"
    assert shaped["restarts"][0]["action"] == "recycle"


def test_sid_spelling_is_normalized():
    plan = fix.plan(args(principals=["s-1-5-32-568 "]), missing_right(), {})
    assert plan.ops[0][2]["add"] == [IIS_IUSRS]


def test_gpo_defined_right_is_reported_not_changed():
    plan = fix.plan(args(), missing_right(gpo="Default Domain Controllers Policy"), {})
    assert plan.ops == []
    assert plan.fields["gpo_blocked"] is True
    assert plan.fields["gpo_source"] == "Default Domain Controllers Policy"
    assert "override_gpo=true" in plan.warnings[0]


def test_override_gpo_grants_and_warns():
    plan = fix.plan(args(override_gpo=True), missing_right(gpo="Hardening GPO"), {})
    assert ensures(plan)[0][2] == {"right": "SeImpersonatePrivilege", "add": [IIS_IUSRS], "override_gpo": True}
    assert "reverted" in plan.warnings[0] and "Hardening GPO" in plan.warnings[0]


def test_names_are_resolved_through_a_read():
    a = args(principals=["CONTOSO\\svc-ndes", IIS_IUSRS])
    assert fix.reads(a, missing_right()) == [("resolve", "resolve_principal", {"names": ["CONTOSO\\svc-ndes"]})]
    reads = {"resolve": read_ok("resolve_principal", {"principals": {"CONTOSO\\svc-ndes": "S-1-5-21-1-2-3-1105"}})}
    plan = fix.plan(a, missing_right(), reads)
    assert plan.ops[0][2]["add"] == [IIS_IUSRS, "S-1-5-21-1-2-3-1105"]


def test_unknown_name_says_what_to_do():
    reads = {"resolve": read_ok("resolve_principal", {"principals": {"nobody": None}})}
    with pytest.raises(c.FixError, match="nobody.*give the SID"):
        fix.plan(args(principals=["nobody"]), healthy(), reads)


def test_other_rights_are_read_not_gathered():
    a = args(right="SeServiceLogonRight", principals=["S-1-5-21-1-2-3-1105"])
    assert fix.needs_facts(a) is False
    assert fix.reads(a, None) == [("right", "user_right", {"right": "SeServiceLogonRight"})]
    reads = {"right": read_ok("user_right", {"holders": [], "gpo_defined": False, "gpo_holders": []})}
    assert ensures(fix.plan(a, {}, reads))[0][2]["add"] == ["S-1-5-21-1-2-3-1105"]


def test_finish_checks_holders_after():
    plan = fix.plan(args(), missing_right(), {})
    good = {"grant": ok("user_right_grant", {"holders": []}, {"holders": [IIS_IUSRS]})}
    assert fix.finish(args(), plan, good) == ({"holders": [IIS_IUSRS], "missing": []}, None)
    bad = {"grant": ok("user_right_grant", {"holders": []}, {"holders": []}, changed=False)}
    fields, error = fix.finish(args(), plan, bad)
    assert fields["missing"] == [IIS_IUSRS] and "still lacks" in error


def gpo_unknown():
    facts = missing_right()
    facts["user_rights"]["impersonate"].update(gpo_defined=None, gpo_holders=None, gpo_source=None)
    return facts


def test_unknown_gpo_definition_refuses_the_grant_and_changes_nothing():
    plan = fix.plan(args(), gpo_unknown(), {})
    assert plan.ops == [] and plan.restarts == []
    assert plan.fields["gpo_blocked"] is True and plan.fields["gpo_defined"] is None
    assert plan.fields["missing"] == [IIS_IUSRS]
    warning = plan.warnings[0]
    assert "Could not read the GPO definition of SeImpersonatePrivilege (RSOP)" in warning
    assert "root\\rsop\\computer" in warning and "override_gpo" in warning
    assert c.shape(plan, changed=False)["restart_required"] is False


def test_unknown_gpo_definition_with_override_grants_with_override_and_warns():
    plan = fix.plan(args(override_gpo=True), gpo_unknown(), {})
    assert ensures(plan) == [("grant", "user_right_grant",
                              {"right": "SeImpersonatePrivilege", "add": [IIS_IUSRS], "override_gpo": True})]
    assert "could not be read" in plan.warnings[0]


def test_unknown_gpo_definition_does_not_matter_when_the_right_is_held():
    facts = healthy()
    facts["user_rights"]["impersonate"]["gpo_defined"] = None
    plan = fix.plan(args(), facts, {})
    assert plan.ops == [] and plan.warnings == [] and "gpo_blocked" not in plan.fields


def test_unknown_gpo_definition_from_a_direct_read_is_refused_too():
    a = args(right="SeServiceLogonRight", principals=["S-1-5-21-1-2-3-1105"])
    reads = {"right": read_ok("user_right", {"holders": [], "gpo_defined": None, "gpo_holders": [],
                                             "gpo_source": None})}
    plan = fix.plan(a, {}, reads)
    assert plan.ops == [] and plan.fields["gpo_blocked"] is True and "RSOP" in plan.warnings[0]
