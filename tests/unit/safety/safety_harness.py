# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run ndes.scep action plugins in-process, as ansible-playbook would, with a lab NDES as the host.

``run_action(module, args, root, windows=True)`` builds the real ``ActionModule`` of
``plugins/action/<module>.py`` with a real Task and a fake connection whose shell says
``_IS_WINDOWS`` (or not), and replaces only ``_execute_module`` (the wire):

* Windows: the module args of ``ansible.windows.win_powershell`` are captured; the request is
  taken back out of ``parameters.Request`` (JSON text) and answered by the lab agent, so the
  whole Windows path of the action base (script + JSON request + output parsing +
  normalisation) runs, with a lab standing in for the Windows host;
* lab: the request is serialised to JSON and back (as Ansible's module args are) and answered
  by the lab agent.

Every call is recorded in ``Outcome.calls`` as ``(module_name, module_args)``.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import os

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, layout
from ansible_collections.ndes.scep.plugins.plugin_utils import _action_base as base

ACTION_PACKAGE = "ansible_collections.ndes.scep.plugins.action."


class _Shell(object):
    def __init__(self, windows):
        self._IS_WINDOWS = windows
        self.tmpdir = None


class FakeConnection(object):
    """Only what the action base looks at: the shell plugin's ``_IS_WINDOWS``."""

    def __init__(self, windows):
        self._shell = _Shell(windows)


class Outcome(object):
    def __init__(self, result, calls):
        self.result = result
        self.calls = calls

    @property
    def windows_calls(self):
        return [args for name, args in self.calls if name == base.WINDOWS_AGENT_MODULE]

    def requests(self):
        """Every request the host saw, decoded from the wire (JSON text on Windows)."""
        out = []
        for name, args in self.calls:
            if name == base.WINDOWS_AGENT_MODULE:
                out.append(json.loads(args["parameters"]["Request"]))
            elif name == base.LAB_AGENT_MODULE:
                out.append(args["request"])
        return out


def run_action(module, args, root, windows=True, check=False, diff=True, task_vars=None, lock_timeout=None):
    """Run ``ndes.scep.<module>`` with ``args`` against the lab at ``root``; return an Outcome."""
    handle_args = {} if lock_timeout is None else {"lock_timeout": lock_timeout}
    action_class = importlib.import_module(ACTION_PACKAGE + module).ActionModule
    task = Task()
    task.action = "ndes.scep." + module
    task.args = dict(args)
    task.check_mode = check
    task.diff = diff
    loader = DataLoader()
    action = action_class(task, FakeConnection(windows), PlayContext(), loader, Templar(loader=loader), None)
    calls = []

    def execute_module(module_name=None, module_args=None, task_vars=None, **_kwargs):
        del task_vars
        calls.append((module_name, module_args))
        if module_name == base.WINDOWS_AGENT_MODULE:
            request = json.loads(module_args["parameters"]["Request"])
            response = agent.handle(root, request, **handle_args)
            # win_powershell returns the script's output objects; the agent writes one JSON string
            return {"changed": any(r.get("changed") for r in response["results"]),
                    "output": [json.dumps(response)]}
        if module_name == base.LAB_AGENT_MODULE:
            request = json.loads(json.dumps(module_args["request"]))
            return {"response": agent.handle(module_args["root"], request, **handle_args)}
        raise AssertionError("unexpected module %s" % module_name)

    action._execute_module = execute_module
    variables = {"ndes_lab_root": root}
    variables.update(task_vars or {})
    return Outcome(action.run(task_vars=variables), calls)


def strings_in(obj):
    """Every string anywhere in a JSON-like document (keys included)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield key
            yield from strings_in(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from strings_in(value)


def state_files(root):
    """``{relative path: sha256}`` of the files state_digest covers (to say which files changed)."""
    out = {}
    skip = tuple(os.path.join(root, *d.split("/")).lower() for d in layout._DIGEST_SKIP_DIRS)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if os.path.join(dirpath, d).lower() not in skip)
        for name in filenames:
            full = os.path.join(dirpath, name)
            with open(full, "rb") as handle:
                out[os.path.relpath(full, root).replace(os.sep, "/")] = hashlib.sha256(handle.read()).hexdigest()
    return out


def changed_files(before, after):
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
