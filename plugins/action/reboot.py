# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.reboot: Windows through ansible.windows.win_reboot, a lab through the agent."""
from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import reboot as fix
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common
from ansible_collections.ndes.scep.plugins.plugin_utils._fix_action import FACTS_OPTION, FixAction

WIN_REBOOT = "ansible.windows.win_reboot"


class ActionModule(FixAction):
    FIX = fix
    ARGUMENT_SPEC = {
        "only_if_required": {"type": "bool", "default": False},
        "required": {"type": "bool"},
        "reboot_timeout": {"type": "int", "default": 600},
        "msg": {"type": "str", "default": "Reboot initiated by Ansible (ndes.scep)"},
        "facts": FACTS_OPTION,
    }

    def act(self, args):
        result = super().act(args)
        result.setdefault("rebooted", False)
        return result

    def execute(self, args, plan):
        if self.agent.kind != "windows":
            # The lab "boots" through the agent's reboot ensure: no OS reboot ever happens here.
            result = super().execute(args, plan)
            result["rebooted"] = bool(result.get("changed")) and not result.get("failed")
            return result
        return self._win_reboot(args, plan)

    def _win_reboot(self, args, plan):
        """Reboot and wait exactly as ansible.windows.win_reboot does, by running its action plugin."""
        task = self._task.copy()
        task.args = {"reboot_timeout": args["reboot_timeout"], "msg": args["msg"]}
        action = self._shared_loader_obj.action_loader.get(
            WIN_REBOOT, task=task, connection=self._connection, play_context=self._play_context,
            loader=self._loader, templar=self._templar, shared_loader_obj=self._shared_loader_obj)
        if action is None:
            raise AnsibleActionFail("Rebooting a Windows host needs the ansible.windows collection on the controller "
                                    "(ansible-galaxy collection install ansible.windows, or the 'ansible' package).")
        outcome = action.run(task_vars=self._task_vars)
        result = _common.shape(plan, changed=False)
        result.update({k: outcome[k] for k in ("changed", "rebooted", "elapsed", "failed", "msg", "unreachable")
                       if k in outcome})
        result["reboot_required"] = bool(outcome.get("failed"))
        result["reboot_reasons"] = [] if not outcome.get("failed") else ["the reboot did not complete"]
        return result
