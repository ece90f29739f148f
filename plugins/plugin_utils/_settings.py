# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of the ndes.scep.settings doc fragment, and the settings it yields."""
from __future__ import annotations

SETTINGS_SPEC = {
    "site": {"type": "str", "default": "Default Web Site"},
    "scep_app_path": {"type": "str", "default": "/certsrv/mscep"},
    "certreg_app_path": {"type": "str", "default": "/CertificateRegistrationSvc"},
    "scep_pool": {"type": "str", "default": "SCEP"},
    "service_account": {"type": "str"},
    "warn_days": {"type": "int", "default": 30},
    "event_hours": {"type": "int", "default": 72},
    "scep_template": {"type": "str"},
    "external_names": {"type": "list", "elements": "str", "default": []},
    "expect_proxy_connector": {"type": "bool", "default": False},
}


def settings_from(args):
    """The gather settings named by the module arguments."""
    return {name: args.get(name) for name in SETTINGS_SPEC}
