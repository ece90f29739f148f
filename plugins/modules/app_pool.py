#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.app_pool (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: app_pool
short_description: Start the SCEP application pool (autoStart on), once no known crash cause remains
version_added: 0.1.0
description:
  - Fixes C(APP_POOL_STOPPED) (HTTP 503). Starts the pool O(name) and sets C(autoStart=true).
  - A pool stopped by rapid-fail protection stops again while its crash cause is present. So when a known cause
    is still present the module refuses and names each cause and the module that fixes it, unless
    O(force=true). Known causes, C(ROOT_INTERMEDIATES) (M(ndes.scep.root_store)), C(CRS_WINDOWS_AUTH)
    (M(ndes.scep.certreg_auth)), C(POLICY_CERT_EXPIRED) (M(ndes.scep.policy_cert)), C(CRL_UNREACHABLE) (network;
    M(ndes.scep.capi2_log) shows the URLs).
  - When facts handed in show a crash cause, they are read again first (one more call), since fixes that ran
    after they were gathered may have removed it.
  - An unknown pool name fails with the list of existing pools.
options:
  name:
    description: The application pool mscep.dll runs in.
    type: str
    default: SCEP
  force:
    description: Start the pool even though known crash causes are present.
    type: bool
    default: false
extends_documentation_fragment:
  - ndes.scep.fix_facts
  - ndes.scep.fix_restarts
  - ndes.scep.attributes.fix
author:
  - ndes.scep contributors (@ndes-scep)
seealso:
  - module: ndes.scep.info
  - module: ndes.scep.root_store
  - module: ndes.scep.certreg_auth
  - module: ndes.scep.policy_cert
"""

EXAMPLES = r"""
- name: Start the SCEP pool once its crash causes are fixed
  ndes.scep.app_pool:
    facts: "{{ ansible_facts.ndes }}"
"""

RETURN = r"""
name:
  description: The pool handled.
  returned: when the pool exists
  type: str
  sample: SCEP
state_before:
  description: The pool's runtime state before (Started, Stopped, ...).
  returned: when the pool exists
  type: str
  sample: Stopped
auto_start_before:
  description: The pool's autoStart before.
  returned: when the pool exists
  type: bool
  sample: false
state_after:
  description: The pool's runtime state after (predicted in check mode).
  returned: when the pool was started
  type: str
  sample: Started
auto_start_after:
  description: The pool's autoStart after.
  returned: when the pool was started
  type: bool
  sample: true
crash_causes:
  description: Known crash causes present (FAULTS ids).
  returned: when the pool exists
  type: list
  elements: str
  sample: []
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
