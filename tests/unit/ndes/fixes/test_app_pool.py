# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""app_pool: start only when no known crash cause remains; unknown pool lists the pools."""
from __future__ import annotations

import pytest

from fixes_helpers import args_of, ensures, healthy, ok

from ansible_collections.ndes.scep.plugins.action.app_pool import ActionModule
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import app_pool as fix


def args(**given):
    return args_of(ActionModule.ARGUMENT_SPEC, **given)


def stopped(facts=None):
    facts = facts or healthy()
    facts["app_pools"][1].update(state="Stopped", auto_start=False)
    return facts


def test_started_pool_is_a_no_op():
    assert fix.plan(args(), healthy(), {}).ops == []


def test_stopped_pool_is_started_with_auto_start():
    plan = fix.plan(args(), stopped(), {})
    assert ensures(plan) == [("pool", "app_pool_state", {"name": "SCEP", "state": "started", "auto_start": True})]


def test_pool_name_is_matched_case_insensitively():
    assert ensures(fix.plan(args(name="scep"), stopped(), {}))[0][2]["name"] == "SCEP"


def test_unknown_pool_lists_the_existing_ones():
    with pytest.raises(c.FixError, match="no application pool 'NDES'.*DefaultAppPool, SCEP"):
        fix.plan(args(name="NDES"), healthy(), {})


@pytest.mark.parametrize("fault,mutate,fixer", [
    ("ROOT_INTERMEDIATES", lambda f: f["root_store"].update(count=1), "ndes.scep.root_store"),
    ("CRS_WINDOWS_AUTH", lambda f: f["iis"]["certreg_auth"].update(ok=False), "ndes.scep.certreg_auth"),
    ("POLICY_CERT_EXPIRED", lambda f: f["policy_cert"].update(problem="keyless"), "ndes.scep.policy_cert"),
    ("CRL_UNREACHABLE", lambda f: f["chain"].update(revocation_unreachable=True), "CRL/AIA"),
])
def test_each_crash_cause_refuses_and_names_its_fixer(fault, mutate, fixer):
    facts = stopped()
    mutate(facts)
    plan = fix.plan(args(), facts, {})
    assert plan.ops == [] and fault in plan.error and fixer in plan.error and "force=true" in plan.error
    assert plan.fields["crash_causes"] == [fault]
    assert fix.refresh(args(), facts) is True        # facts handed in are re-read before refusing


def test_force_starts_anyway_with_a_warning():
    facts = stopped()
    facts["root_store"]["count"] = 2
    plan = fix.plan(args(force=True), facts, {})
    assert ensures(plan)[0][1] == "app_pool_state" and "force=true" in plan.warnings[0]
    assert fix.refresh(args(force=True), facts) is False


def test_unknown_cause_facts_are_not_causes():
    facts = stopped()
    facts["chain"]["revocation_unreachable"] = None
    facts["policy_cert"]["problem"] = None
    assert fix.crash_causes(facts) == []
    assert fix.refresh(args(), facts) is False


def test_finish_reports_a_pool_that_stopped_again():
    plan = fix.plan(args(), stopped(), {})
    crashed = {"pool": ok("app_pool_state", {"state": "Stopped", "auto_start": False},
                          {"state": "Stopped", "auto_start": True})}
    fields, error = fix.finish(args(), plan, crashed)
    assert fields["state_after"] == "Stopped" and "event 1000" in error
    good = {"pool": ok("app_pool_state", {"state": "Stopped", "auto_start": False},
                       {"state": "Started", "auto_start": True})}
    assert fix.finish(args(), plan, good)[1] is None
    assert c.shape(plan, True)["restart_required"] is False
