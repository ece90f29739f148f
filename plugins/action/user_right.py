# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.user_right (decisions in module_utils/_ndes/fixes/user_right.py)."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import user_right as fix
from ansible_collections.ndes.scep.plugins.plugin_utils._fix_action import FACTS_OPTION, RESTARTS_OPTION, FixAction


class ActionModule(FixAction):
    FIX = fix
    ARGUMENT_SPEC = {
        "right": {"type": "str", "default": "SeImpersonatePrivilege"},
        "principals": {"type": "list", "elements": "str", "default": ["S-1-5-32-568"]},
        "override_gpo": {"type": "bool", "default": False},
        "pool": {"type": "str", "default": "SCEP"},
        "facts": FACTS_OPTION,
        "restarts": RESTARTS_OPTION,
    }
