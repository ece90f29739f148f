#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.ping (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: ping
short_description: Check that the ndes.scep host agent answers on a host
version_added: 0.1.0
description:
  - Sends one read-only request to the host agent of the target and returns which agent answered
    (C(windows) or C(lab)), the contract version it speaks and what it reports about the host.
  - Run it first against a new server; it changes nothing and costs one remote call.
  - On a Windows host the agent runs through the task's own connection (winrm, psrp, or OpenSSH with a
    PowerShell shell); on any other host the host variable C(ndes_lab_root) must name a lab NDES.
options: {}
extends_documentation_fragment:
  - ndes.scep.attributes.read
author:
  - ndes.scep contributors (@ndes-scep)
notes:
  - The Windows agent needs the C(ansible.windows) collection on the controller.
seealso:
  - module: ndes.scep.info
"""

EXAMPLES = r"""
- name: Check the agent before anything else
  ndes.scep.ping:
  register: agent

- name: Show which agent answered
  ansible.builtin.debug:
    msg: "{{ agent.agent }} agent, contract v{{ agent.contract_version }} on {{ agent.host.hostname }}"
"""

RETURN = r"""
agent:
  description: Which agent answered.
  returned: success
  type: str
  sample: lab
contract_version:
  description: The host-agent contract version both sides speak.
  returned: success
  type: int
  sample: 1
check_mode:
  description: Whether the request was sent in check mode.
  returned: success
  type: bool
  sample: false
host:
  description: What the agent reports about the host (the C(system) read).
  returned: success
  type: dict
  sample: {"hostname": "NDES01", "fqdn": "ndes01.contoso.com", "last_boot": "2026-11-25T06:00:00Z"}
ndes_remote_calls:
  description: Remote module executions this task made on the host (always 1).
  returned: always
  type: int
  sample: 1
"""
