# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.ping."""
from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.ndes.scep.plugins.module_utils._agent.contract import CONTRACT_VERSION
from ansible_collections.ndes.scep.plugins.plugin_utils._action_base import NdesAction


class ActionModule(NdesAction):
    ARGUMENT_SPEC = {}

    def act(self, args):
        result = self.call_agent([("system", "system", {})])["system"]
        if result["status"] != "ok":
            raise AnsibleActionFail("The agent answered but could not read the host: %s" % result["error"]["message"])
        return {
            "agent": self.agent.kind,
            "contract_version": CONTRACT_VERSION,
            "check_mode": self.check_mode,
            "host": result["data"],
        }
