# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.info: one agent call, facts built on the controller."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes import facts, gather
from ansible_collections.ndes.scep.plugins.plugin_utils._action_base import NdesAction
from ansible_collections.ndes.scep.plugins.plugin_utils._settings import SETTINGS_SPEC, settings_from


class ActionModule(NdesAction):
    ARGUMENT_SPEC = dict(SETTINGS_SPEC)

    def act(self, args):
        settings = settings_from(args)
        results = self.call_agent(gather.info_ops(settings))
        ndes = facts.build_facts(results, settings)
        return {"ansible_facts": {"ndes": ndes}, "ndes": ndes}
