# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.temp_acl (decisions in module_utils/_ndes/fixes/temp_acl.py)."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import temp_acl as fix
from ansible_collections.ndes.scep.plugins.plugin_utils._fix_action import FACTS_OPTION, RESTARTS_OPTION, FixAction


class ActionModule(FixAction):
    FIX = fix
    ARGUMENT_SPEC = {
        "path": {"type": "str", "default": "C:\\Windows\\Temp"},
        "sid": {"type": "str", "default": "S-1-5-20"},
        "rights": {"type": "str", "choices": ["read", "modify", "full_control"], "default": "modify"},
        "facts": FACTS_OPTION,
        "restarts": RESTARTS_OPTION,
    }
