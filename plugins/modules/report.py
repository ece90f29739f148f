#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.report (the action plugin does the work, on the controller)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: report
short_description: Write one report of a diagnose or remediate run across all hosts (JSON, Markdown, HTML)
version_added: 0.1.0
description:
  - Runs on the controller and makes no remote call. Gathers what the C(ndes.scep.diagnose) and
    C(ndes.scep.remediate) roles left on every host of the play (the host variables C(ndes_findings),
    C(ndes_changes), C(ndes_backups), C(ndes_reboot_required), and when set C(ndes_host_status),
    C(ndes_restarts), C(ndes_rebooted), C(ndes_verification), C(ndes_host_message)) and writes three files
    under O(dest), C(report.json), C(report.md) and C(report.html).
  - A host whose C(ndes_findings) is null but which has the C(ndes) facts (the remediate role gathers them with
    C(ndes.scep.info)) gets the findings of the rules (built-in and O(rules_files)) evaluated over those facts,
    on the controller.
  - The HTML page is self-contained (inline style, no script, no external asset) with one row per host
    and finding (evidence, fix, documentation link) and a "what changed" section per host with its backups.
  - A host of the play that has none of these variables, or whose C(ndes_host_role) names the other role
    (results left by an earlier play), is listed as not reached (for example a later batch of a rolling run
    that stopped early).
  - Use it with C(run_once) in a play over the NDES hosts. Writing the report does not change a managed
    host, so the task reports C(changed=false). It also writes in check mode, where the report is the
    drift report.
options:
  dest:
    description:
      - Directory for the three files, created when missing. A relative path is relative to the directory
        C(ansible-playbook) runs in.
      - Default C(ndes-reports/<run id>).
    type: path
  run_id:
    description:
      - The run id the report is about (it names the backups of the run).
      - Default the host variable C(ndes_run_id), else a new id.
    type: str
  hosts:
    description:
      - Inventory hosts to report on, in this order.
      - Default every host of the play (C(ansible_play_hosts_all)).
    type: list
    elements: str
  mode:
    description:
      - What the run did. C(remediate) run in check mode is reported as a drift report.
    type: str
    choices: [diagnose, remediate]
    default: diagnose
  lang:
    description: Language of finding titles and next steps (C(en) or C(it)); English when a text lacks it.
    type: str
    choices: [en, it]
    default: en
  title:
    description: Heading of the report. Default depends on O(mode).
    type: str
  rules_files:
    description:
      - Your own rules files (the schema of the built-in catalogue), used with the built-in rules when findings are
        evaluated from a host's facts.
    type: list
    elements: path
    default: []
extends_documentation_fragment:
  - ndes.scep.attributes.read
attributes:  # details on top of ndes.scep.attributes.read
  check_mode:
    details: Writes the report in check mode too (the drift report); it never changes a managed host.
  platform:
    details: Runs on the controller; reports on Windows and lab hosts alike.
author:
  - ndes.scep contributors (@ndes-scep)
seealso:
  - module: ndes.scep.diagnose
  - module: ndes.scep.rollback
"""

EXAMPLES = r"""
- name: Write the run report once for all hosts
  ndes.scep.report:
    dest: "{{ ndes_report_dir }}"
    mode: remediate
  run_once: true
  register: ndes_report

- name: Publish the summary to AWX / AAP
  ansible.builtin.set_stats:
    data:
      ndes_report: "{{ ndes_report.summary }}"
  run_once: true
"""

RETURN = r"""
paths:
  description: Paths of the files written.
  returned: success
  type: dict
  contains:
    json:
      description: The report document.
      type: str
    markdown:
      description: The Markdown rendering.
      type: str
    html:
      description: The self-contained HTML page.
      type: str
  sample: {"json": "/home/ops/ndes-reports/20261125T210000Z-3f2a1b/report.json",
           "markdown": "/home/ops/ndes-reports/20261125T210000Z-3f2a1b/report.md",
           "html": "/home/ops/ndes-reports/20261125T210000Z-3f2a1b/report.html"}
dest:
  description: Absolute path of the directory holding the files.
  returned: success
  type: str
  sample: /home/ops/ndes-reports/20261125T210000Z-3f2a1b
run_id:
  description: The run id of the report.
  returned: success
  type: str
  sample: 20261125T210000Z-3f2a1b
summary:
  description: Counts across all hosts (also what a playbook hands to C(set_stats)).
  returned: success
  type: dict
  sample: {"hosts": 2, "hosts_reached": 2, "findings": 3, "by_severity": {"error": 2, "warning": 1},
           "by_id": {"REQUEST_LIMITS": 1}, "auto_fixable": 2, "changes": 4, "hosts_changed": ["ndes01"],
           "hosts_with_findings": ["ndes01"], "reboot_required": [], "failed": [], "not_reached": [],
           "mode": "remediate", "run_id": "20261125T210000Z-3f2a1b"}
ndes_remote_calls:
  description: Remote module executions this task made (always 0, it runs on the controller).
  returned: always
  type: int
  sample: 0
"""
