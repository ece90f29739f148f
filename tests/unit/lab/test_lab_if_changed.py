# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab agent's ``if_changed``: a restart rides in a fix's call and runs only when the fix changed something."""
from __future__ import annotations

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import ContractError, make_request
from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, boot, layout, pools

HTTP = r"HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"


def send(root, ops, check=False):
    return {r["id"]: r for r in agent.handle(root, make_request(ops, check, run_id="20261125T210000Z-0000aa"))["results"]}


def dword(op_id, value, name="MaxFieldLength"):
    return (op_id, "registry_value", {"path": HTTP, "name": name, "type": "REG_DWORD", "value": value})


def resets(root):
    return boot.load(root).get("iis_resets", 0)


def recycles(root, pool="SCEP"):
    return pools.runtime(root).get(pool, {}).get("recycles", 0)


def test_the_restart_runs_when_a_named_ensure_changed(healthy_lab):
    results = send(healthy_lab, [dword("same", 65534), dword("set", 1234, "MaxRequestBytes"),
                                 ("reset", "iis_reset", {}, ["same", "set"]),
                                 ("recycle", "app_pool_state", {"name": "SCEP", "state": "recycled"}, ["set"])])
    assert results["same"]["changed"] is False and results["set"]["changed"] is True
    assert results["reset"]["changed"] is True and results["reset"]["after"]["reset_at"]
    assert "skipped" not in results["reset"] and "skipped" not in results["recycle"]
    assert resets(healthy_lab) == 1 and recycles(healthy_lab) == 1


def test_the_restart_is_skipped_when_nothing_it_names_changed(healthy_lab):
    before = layout.state_digest(healthy_lab)
    results = send(healthy_lab, [dword("same", 65534),
                                 ("reset", "iis_reset", {}, ["same"]),
                                 ("recycle", "app_pool_state", {"name": "SCEP", "state": "recycled"}, ["same", "reset"]),
                                 ("read", "app_pools", {})])
    for op_id in ("reset", "recycle"):
        assert results[op_id] == {"id": op_id, "kind": results[op_id]["kind"], "status": "ok", "changed": False,
                                  "before": {}, "after": {}, "skipped": True}
    assert results["read"]["status"] == "ok"
    assert layout.state_digest(healthy_lab) == before and resets(healthy_lab) == 0 and recycles(healthy_lab) == 0


def test_an_unconditional_restart_still_runs_next_to_a_skipped_one(healthy_lab):
    results = send(healthy_lab, [dword("same", 65534), ("reset", "iis_reset", {}),
                                 ("recycle", "app_pool_state", {"name": "SCEP", "state": "recycled"}, ["same"])])
    assert results["reset"]["changed"] is True and results["recycle"]["skipped"] is True
    assert resets(healthy_lab) == 1 and recycles(healthy_lab) == 0


def test_check_mode_runs_it_when_a_named_ensure_would_change_and_writes_nothing(healthy_lab):
    before = layout.state_digest(healthy_lab)
    results = send(healthy_lab, [dword("set", 1234), ("reset", "iis_reset", {}, ["set"]),
                                 dword("same", 65534, "MaxRequestBytes"),
                                 ("recycle", "app_pool_state", {"name": "SCEP", "state": "recycled"}, ["same"])],
                   check=True)
    assert results["set"]["changed"] is True
    assert results["reset"]["changed"] is True and "skipped" not in results["reset"]     # predicted
    assert results["recycle"]["skipped"] is True
    assert layout.state_digest(healthy_lab) == before and resets(healthy_lab) == 0


def test_a_failed_ensure_before_it_makes_it_not_run(healthy_lab):
    results = send(healthy_lab, [dword("set", 1234),
                                 ("bad", "app_pool_state", {"name": "NoSuchPool", "state": "started"}),
                                 ("reset", "iis_reset", {}, ["set"])])
    assert results["bad"]["status"] == "failed" and results["reset"]["status"] == "not_run"
    assert resets(healthy_lab) == 0


@pytest.mark.parametrize("ops,message", [
    ([("reset", "iis_reset", {}, ["set"]), dword("set", 1)], "not an earlier ensure"),
    ([("read", "app_pools", {}), ("reset", "iis_reset", {}, ["read"])], "not an earlier ensure"),
    ([dword("set", 1), ("read", "app_pools", {}, ["set"])], "only an ensure can be conditional"),
])
def test_the_lab_refuses_if_changed_that_names_no_earlier_ensure(healthy_lab, ops, message):
    request = {"version": 1, "check_mode": False,
               "ops": [dict({"id": op[0], "kind": op[1], "args": op[2]}, **({"if_changed": op[3]} if len(op) > 3 else {}))
                       for op in ops]}
    before = layout.state_digest(healthy_lab)
    with pytest.raises(ContractError, match=message):
        agent.handle(healthy_lab, request)
    assert layout.state_digest(healthy_lab) == before
