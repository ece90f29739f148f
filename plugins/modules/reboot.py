#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.reboot (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: reboot
short_description: Reboot an NDES server (and wait for it), or boot a lab NDES
version_added: 0.1.0
description:
  - On a Windows host it reboots the way M(ansible.windows.win_reboot) does (it runs that action plugin) and
    waits up to O(reboot_timeout) seconds for the host to answer again.
  - On a lab host it "boots" the lab through the agent (values set become values in effect, stopped services with
    start mode Automatic start). It never reboots the machine that runs the lab.
  - With O(only_if_required=true) it reboots only when a reboot is pending, O(required) when given, else the
    facts' C(pending_reboot) (read from the host when no facts are passed).
options:
  only_if_required:
    description: Reboot only when a reboot is pending.
    type: bool
    default: false
  required:
    description:
      - Whether a reboot is pending, as the caller knows it (for example from the RV(reboot_required) of the fix
        tasks); overrides the facts. Used with O(only_if_required).
    type: bool
  reboot_timeout:
    description: Seconds to wait for a Windows host to come back.
    type: int
    default: 600
  msg:
    description: Message shown to logged-on users before the reboot (and the reason recorded by the lab).
    type: str
    default: Reboot initiated by Ansible (ndes.scep)
extends_documentation_fragment:
  - ndes.scep.fix_facts
  - ndes.scep.attributes.fix
author:
  - ndes.scep contributors (@ndes-scep)
notes:
  - Needs the C(ansible.windows) collection on the controller for Windows hosts.
seealso:
  - module: ndes.scep.info
  - module: ansible.windows.win_reboot
  - module: ndes.scep.request_limits
"""

EXAMPLES = r"""
- name: Reboot when any fix asked for it
  ndes.scep.reboot:
    only_if_required: true
    required: "{{ limits.reboot_required or roots.reboot_required }}"
    reboot_timeout: 900
"""

RETURN = r"""
rebooted:
  description: Whether the host was rebooted (in check mode, whether it would be).
  returned: always
  type: bool
  sample: true
reboot_needed:
  description: Whether the module decided to reboot.
  returned: success
  type: bool
  sample: true
why:
  description: What the decision was based on.
  returned: success
  type: str
  sample: required=True was given
elapsed:
  description: Seconds the Windows host took to come back.
  returned: when a Windows host rebooted
  type: int
  sample: 63
last_boot:
  description: The lab's boot time after the boot.
  returned: when a lab booted
  type: str
  sample: "2026-11-25T21:05:00Z"
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
