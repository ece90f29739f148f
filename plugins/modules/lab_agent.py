#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab host agent: answers one host-agent contract request over a lab NDES directory."""
from __future__ import annotations

DOCUMENTATION = r"""
module: lab_agent
short_description: Internal lab host agent that the ndes.scep action plugins call
version_added: 0.1.0
description:
  - Internal module. The C(ndes.scep) action plugins call it on a lab host (any host that is not
    Windows and has the host variable C(ndes_lab_root)); playbooks do not call it directly.
  - Answers one request of the host-agent contract (C(docs/contract.md)) over the lab NDES at O(root),
    every read kind (registry, effective IIS configuration, app pools, services, certificate stores and
    chains, user rights, events, file tails, ACLs, AD account flags, backups) and every ensure kind
    (registry value, IIS property, user right, app pool, service, certificate move/enrol/archive,
    key and folder ACLs, event log, IIS reset, restore, the lab C(reboot), failure injection).
  - Reads always run. Ensures run in order; after the first failed ensure the later ones are reported
    as C(not_run). Each changing ensure writes a backup under C(<root>/backups/<run_id>/) before it
    changes anything. In check mode nothing in the lab changes.
options:
  root:
    description:
      - Path of the lab NDES directory (created by M(ndes.scep.lab)).
    type: path
    required: true
  request:
    description:
      - The contract request C({version, check_mode, run_id, lock, ops}).
      - C(check_mode) in the request decides whether ensures change anything; the module itself
        supports check mode and then forces C(check_mode=true).
    type: dict
    required: true
extends_documentation_fragment:
  - ndes.scep.attributes.read
attributes:  # on top of ndes.scep.attributes.read
  platform:
    platforms: posix
requirements:
  - cryptography (Python library, on the lab host)
author:
  - ndes.scep contributors (@ndes-scep)
notes:
  - It is not a twin of the Windows agent; ansible-core would pick a C(.ps1) twin even for a Linux target.
seealso:
  - module: ndes.scep.lab
"""

EXAMPLES = r"""
# Internal: this is what the action plugins send. Shown for debugging a lab by hand.
- name: Read the system facts of a lab NDES
  ndes.scep.lab_agent:
    root: /srv/labs/ndes01
    request:
      version: 1
      check_mode: false
      ops:
        - {id: sys, kind: system, args: {}}
        - id: limits
          kind: iis_config
          args:
            section: system.webServer/security/requestFiltering/requestLimits
            location: Default Web Site/certsrv/mscep
  register: raw

- name: Set maxUrl where it is configured, with a backup under run demo-1
  ndes.scep.lab_agent:
    root: /srv/labs/ndes01
    request:
      version: 1
      check_mode: false
      run_id: demo-1
      lock: true
      ops:
        - id: max_url
          kind: iis_property
          args:
            section: system.webServer/security/requestFiltering/requestLimits
            location: Default Web Site
            commit_path: MACHINE/WEBROOT/APPHOST
            attributes: {maxUrl: 65534, maxQueryString: 65534}
"""

RETURN = r"""
response:
  description: The contract response C({version, agent, elapsed_ms, results}); one result per op, in order.
  returned: success
  type: dict
  sample:
    version: 1
    agent: lab
    elapsed_ms: 3
    results:
      - {id: sys, kind: system, status: ok, data: {hostname: NDES01, fqdn: ndes01.contoso.com}}
changed:
  description: True when any ensure changed (or, in check mode, would change) the lab.
  returned: always
  type: bool
  sample: false
dropped:
  description: True when failure injection dropped the connection (the module then fails).
  returned: failure
  type: bool
  sample: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import ContractError
from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, certs
from ansible_collections.ndes.scep.plugins.module_utils._lab.errors import LabNotFound
from ansible_collections.ndes.scep.plugins.module_utils._lab.runctl import DroppedConnection


def main():
    module = AnsibleModule(
        argument_spec=dict(root=dict(type="path", required=True), request=dict(type="dict", required=True)),
        supports_check_mode=True,
    )
    if certs.CRYPTOGRAPHY_IMPORT_ERROR is not None:
        module.fail_json(msg="the lab agent needs the Python 'cryptography' package on the lab host; "
                             "install it or point ansible_python_interpreter at a Python that has it",
                         exception=str(certs.CRYPTOGRAPHY_IMPORT_ERROR))
    request = dict(module.params["request"])
    if module.check_mode:
        request["check_mode"] = True
    try:
        response = agent.handle(module.params["root"], request)
    except ContractError as exc:
        module.fail_json(msg="the request does not fit the host-agent contract: %s" % exc)
    except LabNotFound as exc:
        module.fail_json(msg=str(exc))
    except DroppedConnection as exc:
        module.fail_json(msg="lab agent: %s (lab_inject drop_connection; clear it with lab_inject clear)" % exc,
                         dropped=True)
    changed = any(r.get("changed") for r in response["results"])
    module.exit_json(changed=changed, response=response)


if __name__ == "__main__":
    main()
