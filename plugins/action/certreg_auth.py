# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.certreg_auth (decisions in module_utils/_ndes/fixes/certreg_auth.py)."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import certreg_auth as fix
from ansible_collections.ndes.scep.plugins.plugin_utils._fix_action import FACTS_OPTION, RESTARTS_OPTION, FixAction


class ActionModule(FixAction):
    FIX = fix
    ARGUMENT_SPEC = {
        "site": {"type": "str", "default": "Default Web Site"},
        "app_path": {"type": "str", "default": "/CertificateRegistrationSvc"},
        "facts": FACTS_OPTION,
        "restarts": RESTARTS_OPTION,
    }
