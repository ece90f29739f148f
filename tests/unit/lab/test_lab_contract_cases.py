# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared contract cases (tests/unit/contract_cases.py) run against the lab agent."""
from __future__ import annotations

import os
import sys

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, layout

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import contract_cases  # noqa: E402  (tests/unit, shared by both agents' tests)


@pytest.mark.parametrize("case", contract_cases.cases_for("lab"), ids=lambda case: case.name)
def test_contract_case(case, healthy_lab):
    before = layout.state_digest(healthy_lab)
    contract_cases.run_case(case, lambda request: agent.handle(healthy_lab, request))
    if not case.mutates or case.restores:       # a case that rolls its own run back leaves the host as it was
        assert layout.state_digest(healthy_lab) == before


def test_every_kind_is_covered_by_a_case_or_the_lab_tests():
    covered = set(kind for case in contract_cases.CASES if not case.prepare for kind in (op[1] for op in case.ops))
    from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
    # reads all appear in the shared cases; ensures are exercised one by one in test_lab_check_mode.py
    assert set(contract.kinds_of(contract.READ)) <= covered
