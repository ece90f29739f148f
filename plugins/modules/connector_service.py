#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.connector_service (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: connector_service
short_description: Keep the App Proxy connector (and Intune certificate connector) services running and Automatic
version_added: 0.1.0
description:
  - Fixes C(PROXY_CONNECTOR_DOWN) and the service part of C(CONNECTOR_HEALTH). Ensures C(WAPCSvc) and
    C(WAPCUpdaterSvc) are running with start mode Automatic, and with O(certificate_connector=true) also
    C(PFXCertificateConnectorSvc) and C(PKICertificateConnectorSvc). Services are found by service name, never
    by display name.
  - The connector often runs on another server. A service absent on this host is reported as not installed
    here (RV(not_installed)), not as a failure, unless O(required=true).
options:
  certificate_connector:
    description: Also handle the Intune Certificate Connector services (PFXCertificateConnectorSvc, PKICertificateConnectorSvc).
    type: bool
    default: false
  required:
    description: Fail when a service is not installed on this host.
    type: bool
    default: false
  state:
    description:
      - C(started) starts the services that are not running (and sets start mode Automatic).
      - C(restarted) restarts every installed one (the remediate role's fallback handler uses it after
        M(ndes.scep.policy_cert) changed the certificate); it always reports a change, except in check mode.
    type: str
    choices: [started, restarted]
    default: started
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
- name: Connector services up on the hosts that carry them
  ndes.scep.connector_service:
    certificate_connector: true
    facts: "{{ ansible_facts.ndes }}"

- name: On the App Proxy connector hosts the service must exist
  ndes.scep.connector_service:
    required: true

- name: Restart the certificate connector after a new policy certificate (handler)
  ndes.scep.connector_service:
    certificate_connector: true
    state: restarted
"""

RETURN = r"""
services:
  description: Per service whether it exists, its status and start mode before and (when changed) after.
  returned: success
  type: dict
  sample: {"WAPCSvc": {"exists": true, "status": "Stopped", "start_mode": "Manual", "status_after": "Running",
           "start_mode_after": "Auto"}, "WAPCUpdaterSvc": {"exists": false, "note": "not installed here"}}
not_installed:
  description: Services not installed on this host.
  returned: success
  type: list
  elements: str
  sample: [WAPCUpdaterSvc]
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
