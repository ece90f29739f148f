# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drive a fix action's ``act`` against a real lab NDES in-process (no ansible-playbook), counting agent calls."""
from __future__ import annotations

import importlib

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, faults, layout
from ansible_collections.ndes.scep.plugins.module_utils._ndes import facts as facts_builder
from ansible_collections.ndes.scep.plugins.module_utils._ndes import gather
from ansible_collections.ndes.scep.plugins.plugin_utils._action_base import AgentSelection, new_run_id


def make_lab(path, fault_list=None):
    faults.create(str(path), fault_list or [])
    return str(path)


def info(root):
    """The ``ndes`` facts of ndes.scep.info, gathered in-process."""
    settings = gather.normalize_settings({})
    response = agent.handle(root, {"version": 1, "check_mode": False, "ops": [
        {"id": i, "kind": k, "args": a} for i, k, a in gather.info_ops(settings)]})
    return facts_builder.build_facts({r["id"]: r for r in response["results"]}, settings)


def digest(root):
    return layout.state_digest(root)


def run(module, root, check=False, **given):
    """Run ndes.scep.<module>'s action ``act`` over the lab; returns (result, agent calls, requests)."""
    cls = importlib.import_module("ansible_collections.ndes.scep.plugins.action.%s" % module).ActionModule
    validated = ArgumentSpecValidator(cls.ARGUMENT_SPEC).validate(given)
    assert not validated.error_messages, validated.error_messages
    action = object.__new__(cls)
    action._remote_calls = 0
    action.check_mode = check
    action.diff_mode = True
    action.run_id = new_run_id()
    action.agent = AgentSelection("lab", root)
    requests = []

    def execute(request):
        action._remote_calls += 1
        requests.append(request)
        return agent.handle(root, request)

    action._execute_agent = execute
    result = action.act(validated.validated_parameters)
    return result, action._remote_calls, requests
