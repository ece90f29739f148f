# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the remediate role: its decisions, made in Python (plugins/module_utils/_ndes/remediate_plan.py)."""
from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ndes.scep.plugins.module_utils._ndes import remediate_plan


def _guard(function):
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (TypeError, ValueError) as exc:
            raise AnsibleFilterError("ndes.scep.%s: %s" % (function.__name__, exc))
    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


@_guard
def fix_plan(facts, settings):
    return remediate_plan.fix_plan(facts, settings)


@_guard
def fix_restarts(plan, results, facts, settings, check_mode=False):
    return remediate_plan.last_fix_restarts(plan, results, facts, settings, check_mode)


@_guard
def fix_outcome(results, facts, settings, extra_restarts=None, check_mode=False):
    return remediate_plan.outcome(results, facts, settings, extra_restarts or [], check_mode)


@_guard
def repaired_facts(facts, plan):
    return remediate_plan.repaired_facts(facts, plan)


@_guard
def fix_verification(probe, plan, reboot_required=False):
    return remediate_plan.verification(probe, plan, reboot_required)


class FilterModule(object):
    def filters(self):
        return {
            "fix_plan": fix_plan,
            "fix_restarts": fix_restarts,
            "fix_outcome": fix_outcome,
            "repaired_facts": repaired_facts,
            "fix_verification": fix_verification,
        }
