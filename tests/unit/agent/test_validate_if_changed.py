# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract's ``if_changed`` op field and ``skipped`` result field, as the validator checks them."""
from __future__ import annotations

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract as c
from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import (
    ContractError, make_request, validate_request, validate_response)

HTTP = r"HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"
SET = ("set", "registry_value", {"path": HTTP, "name": "MaxFieldLength", "type": "REG_DWORD", "value": 65534})
READ = ("read", "registry_key", {"path": HTTP})


def ensure_result(op_id, kind, changed, **extra):
    before = {"reset_at": None} if kind == "iis_reset" else {"value": 1}
    out = {"id": op_id, "kind": kind, "status": "ok", "changed": changed, "before": before, "after": before}
    out.update(extra)
    return out


def response(*results):
    return {"version": c.CONTRACT_VERSION, "results": list(results)}


def test_make_request_carries_if_changed_only_where_given():
    request = make_request([SET, ("reset", "iis_reset", {}, ["set"])], False)
    assert request["ops"][0] == {"id": "set", "kind": "registry_value", "args": SET[2]}
    assert request["ops"][1] == {"id": "reset", "kind": "iis_reset", "args": {}, "if_changed": ["set"]}


@pytest.mark.parametrize("ops,message", [
    ([("reset", "iis_reset", {}, ["set"]), SET], "'set' is not an earlier ensure"),          # later, not earlier
    ([SET, ("reset", "iis_reset", {}, ["nope"])], "'nope' is not an earlier ensure"),
    ([READ, ("reset", "iis_reset", {}, ["read"])], "'read' is not an earlier ensure"),        # a read, not an ensure
    ([SET, ("reset", "iis_reset", {}, ["reset"])], "'reset' is not an earlier ensure"),      # itself
    ([SET, ("again", "registry_key", {"path": HTTP}, ["set"])], "only an ensure can be conditional"),
    ([SET, ("reset", "iis_reset", {}, [])], "name at least one earlier ensure"),
])
def test_if_changed_must_name_earlier_ensures_of_the_same_request(ops, message):
    with pytest.raises(ContractError, match=message):
        make_request(ops, False)


def test_if_changed_must_be_a_list_of_ids():
    request = {"version": 1, "check_mode": False,
               "ops": [{"id": "set", "kind": SET[1], "args": SET[2]},
                       {"id": "reset", "kind": "iis_reset", "args": {}, "if_changed": "set"}]}
    with pytest.raises(ContractError, match=r"ops\[1\]\.if_changed: expected list\[str\]"):
        validate_request(request)


def test_a_skipped_result_may_have_empty_sides_and_must_match_what_changed():
    request = make_request([SET, ("reset", "iis_reset", {}, ["set"]), ("pool", "app_pool_state", {"name": "SCEP"}, ["set"])],
                           False)
    skipped = c.skipped_result(request["ops"][2])
    assert skipped == {"id": "pool", "kind": "app_pool_state", "status": "ok", "changed": False, "before": {},
                       "after": {}, "skipped": True}
    # nothing changed: both conditional ensures skipped ({} sides although app_pool_state's shape requires fields)
    validate_response(response(ensure_result("set", "registry_value", False), c.skipped_result(request["ops"][1]),
                               skipped), request)
    # set changed: both must have run
    validate_response(response(ensure_result("set", "registry_value", True), ensure_result("reset", "iis_reset", True),
                               {"id": "pool", "kind": "app_pool_state", "status": "ok", "changed": False,
                                "before": {"state": "Started", "auto_start": True},
                                "after": {"state": "Started", "auto_start": True}}), request)
    with pytest.raises(ContractError, match=r"results\[1\]\.skipped: True, but one of set changed"):
        validate_response(response(ensure_result("set", "registry_value", True), c.skipped_result(request["ops"][1]),
                                   skipped), request)
    with pytest.raises(ContractError, match=r"results\[1\]\.skipped: False, but none of set changed"):
        validate_response(response(ensure_result("set", "registry_value", False), ensure_result("reset", "iis_reset", True),
                                   skipped), request)


def test_skipped_is_only_for_ok_unchanged_conditional_ensures():
    request = make_request([SET, ("reset", "iis_reset", {})], False)
    with pytest.raises(ContractError, match="the op has no if_changed"):
        validate_response(response(ensure_result("set", "registry_value", False),
                                   ensure_result("reset", "iis_reset", False, skipped=True)), request)
    with pytest.raises(ContractError, match="only an ensure that is ok and changed nothing is skipped"):
        validate_response(response(ensure_result("set", "registry_value", True, skipped=True)))
    with pytest.raises(ContractError, match=r"before\.state: required field is missing"):   # not skipped: full shape
        validate_response(response({"id": "pool", "kind": "app_pool_state", "status": "ok", "changed": False,
                                    "before": {}, "after": {}}))


def test_a_failure_before_a_conditional_ensure_makes_it_not_run():
    request = make_request([SET, ("reset", "iis_reset", {}, ["set"])], False)
    failed = {"id": "set", "kind": "registry_value", "status": "failed", "error": {"code": "io_error", "message": "x"}}
    validate_response(response(failed, {"id": "reset", "kind": "iis_reset", "status": "not_run"}), request)


def test_if_changed_met():
    op = {"id": "r", "kind": "iis_reset", "if_changed": ["a", "b"]}
    assert c.if_changed_met({"id": "r", "kind": "iis_reset"}, {}) is True
    assert c.if_changed_met(op, {"a": {"changed": False}, "b": {"changed": True}}) is True
    assert c.if_changed_met(op, {"a": {"changed": False}, "b": {"status": "not_run"}}) is False
