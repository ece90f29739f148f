#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.iis_restart (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: iis_restart
short_description: Recycle application pools or reset IIS (for handlers)
version_added: 0.1.0
description:
  - Recycles the pools named in O(pools), or runs an IIS reset with O(reset=true). Meant for the remediate
    role's handlers, driven by the RV(restarts) of the fix modules.
  - It always reports C(changed) when it acts; in check mode nothing is restarted.
options:
  pools:
    description: Application pools to recycle. Mutually exclusive with O(reset).
    type: list
    elements: str
  reset:
    description: Restart IIS (C(iisreset)) instead of recycling pools.
    type: bool
    default: false
extends_documentation_fragment:
  - ndes.scep.fix_facts
  - ndes.scep.attributes.fix
author:
  - ndes.scep contributors (@ndes-scep)
seealso:
  - module: ndes.scep.info
  - module: ndes.scep.app_pool
"""

EXAMPLES = r"""
- name: Recycle SCEP pool
  ndes.scep.iis_restart:
    pools: [SCEP]

- name: Reset IIS
  ndes.scep.iis_restart:
    reset: true
"""

RETURN = r"""
pools:
  description: The pools recycled.
  returned: success
  type: list
  elements: str
  sample: [SCEP]
reset:
  description: Whether IIS was reset.
  returned: success
  type: bool
  sample: false
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
    - What to restart and why; the remediate role's handlers act on it (M(ndes.scep.iis_restart)).
    - C(kind) is C(app_pool), C(service), C(iis) or C(connector); C(action) is C(recycle), C(start), C(restart),
      C(reset) or C(reinstall) (a manual step, reported only).
  returned: always
  type: list
  elements: dict
  sample: [{"kind": "app_pool", "name": "SCEP", "action": "recycle", "reason": "..."}]
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
