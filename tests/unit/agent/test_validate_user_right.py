# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``user_right`` read's ``gpo_defined``: true, false or null (unknown: RSOP could not be read), never absent."""
from __future__ import annotations

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract as c
from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import ContractError, validate_response


def response(data):
    return {"version": c.CONTRACT_VERSION, "results": [{"id": "r", "kind": "user_right", "status": "ok", "data": data}]}


def right(**fields):
    data = {"holders": ["S-1-5-32-568"], "gpo_defined": False, "gpo_holders": [], "gpo_source": None}
    data.update(fields)
    return data


@pytest.mark.parametrize("value", [True, False, None])
def test_gpo_defined_may_be_true_false_or_null(value):
    assert validate_response(response(right(gpo_defined=value)))


def test_gpo_defined_must_be_present():
    data = right()
    del data["gpo_defined"]
    with pytest.raises(ContractError, match=r"data\.gpo_defined: required field is missing"):
        validate_response(response(data))


@pytest.mark.parametrize("value", ["unknown", 0, []])
def test_gpo_defined_is_a_bool_or_null(value):
    with pytest.raises(ContractError, match=r"data\.gpo_defined: expected bool"):
        validate_response(response(right(gpo_defined=value)))


def test_the_contract_table_says_bool_or_null():
    assert c.KINDS["user_right"][2]["gpo_defined"] == "bool?"
