#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.ra_renew (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: ra_renew
short_description: Renew the two NDES RA certificates from the CA without reinstalling NDES
version_added: 0.1.0
description:
  - Fixes C(RA_CERT_EXPIRED). NDES signs and decrypts SCEP messages with two RA certificates in
    C(LocalMachine\My), the Exchange Enrollment Agent (Offline request) certificate (signing, template
    O(signing_template)) and the CEP Encryption certificate (encryption, template O(encryption_template)).
    When one is expired, missing, keyless or not yet valid, or expires within O(threshold_days), or with
    O(force=true), the module enrols a new one from the CA O(ca) and template, as Microsoft's manual procedure
    does, instead of reinstalling the NDES role.
  - Prerequisites are checked before anything changes, in plain words, in one read call. The template
    exists and the CA offers it; the identity that enrols has Read and Enroll on it (the template's
    security descriptor in Active Directory, judged by SID; a template whose subject type is computer is
    enrolled by the NDES server's computer account, a template whose subject type is user by the account the
    agent runs as); a user template lets the key be exported (it is enrolled in the user's store and moved with
    its key to C(LocalMachine\My)); the template issues the Certificate Request Agent EKU. Active Directory
    and the CA must be reachable from the NDES server (over WinRM, the double hop, solved by CredSSP, Kerberos delegation
    or C(become)). Any failed check refuses the task and nothing is changed.
  - The new certificate keeps the subject of the one it replaces (else that of the other RA certificate, else
    C(CN=<HOSTNAME>-MSCEP-RA)) and its key provider (NDES loads its RA keys through CryptoAPI; else the
    template's first legacy CSP, else C(Microsoft Strong Cryptographic Provider)). Its validity is the
    template's.
  - In ONE agent call, in this order, the first failure stopping the rest. Enrol the signing certificate and
    grant the NDES service account Read on its new key, then the same for the encryption certificate, then
    archive the old certificates (each is exported to a C(.cer) backup first and stays in its store, archived,
    never deleted). A failure in the middle therefore leaves the old certificates in place and usable; the
    error says what was enrolled already, and a rerun renews only what is still due.
  - An older certificate of a role that a longer-valid certificate in use replaced (left by an earlier failed
    run or a manual renewal) is archived too.
  - NDES loads its RA certificates when IIS starts, so RV(restart_required) asks for an IIS reset (the remediate
    role makes it with O(restarts)).
options:
  ca:
    description:
      - The issuing CA as its config string, C(<CA host FQDN>\<CA name>) (C(certutil -dump) on the CA shows it).
      - For a lab NDES, the lab's CA (C(ca_config) in the lab's C(lab.json)).
    type: str
    required: true
  signing_template:
    description: Template name (not display name) of the signing RA certificate.
    type: str
    default: EnrollmentAgentOffline
  encryption_template:
    description: Template name (not display name) of the encryption RA certificate.
    type: str
    default: CEPEncryption
  threshold_days:
    description: Renew a certificate that expires within this many days.
    type: int
    default: 30
  force:
    description: Renew both certificates whatever their validity.
    type: bool
    default: false
  service_account:
    description:
      - The account that must read the new RA keys, as a SID or an account name (resolved to a SID on the host).
      - Default the identity of the SCEP application pool (from the facts).
    type: str
  facts:
    description:
      - The C(ndes) facts of M(ndes.scep.info) (C(ansible_facts.ndes)); the remediate role passes them.
      - With facts the module decides on the controller. Nothing due costs no call; a renewal costs one read
        call (the template checks) and one change call. Without facts it gathers in the read call.
    type: dict
extends_documentation_fragment:
  - ndes.scep.fix_restarts
  - ndes.scep.attributes.fix
attributes:
  check_mode:  # the rest from ndes.scep.attributes.fix
    details:
      - The prerequisites are checked and RV(renewed) says what would be renewed and why; nothing is written.
      - The key grants depend on the new thumbprints, so the agent reports them as not run in check mode.
author:
  - ndes.scep contributors (@ndes-scep)
notes:
  - Permissions, on the CA side, Read and Enroll on both templates for the enrolling identities (see the
    description) and the templates published on the CA; on the NDES server, local administrator.
  - The Windows path (certreq with an INF request file, the user-context move, the double hop) is described in
    the collection's C(docs/windows-agent.md), section Certificate renewal on Windows.
seealso:
  - module: ndes.scep.ra_certs
  - module: ndes.scep.info
  - module: ndes.scep.iis_restart
  - module: ndes.scep.probe
"""

EXAMPLES = r"""
- name: Renew the RA certificates that expire within 45 days
  ndes.scep.ra_renew:
    ca: ca01.contoso.com\CONTOSO-CA01-CA
    threshold_days: 45
    facts: "{{ ansible_facts.ndes }}"
  register: renewal

- name: Renew both now, as a domain account with Enroll on the templates (no WinRM double hop)
  ndes.scep.ra_renew:
    ca: ca01.contoso.com\CONTOSO-CA01-CA
    force: true
  become: true
  become_method: runas
  become_user: CONTOSO\svc-ndes-admin
  vars:
    ansible_become_password: "{{ vault_ndes_admin_password }}"
"""

RETURN = r"""
roles:
  description: Each RA role (C(signing), C(encryption)) as found, with its template and whether and why it is renewed.
  returned: success
  type: dict
  sample: {"signing": {"status": "expired", "thumbprint": "5C2E...", "days_left": -30,
                       "template": "EnrollmentAgentOffline", "renew": true, "reason": "expired"}}
renewed:
  description:
    - The certificates renewed (or, in check mode, that would be), with role, template, context (C(user) or
      C(machine)), provider, reason (C(expired), C(missing), C(keyless), C(not_yet_valid), C(expiring), C(forced)),
      subject, the thumbprint and expiry of the certificate replaced and of the new one (null in check mode).
  returned: success
  type: list
  elements: dict
  sample: [{"role": "encryption", "template": "CEPEncryption", "context": "machine",
            "provider": "Microsoft Strong Cryptographic Provider", "reason": "expired",
            "replaces": "F2CE...", "old_not_after": "2026-10-26T22:02:19Z", "new_thumbprint": "9AFC...",
            "new_not_after": "2028-11-24T21:52:19Z", "validity_days": 730}]
archived:
  description: Thumbprints of the old certificates archived (exported to a .cer backup first, kept in the store).
  returned: success
  type: list
  elements: str
  sample: ["F2CEDD2E1C8A9D5A9E88FA2EC94BB16EB389DA2E"]
prerequisites:
  description:
    - Per template, who enrols it (context, identity, SID), whether that identity may Read and Enroll, whether the
      CA offers it, its subject type, whether it lets the key be exported, its validity and providers.
  returned: when a renewal is due
  type: dict
  sample: {"CEPEncryption": {"role": "encryption", "context": "machine", "identity": "CONTOSO\\NDES01$",
                             "read": true, "enroll": true, "offered": true, "validity_days": 730}}
threshold_days:
  description: The threshold used.
  returned: success
  type: int
  sample: 30
service_account_sid:
  description: The SID granted Read on the new keys.
  returned: when a renewal is due
  type: str
  sample: S-1-5-21-1004336348-1177238915-682003330-1105
service_account_from:
  description: Where the account came from (C(option) or C(SCEP pool identity)).
  returned: when a renewal is due
  type: str
  sample: SCEP pool identity
changes:
  description: Each change made (or, in check mode, that would be made), with its state before and after.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "enroll_encryption", "kind": "cert_enroll", "before": {"thumbprint": "F2CE..."},
            "after": {"thumbprint": "9AFC...", "not_after": "2028-11-24T21:52:19Z"},
            "backup": "C:\\ProgramData\\ndes.scep\\backups\\20261125T210000Z-3f2a\\001-enroll_encryption.cer"}]
backup:
  description:
    - The backups written on the host before the changes, under one folder per run (C(run_id)); null when
      nothing changed. C(playbooks/rollback.yml) restores them by run id (a new certificate is archived, an old
      one unarchived).
  returned: always
  type: dict
  sample: {"run_id": "20261125T210000Z-3f2a", "items": ["C:\\ProgramData\\ndes.scep\\backups\\20261125T210000Z-3f2a\\item.cer"]}
restart_required:
  description: Whether something must be restarted for the change to take effect (see RV(restarts)).
  returned: always
  type: bool
  sample: true
restarts:
  description:
    - What to restart and why; the remediate role hands them to the last fix of its plan (O(restarts)).
    - After a renewal, C(kind=iis), C(action=reset).
  returned: always
  type: list
  elements: dict
  sample: [{"kind": "iis", "name": null, "action": "reset", "reason": "..."}]
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
  description: Whether the host must reboot for a value set to take effect (never for a renewal).
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
  sample: 2
"""
