# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ndes.scep.reboot: Windows goes through ansible.windows.win_reboot's action plugin; a lab never does."""
from __future__ import annotations

import pytest

import lab_flow as lf

from ansible.errors import AnsibleActionFail

from ansible_collections.ndes.scep.plugins.action.reboot import ActionModule
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import reboot as fix
from ansible_collections.ndes.scep.plugins.plugin_utils._action_base import AgentSelection

from fixes_helpers import args_of


class FakeTask(object):
    def __init__(self):
        self.args = {"only_if_required": False}
        self.copies = []

    def copy(self):
        new = FakeTask()
        self.copies.append(new)
        return new


class FakeLoader(object):
    def __init__(self, outcome):
        self.outcome = outcome
        self.calls = []

    def get(self, name, **kwargs):
        if self.outcome is None:
            return None
        loader = self

        class WinReboot(object):
            def run(self, task_vars=None):
                loader.calls.append((name, dict(kwargs["task"].args), kwargs["connection"], task_vars))
                return dict(loader.outcome)
        return WinReboot()


class Shared(object):
    def __init__(self, loader):
        self.action_loader = loader


def windows_action(outcome):
    action = object.__new__(ActionModule)
    action.agent = AgentSelection("windows")
    action._task = FakeTask()
    action._connection = "winrm-connection"
    action._play_context = action._loader = action._templar = None
    action._shared_loader_obj = Shared(FakeLoader(outcome))
    action._task_vars = {"inventory_hostname": "ndes01"}
    action._remote_calls = 0
    action.check_mode = False
    return action


def test_windows_runs_win_reboot_with_the_timeout_and_message():
    action = windows_action({"changed": True, "rebooted": True, "elapsed": 63, "failed": False})
    args = args_of(ActionModule.ARGUMENT_SPEC, reboot_timeout=900)
    result = action.act(args)
    (name, task_args, connection, task_vars), = action._shared_loader_obj.action_loader.calls
    assert name == "ansible.windows.win_reboot" and connection == "winrm-connection"
    assert task_args == {"reboot_timeout": 900, "msg": "Reboot initiated by Ansible (ndes.scep)"}
    assert task_vars == {"inventory_hostname": "ndes01"}
    assert result["rebooted"] is True and result["elapsed"] == 63 and result["changed"] is True
    assert result["reboot_required"] is False and action._remote_calls == 0


def test_windows_only_if_required_and_not_required_does_nothing():
    action = windows_action({"changed": True, "rebooted": True})
    result = action.act(args_of(ActionModule.ARGUMENT_SPEC, only_if_required=True, required=False))
    assert result["changed"] is False and result["rebooted"] is False
    assert action._shared_loader_obj.action_loader.calls == []


def test_windows_without_ansible_windows_says_what_to_install():
    action = windows_action(None)
    with pytest.raises(AnsibleActionFail, match="ansible.windows"):
        action.act(args_of(ActionModule.ARGUMENT_SPEC))


def test_windows_failed_reboot_keeps_reboot_required():
    action = windows_action({"changed": True, "rebooted": True, "failed": True, "msg": "timed out waiting"})
    result = action.act(args_of(ActionModule.ARGUMENT_SPEC))
    assert result["failed"] is True and result["reboot_required"] is True and "timed out" in result["msg"]


def test_a_lab_boots_through_the_agent_and_never_loads_an_os_reboot(tmp_path, monkeypatch):
    root = lf.make_lab(tmp_path / "lab", [{"id": "httpsys_limits", "variant": "pending"}])

    def forbidden(*_args, **_kwargs):
        raise AssertionError("an OS reboot was attempted on the machine running the lab")
    monkeypatch.setattr(ActionModule, "_win_reboot", forbidden)
    result, calls, requests = lf.run("reboot", root)
    assert result["rebooted"] is True and calls == 1
    assert [op["kind"] for op in requests[0]["ops"]] == ["reboot"]
    assert result["last_boot"] and lf.info(root)["pending_reboot"] is False


def test_check_mode_on_a_lab_predicts_and_changes_nothing(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [])
    before = lf.digest(root)
    result, calls, _requests = lf.run("reboot", root, check=True)
    assert result["changed"] is True and calls == 1 and lf.digest(root) == before


def test_only_if_required_without_facts_gathers_once(tmp_path):
    root = lf.make_lab(tmp_path / "lab", [{"id": "httpsys_limits", "variant": "pending"}])
    result, calls, requests = lf.run("reboot", root, only_if_required=True)
    assert result["rebooted"] is True and calls == 2
    assert {op["id"] for op in requests[0]["ops"]} >= {"system", "httpsys"}
    result, calls, _requests = lf.run("reboot", root, only_if_required=True)
    assert result["rebooted"] is False and calls == 1 and result["why"].startswith("facts.pending_reboot")
    assert fix.needs_facts(args_of(ActionModule.ARGUMENT_SPEC, only_if_required=True)) is True
