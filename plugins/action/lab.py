# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.lab: fills root from ndes_lab_root, refuses Windows hosts."""
from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.ndes.scep.plugins.plugin_utils._action_base import LAB_ROOT_VAR, NdesAction, target_is_windows

LAB_MODULE = "ndes.scep.lab"


class ActionModule(NdesAction):
    NEEDS_AGENT = False
    ARGUMENT_SPEC = {
        "root": {"type": "path"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "faults": {"type": "list", "elements": "raw", "default": []},
        "hostname": {"type": "str", "default": "NDES01"},
        "fqdn": {"type": "str", "default": "ndes01.contoso.com"},
        "server": {"type": "str", "choices": ["started", "stopped"]},
        "port": {"type": "int"},
        "front_port": {"type": "int"},
        "ca_backend": {"type": "str", "choices": ["scepserver"]},
    }

    def act(self, args):
        if target_is_windows(self._connection):
            raise AnsibleActionFail("ndes.scep.lab builds a lab NDES on a Linux host; this host is a Windows host.")
        root = args.get("root") or self._task_vars.get(LAB_ROOT_VAR)
        if not root:
            raise AnsibleActionFail("Say where the lab lives: set the host variable %s or the root option." % LAB_ROOT_VAR)
        module_args = dict((k, v) for k, v in args.items() if v is not None)
        module_args["root"] = root
        self._remote_calls += 1
        return self._execute_module(module_name=LAB_MODULE, module_args=module_args, task_vars=self._task_vars)
