# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.ra_renew (decisions in module_utils/_ndes/fixes/ra_renew.py)."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import ra_renew as fix
from ansible_collections.ndes.scep.plugins.plugin_utils._fix_action import FACTS_OPTION, RESTARTS_OPTION, FixAction


class ActionModule(FixAction):
    FIX = fix
    ARGUMENT_SPEC = {
        "ca": {"type": "str", "required": True},
        "signing_template": {"type": "str", "default": "EnrollmentAgentOffline"},
        "encryption_template": {"type": "str", "default": "CEPEncryption"},
        "threshold_days": {"type": "int", "default": 30},
        "force": {"type": "bool", "default": False},
        "service_account": {"type": "str"},
        "facts": FACTS_OPTION,
        "restarts": RESTARTS_OPTION,
    }
