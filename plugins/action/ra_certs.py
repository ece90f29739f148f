# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.ra_certs (decisions in module_utils/_ndes/fixes/ra_certs.py)."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import ra_certs as fix
from ansible_collections.ndes.scep.plugins.plugin_utils._fix_action import FACTS_OPTION, RESTARTS_OPTION, FixAction


class ActionModule(FixAction):
    FIX = fix
    ARGUMENT_SPEC = {
        "service_account": {"type": "str"},
        "warn_days": {"type": "int", "default": 30},
        "facts": FACTS_OPTION,
        "restarts": RESTARTS_OPTION,
    }
