# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediate decisions' restart map (remediate_plan.RESTART_MAP) matches what each fix module reports."""
from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.ndes.scep.plugins.module_utils._ndes import remediate_plan

import lab_flow as lf
from test_lab_flow import FIXABLE, IDS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
ROLE = os.path.join(ROOT, "roles", "remediate")


def _yaml(*parts):
    with open(os.path.join(ROLE, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


RESTART_MAP = remediate_plan.RESTART_MAP


def option_kinds(restarts):
    """A fix result's ``restarts`` in the vocabulary of the ``restarts`` option."""
    return {remediate_plan.option_kind(r) for r in restarts} - {None}


def test_the_map_names_every_fix_of_the_plan_and_only_those():
    assert list(RESTART_MAP) == list(remediate_plan.FIXES)        # same fixes, same order as they run
    include = next(t for t in _yaml("tasks", "fixes.yml") if "ansible.builtin.include_tasks" in t)
    assert include["ansible.builtin.include_tasks"] == "fix/{{ __ndes_fix }}.yml"
    assert include["loop"] == "{{ __ndes_fix_plan }}" and include["loop_control"]["loop_var"] == "__ndes_fix"
    assert sorted(os.listdir(os.path.join(ROLE, "tasks", "fix"))) == sorted(fix + ".yml" for fix in RESTART_MAP)
    for fix in RESTART_MAP:
        task = next(t for t in _yaml("tasks", "fix", fix + ".yml") if t.get("register") == "__ndes_fix_" + fix)
        assert "when" not in task                                # included only when in the plan
        assert task["ndes.scep." + fix]["restarts"] == (
            "{{ __ndes_last_fix_restarts if __ndes_fix_plan | last == '%s' else omit }}" % fix)


SEEN = {}


@pytest.mark.parametrize("fid,variant,module,args,prepare,fixed", [row for row in FIXABLE if row[2] in RESTART_MAP],
                         ids=[i for i, row in zip(IDS, FIXABLE) if row[2] in RESTART_MAP])
def test_what_a_fix_reports_is_in_its_map_entry(tmp_path, fid, variant, module, args, prepare, fixed):
    del fixed
    root = lf.make_lab(tmp_path / "lab", [{"id": fid, "variant": variant} if variant else fid])
    if prepare:
        prepare(root)
    result, _calls, _requests = lf.run(module, root, check=True, facts=lf.info(root), **args)
    assert result["changed"] is True
    kinds = option_kinds(result["restarts"])
    assert kinds <= set(RESTART_MAP[module]), (module, result["restarts"])
    SEEN.setdefault(module, set()).update(kinds)


def test_each_map_entry_is_needed_by_some_fault():
    # runs after the parametrized test above (same module, file order); ra_renew needs a CA (test_ra_renew.py)
    if not SEEN:
        pytest.skip("run with the test above")
    for module, kinds in SEEN.items():
        assert set(RESTART_MAP[module]) == kinds, module
    assert RESTART_MAP["ra_renew"] == ["iis_reset"]
