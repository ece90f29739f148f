#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.policy_cert (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: policy_cert
short_description: Point NDESCertThumbprint at a valid certificate, stored as NDES expects
version_added: 0.1.0
description:
  - Fixes C(POLICY_CERT_EXPIRED). The value C(NDESCertThumbprint) under
    C(HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP\Modules\NDESPolicy) must name a certificate in
    C(LocalMachine\My) that is in date, has its private key and the Client Authentication EKU
    (1.3.6.1.5.5.7.3.2). It is stored lower-case without spaces, as Microsoft's article says.
  - With O(thumbprint) that certificate is used; spaces, case, colons and the invisible left-to-right mark
    (U+200E) that the certificate dialog copies along are accepted and removed.
  - With O(auto=true) the newest certificate (the one valid longest) of C(LocalMachine\My) that is in date, has
    its key and the Client Authentication EKU and names this host (its FQDN or host name, or O(names)) in its SAN
    (or subject CN when it has no SAN) is used; the current one counts too.
  - With neither, the current value is checked and, if its certificate is valid, rewritten in the normalized
    form when it is not already.
  - An expired, keyless, not-yet-valid or missing certificate, or one without the Client Authentication EKU,
    is refused with an error that says what to do; nothing is written.
  - With O(enroll), when no valid certificate qualifies (with O(auto=true) none for this host; without, the
    current one is unset or unusable), a new certificate is enrolled from O(enroll.template) on O(enroll.ca) for
    the NDES server's computer account (subject C(CN=<FQDN>), DNS SAN the host's FQDN, or O(names)) and
    NDESCertThumbprint is pointed at it, both in ONE agent call (the registry value takes the thumbprint the
    enrolment produced). Before that, one read call checks the template in plain words (it exists, the CA offers
    it, the computer account may Read and Enroll, it issues the Client Authentication EKU); a failed check
    changes nothing.
  - The registry key is exported to the run's backup folder before the value is written.
  - When the certificate changes, RV(restarts) lists what Microsoft's current guidance calls for, the
    connector service and W3SVC restarts (the remediate role makes them with O(restarts)) and, if the connector
    still fails, reinstalling the connector (reported only).
options:
  thumbprint:
    description:
      - Thumbprint (SHA-1, 40 hex digits, any spacing or case) of the certificate to use.
      - Mutually exclusive with O(auto).
    type: str
  auto:
    description: Pick the newest valid certificate for this host in C(LocalMachine\My).
    type: bool
    default: false
  names:
    description:
      - Names the certificate must carry (subject CN or a SAN DNS name) for O(auto).
      - Default the host's FQDN and host name.
      - With O(enroll), the DNS names of the new certificate (the first one is its subject CN); default the FQDN.
    type: list
    elements: str
  enroll:
    description:
      - Enrol a new certificate when no valid one is there (see the description). Mutually exclusive with
        O(thumbprint).
      - The computer account needs Read and Enroll on the template, and the CA must be reachable from the host
        (over WinRM the double hop, solved by CredSSP, Kerberos delegation or C(become)).
    type: dict
    suboptions:
      ca:
        description: The issuing CA as its config string C(<CA host FQDN>\<CA name>).
        type: str
        required: true
      template:
        description: Template name (not display name) with the Client Authentication EKU and subject supplied in the request.
        type: str
        required: true
extends_documentation_fragment:
  - ndes.scep.fix_facts
  - ndes.scep.fix_restarts
  - ndes.scep.attributes.fix
author:
  - ndes.scep contributors (@ndes-scep)
notes:
  - In check mode with O(enroll), the registry write depends on the new thumbprint, so the agent reports it as
    not run; RV(enrolled) says what would be enrolled.
seealso:
  - module: ndes.scep.info
  - module: ndes.scep.connector_service
  - module: ndes.scep.iis_restart
"""

EXAMPLES = r"""
- name: Use the newest valid certificate for this server
  ndes.scep.policy_cert:
    auto: true
    facts: "{{ ansible_facts.ndes }}"
  register: policy

- name: Use the newest valid certificate, or enrol one from the CA when there is none
  ndes.scep.policy_cert:
    auto: true
    enroll:
      ca: ca01.contoso.com\CONTOSO-CA01-CA
      template: NDESPolicyClientAuth
    facts: "{{ ansible_facts.ndes }}"

- name: Use a given certificate (pasted from the certificate dialog)
  ndes.scep.policy_cert:
    thumbprint: "\u200e3b 4a 1f 0c 9d 8e 7f 6a 5b 4c 3d 2e 1f 0a 9b 8c 7d 6e 5f 4a"
"""

RETURN = r"""
thumbprint:
  description: The thumbprint chosen (upper-case hex).
  returned: when a certificate was chosen
  type: str
  sample: 3B4A1F0C9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A
stored_before:
  description: The value as it was stored.
  returned: when a certificate was chosen
  type: str
  sample: "3b 4a 1f 0c 9d 8e 7f 6a 5b 4c 3d 2e 1f 0a 9b 8c 7d 6e 5f 4a"
stored_after:
  description: The value as stored now (lower-case, no spaces).
  returned: success
  type: str
  sample: 3b4a1f0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a
certificate:
  description: The chosen certificate (subject, expiry, days left, SAN DNS names).
  returned: when a certificate was chosen
  type: dict
  sample: {"thumbprint": "3B4A...", "subject": "CN=ndes01.contoso.com", "not_after": "2027-11-25T00:00:00Z",
           "days_left": 365, "san_dns": ["ndes01.contoso.com"]}
enrolled:
  description:
    - The certificate O(enroll) made (or, in check mode, would make) with the reason, template, CA, subject, DNS
      names, the template's validity, and the new thumbprint and expiry (null in check mode).
  returned: when O(enroll) made a certificate
  type: dict
  sample: {"reason": "certificate 3B4A... has expired", "ca": "ca01.contoso.com\\CONTOSO-CA01-CA",
           "template": "NDESPolicyClientAuth", "subject": "CN=ndes01.contoso.com", "san_dns": ["ndes01.contoso.com"],
           "validity_days": 365, "thumbprint": "7D6E...", "not_after": "2027-11-25T21:00:00Z"}
auto_candidates:
  description: How many certificates qualified for O(auto).
  returned: when O(auto=true)
  type: int
  sample: 2
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
