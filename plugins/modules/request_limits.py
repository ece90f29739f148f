#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.request_limits (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: request_limits
short_description: Raise the IIS and HTTP.sys request limits NDES needs (iOS sends the CSR in the URL)
version_added: 0.1.0
description:
  - Fixes C(REQUEST_LIMITS) and C(HTTPSYS_LIMITS). iOS and macOS devices send the SCEP request in the GET URL,
    tens of kilobytes long; below these limits they get HTTP 414 or 404.14/404.15.
  - IIS request filtering C(maxUrl) and C(maxQueryString) are raised where their effective value at the SCEP
    application comes from (the IIS configuration read's origin) so the effective value changes, whatever
    level sets it. In applicationHost.config globally C(MACHINE/WEBROOT/APPHOST) is written; in a
    C(<location>) tag that location; in the site's web.config that web.config. When no level sets them (IIS
    defaults 4096 / 2048) they are written for the site in applicationHost.config, as IIS Manager does.
  - After writing, the effective value at the application is checked; if it is still too low the task fails
    and names the level that overrides it.
  - HTTP.sys C(MaxFieldLength) and C(MaxRequestBytes) (REG_DWORD under
    C(HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters)) are raised; HTTP.sys reads them only at
    boot, so RV(reboot_required) stays true while the values set are not in effect. The module never restarts
    the HTTP service (WinRM runs on HTTP.sys and the connection would be cut).
  - A value already at or above the required one is left as it is (the options are minimums).
options:
  scope:
    description: Which limits to handle, C(iis) (request filtering) and/or C(httpsys) (registry).
    type: list
    elements: str
    choices: [iis, httpsys]
    default: [iis, httpsys]
  site:
    description: IIS site that hosts NDES.
    type: str
    default: Default Web Site
  app_path:
    description: Path of the SCEP application in the site (mscep.dll lives under it).
    type: str
    default: /certsrv/mscep
  max_url:
    description: Minimum effective C(maxUrl) (bytes) at the SCEP application.
    type: int
    default: 65534
  max_query_string:
    description: Minimum effective C(maxQueryString) (bytes) at the SCEP application.
    type: int
    default: 65534
  max_field_length:
    description: Minimum HTTP.sys C(MaxFieldLength) (bytes).
    type: int
    default: 65534
  max_request_bytes:
    description: Minimum HTTP.sys C(MaxRequestBytes) (bytes).
    type: int
    default: 65534
extends_documentation_fragment:
  - ndes.scep.fix_facts
  - ndes.scep.fix_restarts
  - ndes.scep.attributes.fix
author:
  - ndes.scep contributors (@ndes-scep)
notes:
  - The HTTP.sys values take effect after a reboot; use M(ndes.scep.reboot) with O(ndes.scep.reboot#module:required)
    set from RV(reboot_required).
  - Whether HTTP.sys values are in effect cannot be read from Windows; the facts infer it from the key's last
    write time and the last boot.
seealso:
  - module: ndes.scep.info
  - module: ndes.scep.reboot
  - name: Troubleshoot device to NDES server communication for SCEP certificate profiles
    description: Microsoft's article (the request limits section).
    link: https://learn.microsoft.com/troubleshoot/mem/intune/certificates/troubleshoot-scep-certificate-device-to-ndes
"""

EXAMPLES = r"""
- name: Raise the request limits (IIS and HTTP.sys)
  ndes.scep.request_limits:
    facts: "{{ ansible_facts.ndes }}"
  register: limits

- name: Reboot when the HTTP.sys values are not in effect yet
  ndes.scep.reboot:
    only_if_required: true
    required: "{{ limits.reboot_required }}"

- name: Only IIS request filtering, at a custom application path
  ndes.scep.request_limits:
    scope: [iis]
    app_path: /certsrv/mscep
"""

RETURN = r"""
iis:
  description:
    - Per IIS attribute the effective value before, where it came from (C(default), or the config path and
      C(origin_location)), the required minimum, where it was written and the effective value after.
  returned: when O(scope) has C(iis)
  type: dict
  sample: {"maxUrl": {"effective": 4096, "origin": "MACHINE/WEBROOT/APPHOST/Default Web Site", "origin_location": null,
           "required": 65534, "written_to": "MACHINE/WEBROOT/APPHOST/Default Web Site", "effective_after": 65534}}
httpsys:
  description: Per HTTP.sys value what is set, what is in effect since the last boot, the required minimum and what is set after.
  returned: when O(scope) has C(httpsys)
  type: dict
  sample: {"MaxFieldLength": {"set": null, "in_effect": 16384, "required": 65534, "set_after": 65534}}
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
