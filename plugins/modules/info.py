#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.info (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: info
short_description: Gather every fact NDES diagnosis needs in one remote call
version_added: 0.1.0
description:
  - Reads, in ONE call of the host agent, all the host-side evidence that diagnosing Intune SCEP
    enrolment on an NDES server needs, and returns it as C(ansible_facts.ndes).
  - "IIS: sites, applications and the site's log folder; application pools with runtime state and identity;
    the effective request limits at the mscep application path and where they are set; authentication at
    CertificateRegistrationSvc."
  - "HTTP.sys: C(MaxFieldLength) and C(MaxRequestBytes) as set and as in effect since the last boot
    (Windows cannot report the latter: it is inferred and said so)."
  - "Security: the holders of C(SeImpersonatePrivilege) and whether a GPO defines it; the NDES policy
    certificate named by C(NDESCertThumbprint) (validity, key, EKU); the RA certificates with template,
    key usage, days left and private-key ACL SIDs; non-self-signed certificates in LocalMachine\\Root."
  - "Services by service name, w3wp crash events, the connector's SetupMsi.log outcome, MSCEP template values,
    and the service account's lockout and password-expiry flags (or C(unknown) with the reason)."
  - Derived values the rules need (days to expiry, self-signed, effective values) are computed on the
    controller, the same way for the Windows agent and the lab agent.
  - Nothing is changed; the module runs in check mode too.
extends_documentation_fragment:
  - ndes.scep.settings
  - ndes.scep.attributes.read
  - ndes.scep.attributes.facts
author:
  - ndes.scep contributors (@ndes-scep)
notes:
  - On a Windows host run it first in check mode (C(--check)); it only reads.
  - The facts are documented field by field in C(docs/facts.md) of the collection.
seealso:
  - module: ndes.scep.diagnose
"""

EXAMPLES = r"""
- name: Gather NDES facts (one remote call)
  ndes.scep.info:

- name: Gather with a custom pool name and an explicit service account
  ndes.scep.info:
    scep_pool: NDES
    service_account: CONTOSO\svc-ndes
    warn_days: 45

- name: Show the effective request limits at the mscep application
  ansible.builtin.debug:
    var: ansible_facts.ndes.iis.request_limits
"""

RETURN = r"""
ndes:
  description: The NDES facts (also returned as C(ansible_facts.ndes)); see docs/facts.md.
  returned: success
  type: dict
  sample:
    agent: lab
    iis:
      request_limits: {max_url: 65534, max_query_string: 65534, ok: true}
    httpsys:
      pending_reboot: false
    unknown: []
ndes_remote_calls:
  description: Remote module executions this task made on the host (always 1).
  returned: always
  type: int
  sample: 1
"""
