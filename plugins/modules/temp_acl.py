#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.temp_acl (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: temp_acl
short_description: Let NetworkService write the Windows temporary folder
version_added: 0.1.0
description:
  - Fixes C(TEMP_ACL) (CRP VerifyRequest 500, WAS 5009). Grants O(sid) (NetworkService by default) O(rights)
    on O(path) with an explicit ACE; the folder's ACL is backed up (SDDL) first.
  - Write access that NetworkService only has through a group (Users) does not count, so the grant is made.
options:
  path:
    description:
      - The Windows temporary folder, the folder the C(TEMP_ACL) fault is about.
      - Only C(<drive>:\Windows\Temp), C(%SystemRoot%\Temp) or C(%windir%\Temp) (any case, forward or back slashes) are
        accepted; any other folder fails the task before anything is sent to the host, since the fix widens an ACL.
    type: str
    default: C:\Windows\Temp
  sid:
    description: The SID to grant (C(S-1-5-20) is NetworkService).
    type: str
    default: S-1-5-20
  rights:
    description: The rights to grant.
    type: str
    choices: [read, modify, full_control]
    default: modify
extends_documentation_fragment:
  - ndes.scep.fix_facts
  - ndes.scep.fix_restarts
  - ndes.scep.attributes.fix
author:
  - ndes.scep contributors (@ndes-scep)
seealso:
  - module: ndes.scep.info
  - module: ndes.scep.app_pool
"""

EXAMPLES = r"""
- name: NetworkService can write C:\Windows\Temp
  ndes.scep.temp_acl:
    facts: "{{ ansible_facts.ndes }}"
"""

RETURN = r"""
path:
  description: The folder handled.
  returned: success
  type: str
  sample: C:\Windows\Temp
sid:
  description: The SID granted.
  returned: success
  type: str
  sample: S-1-5-20
rights:
  description: The rights granted.
  returned: success
  type: str
  sample: modify
granted_before:
  description: Whether the SID had the rights before (null when unknown).
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
