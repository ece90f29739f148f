# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""root_store: move non-self-signed certs Root -> CA; GPO-placed ones reported; reboot."""
from __future__ import annotations

from fixes_helpers import args_of, ensures, healthy, ok

from ansible_collections.ndes.scep.plugins.action.root_store import ActionModule
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import root_store as fix

A, B, G = "A" * 40, "B" * 40, "C" * 40


def args(**given):
    return args_of(ActionModule.ARGUMENT_SPEC, **given)


def with_intermediates():
    facts = healthy()
    facts["root_store"] = {"count": 3, "gpo_placed_count": 1, "non_self_signed": [
        {"thumbprint": A, "subject": "CN=Issuing A", "issuer": "CN=Root", "gpo_placed": False},
        {"thumbprint": B, "subject": "CN=Issuing B", "issuer": "CN=Root", "gpo_placed": False},
        {"thumbprint": G, "subject": "CN=Issuing G", "issuer": "CN=Root", "gpo_placed": True}]}
    return facts


def test_clean_root_is_a_no_op():
    plan = fix.plan(args(), healthy(), {})
    assert plan.ops == [] and c.shape(plan, False)["reboot_required"] is False


def test_moves_all_but_gpo_placed_and_asks_for_a_reboot():
    plan = fix.plan(args(), with_intermediates(), {})
    assert [(a["thumbprint"], a["from_store"], a["to_store"]) for _i, k, a in ensures(plan)] == [
        (A, "Root", "CA"), (B, "Root", "CA")]
    assert [e["thumbprint"] for e in plan.fields["gpo_placed"]] == [G]
    assert G in plan.warnings[0] and "GPO" in plan.warnings[0]
    shaped = c.shape(plan, True)
    assert shaped["reboot_required"] is True and "reboot" in shaped["reboot_reasons"][0]


def test_exclude_keeps_a_certificate():
    plan = fix.plan(args(exclude=[B.lower()]), with_intermediates(), {})
    assert [a["thumbprint"] for _i, _k, a in plan.ops] == [A]
    assert [e["thumbprint"] for e in plan.fields["excluded"]] == [B]


def test_only_gpo_placed_changes_nothing():
    facts = with_intermediates()
    facts["root_store"]["non_self_signed"] = facts["root_store"]["non_self_signed"][2:]
    plan = fix.plan(args(), facts, {})
    assert plan.ops == [] and plan.warnings


def test_finish_detects_a_certificate_still_in_root():
    plan = fix.plan(args(), with_intermediates(), {})
    ids = [i for i, _k, _a in plan.ops]
    results = {ids[0]: ok("cert_move", {"stores": ["Root"]}, {"stores": ["CA"]}),
               ids[1]: ok("cert_move", {"stores": ["Root"]}, {"stores": ["Root", "CA"]})}
    _fields, error = fix.finish(args(), plan, results)
    assert B in error and A not in error
