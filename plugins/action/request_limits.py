# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.request_limits (decisions in module_utils/_ndes/fixes/request_limits.py)."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import request_limits as fix
from ansible_collections.ndes.scep.plugins.plugin_utils._fix_action import FACTS_OPTION, RESTARTS_OPTION, FixAction


class ActionModule(FixAction):
    FIX = fix
    ARGUMENT_SPEC = {
        "scope": {"type": "list", "elements": "str", "choices": ["iis", "httpsys"], "default": ["iis", "httpsys"]},
        "site": {"type": "str", "default": "Default Web Site"},
        "app_path": {"type": "str", "default": "/certsrv/mscep"},
        "max_url": {"type": "int", "default": 65534},
        "max_query_string": {"type": "int", "default": 65534},
        "max_field_length": {"type": "int", "default": 65534},
        "max_request_bytes": {"type": "int", "default": 65534},
        "facts": FACTS_OPTION,
        "restarts": RESTARTS_OPTION,
    }
