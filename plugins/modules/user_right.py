#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.user_right (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: user_right
short_description: Grant a user right (SeImpersonatePrivilege to IIS_IUSRS by default) by SID
version_added: 0.1.0
description:
  - Fixes C(IMPERSONATE_RIGHT) (IIS log C(500 0 1346)). Grants O(right) to O(principals) through LSA, by SID.
  - Principals are SIDs or account names; names are resolved to SIDs on the host (C(resolve_principal)), never
    compared as text (they are localized).
  - When a Group Policy defines the right, a local grant would be reverted at the next policy refresh, so the
    module reports the GPO (RV(gpo_source)) and changes nothing, unless O(override_gpo=true) (then it grants
    and warns that the GPO will revert it).
  - When the GPO definition could not be read (RSOP, C(root\rsop\computer); RV(gpo_defined) is null), the module
    changes nothing either (a GPO it could not see may define the right), unless O(override_gpo=true).
  - A worker process sees the right only in a new token; RV(restarts) asks to recycle the SCEP pool.
options:
  right:
    description: The user right constant (not its localized display name).
    type: str
    default: SeImpersonatePrivilege
  principals:
    description:
      - SIDs (C(S-1-5-32-568) is IIS_IUSRS) or account names (C(DOMAIN\user), C(IIS_IUSRS)) that must hold the right.
    type: list
    elements: str
    default: [S-1-5-32-568]
  override_gpo:
    description: Grant locally even when a Group Policy defines the right (it will be reverted at the next refresh).
    type: bool
    default: false
  pool:
    description: The SCEP application pool to recycle afterwards (reported in RV(restarts)).
    type: str
    default: SCEP
extends_documentation_fragment:
  - ndes.scep.fix_facts
  - ndes.scep.fix_restarts
  - ndes.scep.attributes.fix
author:
  - ndes.scep contributors (@ndes-scep)
notes:
  - Granting costs one agent call with O(facts) and principals given as SIDs; account names need one more (resolution).
seealso:
  - module: ndes.scep.info
  - module: ndes.scep.iis_restart
"""

EXAMPLES = r"""
- name: Give IIS_IUSRS the impersonate right
  ndes.scep.user_right:
    facts: "{{ ansible_facts.ndes }}"
  notify: Recycle SCEP pool

- name: Grant by account name, even though a GPO defines the right
  ndes.scep.user_right:
    principals: ['CONTOSO\svc-ndes']
    override_gpo: true
"""

RETURN = r"""
right:
  description: The right handled.
  returned: success
  type: str
  sample: SeImpersonatePrivilege
principals:
  description: The principals as SIDs.
  returned: success
  type: list
  elements: str
  sample: [S-1-5-32-568]
holders:
  description: SIDs holding the right (after the change when one was made).
  returned: success
  type: list
  elements: str
  sample: [S-1-5-32-544, S-1-5-32-568]
missing:
  description: Principals that do not hold the right (after the change when one was made).
  returned: success
  type: list
  elements: str
  sample: []
gpo_defined:
  description: Whether a Group Policy defines the right (RSOP); null when RSOP could not be read (unknown).
  returned: success
  type: bool
  sample: false
gpo_source:
  description: The GPO that defines the right, when one does.
  returned: success
  type: str
  sample: null
gpo_holders:
  description: SIDs the GPO grants the right to.
  returned: success
  type: list
  elements: str
  sample: []
gpo_blocked:
  description:
    - True when principals lack the right but a GPO defines it, or its GPO definition could not be read, and
      O(override_gpo) is false (nothing changed).
  returned: when a GPO (or an unreadable GPO definition) blocked the grant
  type: bool
  sample: true
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
