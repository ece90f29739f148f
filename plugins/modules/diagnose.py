#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.diagnose (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: diagnose
short_description: Find what breaks Intune SCEP enrolment on an NDES server, with evidence and next steps
version_added: 0.1.0
description:
  - Walks Microsoft's "Troubleshoot device to NDES server communication for SCEP certificate profiles"
    article for a host and returns one finding per fault found, each with its evidence, severity, the
    article section, the module and role variable that fix it, documentation links (English and Italian
    editions), title and next step in English and Italian, and whether it can be fixed automatically.
  - The host facts and the IIS and HTTPERR log window are gathered in ONE remote call. The SCEP URL is
    probed from the controller as devices reach it (bare URL, GetCACaps, GetCACert per platform, a long
    GET of PKIOperation size). Device logs given on the controller are triaged too.
  - Rules are data (a YAML catalogue of JMESPath conditions over the facts); add your own with O(rules_files).
  - Nothing is changed on the host. Use O(fail_on) to make a scheduled job fail when findings remain.
extends_documentation_fragment:
  - ndes.scep.settings
  - ndes.scep.attributes.read
  - ndes.scep.attributes.facts
options:
  logs:
    description: Read and summarise the site's W3C log and the HTTPERR log of the last O(log_hours).
    type: bool
    default: true
  log_hours:
    description: Length of the log window in hours.
    type: int
    default: 24
  probe:
    description:
      - Probe the SCEP URL from the controller.
      - The URL is O(probe_url); on a lab host without it, the lab's HTTP face when it runs.
    type: bool
    default: true
  probe_url:
    description: The SCEP URL devices use, for example C(https://ndes.contoso.com/certsrv/mscep/mscep.dll).
    type: str
  validate_certs:
    description: Verify the TLS certificate of O(probe_url).
    type: bool
    default: true
  ca_bundle:
    description: CA bundle (PEM file on the controller) to verify O(probe_url) with.
    type: path
  probe_timeout:
    description: Seconds to wait for each probe request.
    type: float
    default: 10.0
  device_logs:
    description: Device logs on the controller to triage (Android OMADM, iOS/iPadOS debug log, exported Windows event 36).
    type: list
    elements: path
    default: []
  rules_files:
    description:
      - Your own rules files (same schema as the built-in catalogue), evaluated after the built-in rules.
      - A malformed rule or JMESPath expression fails the task with a message naming the rule.
    type: list
    elements: path
    default: []
  fail_on:
    description:
      - V(critical) fails the task when a critical finding remains, V(warning) also on warnings,
        V(never) only reports.
    type: str
    choices: [critical, warning, never]
    default: never
author:
  - ndes.scep contributors (@ndes-scep)
seealso:
  - module: ndes.scep.info
  - module: ndes.scep.probe
  - module: ndes.scep.iis_log
  - name: Troubleshoot device to NDES server communication for SCEP certificate profiles
    description: The Microsoft article the findings follow.
    link: https://learn.microsoft.com/troubleshoot/mem/intune/certificates/troubleshoot-scep-certificate-device-to-ndes
"""

EXAMPLES = r"""
- name: Diagnose an NDES server and probe its public SCEP URL
  ndes.scep.diagnose:
    probe_url: https://ndes-contoso.msappproxy.net/certsrv/mscep/mscep.dll
    external_names: [ndes-contoso.msappproxy.net]
  register: diag

- name: List the findings
  ansible.builtin.debug:
    msg: "{{ diag.report }}"

- name: Scheduled drift check that fails the job on critical findings, with a site rule
  ndes.scep.diagnose:
    probe: false
    fail_on: critical
    rules_files:
      - "{{ playbook_dir }}/rules/pool-identity.yml"
"""

RETURN = r"""
findings:
  description: One entry per finding, most severe first.
  returned: success
  type: list
  elements: dict
  sample:
    - id: REQUEST_LIMITS
      severity: critical
      title: {en: IIS request limits are too small for iOS requests, it: "I limiti di richiesta IIS sono troppo bassi"}
      next_step: {en: Set maxUrl and maxQueryString to 65534, it: Impostare maxUrl e maxQueryString a 65534}
      evidence: {max_url: 4096, max_query_string: 2048, origin: MACHINE/WEBROOT/APPHOST}
      fix: {module: ndes.scep.request_limits, variable: ndes_fix_request_limits, auto_fixable: true}
summary:
  description: Counts by severity, the worst severity, the finding ids and whether O(fail_on) failed the task.
  returned: success
  type: dict
  sample: {counts: {critical: 1, warning: 0, info: 0}, worst: critical, ids: [REQUEST_LIMITS], fail: false}
report:
  description: One line per finding (severity, id, title, next step), for humans.
  returned: success
  type: list
  elements: str
probe:
  description: The probe document (null when not probed).
  returned: success
  type: dict
logs:
  description: The log window summary (null when O(logs=false)).
  returned: success
  type: dict
ndes_remote_calls:
  description: Remote module executions this task made on the host (always 1).
  returned: always
  type: int
  sample: 1
"""
