#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.certreg_auth (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: certreg_auth
short_description: Anonymous on, Windows authentication off at CertificateRegistrationSvc (applicationHost.config)
version_added: 0.1.0
description:
  - Fixes C(CRS_WINDOWS_AUTH) (the SCEP pool crashes, HTTP 503). Sets C(anonymousAuthentication enabled=true) and
    C(windowsAuthentication enabled=false) at O(site)/O(app_path).
  - The authentication sections are locked at server level, so they are written in applicationHost.config
    (C(MACHINE/WEBROOT/APPHOST)) inside C(<location path="Default Web Site/CertificateRegistrationSvc">), never in
    a web.config. The effective values are checked afterwards.
options:
  site:
    description: IIS site that hosts NDES.
    type: str
    default: Default Web Site
  app_path:
    description: Path of the Certificate Registration Service application in the site.
    type: str
    default: /CertificateRegistrationSvc
extends_documentation_fragment:
  - ndes.scep.fix_facts
  - ndes.scep.fix_restarts
  - ndes.scep.attributes.fix
author:
  - ndes.scep contributors (@ndes-scep)
seealso:
  - module: ndes.scep.info
  - module: ndes.scep.app_pool
  - module: ndes.scep.iis_restart
"""

EXAMPLES = r"""
- name: Fix CertificateRegistrationSvc authentication
  ndes.scep.certreg_auth:
    facts: "{{ ansible_facts.ndes }}"
  notify: Reset IIS
"""

RETURN = r"""
location:
  description: The IIS location handled.
  returned: success
  type: str
  sample: Default Web Site/CertificateRegistrationSvc
authentication:
  description: Per section the effective C(enabled) before, the value wanted and (when written) the value after.
  returned: success
  type: dict
  sample: {"anonymousAuthentication": {"enabled": true, "wanted": true},
           "windowsAuthentication": {"enabled": true, "wanted": false, "enabled_after": false}}
changes:
  description: Each change made (or, in check mode, that would be made), with its state before and after.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "grant", "kind": "user_right_grant", "before": {"holders": ["S-1-5-32-544"]},
            "after": {"holders": ["S-1-5-32-544", "S-1-5-32-568"]},
            "backup": "C:\\ProgramData\\ndes.scep\\backups\\20261125T210000Z-3f2a\\user_right.json"}]
backup:
  description:
    - The backups written on the host before the changes, under one folder per run (C(run_id)); null when
      nothing changed. C(playbooks/rollback.yml) restores them by run id.
  returned: always
  type: dict
  sample: {"run_id": "20261125T210000Z-3f2a", "items": ["C:\\ProgramData\\ndes.scep\\backups\\20261125T210000Z-3f2a\\item.json"]}
restart_required:
  description: Whether something must be restarted for the change to take effect (see RV(restarts)).
  returned: always
  type: bool
  sample: true
restarts:
  description:
    - What to restart and why; the remediate role hands them to the last fix of its plan (O(restarts)).
    - C(kind) is C(app_pool), C(service), C(iis) or C(connector); C(action) is C(recycle), C(start), C(restart),
      C(reset) or C(reinstall) (a manual step, reported only).
  returned: always
  type: list
  elements: dict
  sample: [{"kind": "app_pool", "name": "SCEP", "action": "recycle", "reason": "..."}]
restarts_done:
  description:
    - The restarts asked for with O(restarts) that this task made, in the same agent call as its changes
      (C(kind), C(name), C(when), the agent op ids C(ops) and, except for C(iis_reset), the pools or services
      C(targets)). Returned when O(restarts) was given.
  returned: when O(restarts) is given
  type: list
  elements: dict
  sample: [{"kind": "iis_reset", "name": null, "when": "always", "ops": ["restart_iis_reset"]}]
reboot_required:
  description: Whether the host must reboot for a value set to take effect (see RV(reboot_reasons)).
  returned: always
  type: bool
  sample: false
reboot_reasons:
  description: Why a reboot is required.
  returned: always
  type: list
  elements: str
  sample: []
ndes_remote_calls:
  description: Agent calls this task made on the host (0 when the facts showed nothing to do).
  returned: always
  type: int
  sample: 1
"""
