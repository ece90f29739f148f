#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.ra_certs (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: ra_certs
short_description: Report NDES RA certificate validity and let the service account read both RA keys
version_added: 0.1.0
description:
  - Handles C(RA_CERT_EXPIRED) and C(RA_KEY_ACL). Reports the two RA certificates (signing, the
    Exchange Enrollment Agent (Offline request) certificate; encryption, the CEP Encryption certificate), told
    apart by template extension and key usage, with the days left; warns when one expires within O(warn_days).
  - Grants the NDES service account Read on the private keys of both RA certificates in use (the key ACL is
    backed up first). The account is O(service_account), else the SCEP pool identity (its virtual account
    C(IIS APPPOOL\SCEP), NetworkService, or the domain account it runs as).
  - Fails when an RA role has no usable certificate (expired, missing, keyless, not yet valid), saying the next
    step (M(ndes.scep.ra_renew) in a later release, or a manual renewal). The ACL grants are still made. An old
    expired certificate next to a renewed one is only reported.
options:
  service_account:
    description:
      - The account that must read the RA keys, as a SID or an account name (resolved to a SID on the host).
      - Default the identity of the SCEP application pool (from the facts).
    type: str
  warn_days:
    description: Warn when an RA certificate expires within this many days.
    type: int
    default: 30
extends_documentation_fragment:
  - ndes.scep.fix_facts
  - ndes.scep.fix_restarts
  - ndes.scep.attributes.fix
author:
  - ndes.scep contributors (@ndes-scep)
seealso:
  - module: ndes.scep.info
  - module: ndes.scep.policy_cert
"""

EXAMPLES = r"""
- name: RA certificates and their key ACLs
  ndes.scep.ra_certs:
    facts: "{{ ansible_facts.ndes }}"
    warn_days: 45
"""

RETURN = r"""
service_account_sid:
  description: The SID granted Read on the RA keys.
  returned: success
  type: str
  sample: S-1-5-21-1004336348-1177238915-682003330-1105
service_account_from:
  description: Where the account came from (C(option), C(facts) or C(SCEP pool identity)).
  returned: success
  type: str
  sample: SCEP pool identity
certs:
  description:
      - The RA certificates with role, thumbprint, template, expiry, days left, whether it is the one in use for
        its role and whether the account can read its key.
  returned: success
  type: list
  elements: dict
  sample: [{"role": "signing", "thumbprint": "5C2E...", "template": "EnrollmentAgentOffline", "days_left": 400,
            "expired": false, "account_can_read": true}]
missing_roles:
  description: RA roles with no certificate (C(signing), C(encryption)).
  returned: success
  type: list
  elements: str
  sample: []
unusable_roles:
  description: RA roles without a usable certificate (the task fails when not empty).
  returned: success
  type: list
  elements: str
  sample: []
expired:
  description: Thumbprints of expired RA certificates (also old ones next to a renewed certificate).
  returned: success
  type: list
  elements: str
  sample: []
expiring_soon:
  description: Thumbprints of RA certificates expiring within O(warn_days).
  returned: success
  type: list
  elements: str
  sample: []
min_days_left:
  description: Days left of the RA certificate in use that expires first.
  returned: success
  type: int
  sample: 400
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
