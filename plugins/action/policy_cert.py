# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.policy_cert (decisions in module_utils/_ndes/fixes/policy_cert.py)."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import policy_cert as fix
from ansible_collections.ndes.scep.plugins.plugin_utils._fix_action import FACTS_OPTION, RESTARTS_OPTION, FixAction


class ActionModule(FixAction):
    FIX = fix
    ARGUMENT_SPEC = {
        "thumbprint": {"type": "str"},
        "auto": {"type": "bool", "default": False},
        "names": {"type": "list", "elements": "str"},
        "enroll": {"type": "dict", "options": {
            "ca": {"type": "str", "required": True},
            "template": {"type": "str", "required": True},
        }},
        "facts": FACTS_OPTION,
        "restarts": RESTARTS_OPTION,
    }
