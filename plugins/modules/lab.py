#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Create, re-create or remove a lab NDES (a Windows NDES server's artefacts on a Linux host)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: lab
short_description: Create or remove a lab NDES with injected faults
version_added: 0.1.0
description:
  - A lab NDES is a directory on a Linux host holding a Windows NDES server's artefacts in their real
    formats (applicationHost.config and web.config, registry values, a secedit INF, certificate stores
    with keys, services, app pool state, W3C, HTTPERR and SetupMsi logs, events, AD account flags, and
    the values in effect since the last boot). Every other C(ndes.scep) module works on it through the
    lab agent, exactly as on a Windows server.
  - With O(state=present) it builds a healthy lab (every value as Microsoft's Intune NDES guide wants it)
    and injects O(faults). The lab is idempotent on its fault set, host name and FQDN; a different set
    re-creates it from scratch (backups and the lab's history are discarded, C(run/) is kept).
  - With O(state=absent) it removes the lab directory.
  - The action plugin fills O(root) from the host variable C(ndes_lab_root) when it is not given.
options:
  root:
    description:
      - Path of the lab directory. It must be empty, absent, or an existing lab (it holds C(lab.json));
        anything else is refused so that no unrelated directory is ever replaced or deleted.
      - When not given, the action plugin fills it from the host variable C(ndes_lab_root).
    type: path
  state:
    description:
      - V(present) creates the lab (or re-creates it when the faults, host name or FQDN differ).
      - V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  faults:
    description:
      - "Faults to inject, by the lower-case id of C(FAULTS.md) (for example V(request_limits)), or as
        C({id, variant}) for a fault with several real forms (for example
        C({id: policy_cert_expired, variant: keyless})). Without a variant the first one applies."
      - See C(docs/lab-faults.md) for every id and variant, what it changes, what a device sees over
        HTTP and which findings a diagnosis must report.
      - An unknown id or variant fails with the list of valid ones.
    type: list
    elements: raw
    default: []
  hostname:
    description: NetBIOS host name of the lab server.
    type: str
    default: NDES01
  fqdn:
    description: Fully qualified name of the lab server (its domain names the lab AD domain and CA).
    type: str
    default: ndes01.contoso.com
  server:
    description:
      - V(started) runs the lab's HTTP face (IIS + HTTP.sys + NDES as a device sees them) as a daemon on
        127.0.0.1, recorded in C(<root>/run/server.json); V(stopped) stops it. Both are idempotent.
      - When not given, a running face is left as it is (and stopped when O(state=absent)).
    type: str
    choices: [started, stopped]
  port:
    description: Loopback port of the HTTP face; a free port is picked when not given.
    type: int
  front_port:
    description:
      - Also serve an "App Proxy" front on this loopback port, which answers 504 while C(WAPCSvc) is stopped.
    type: int
  ca_backend:
    description:
      - V(scepserver) runs the Debian C(scep) package's C(scepserver) as the lab's CA, so that real SCEP
        clients can enrol through the lab's mscep.dll URL once the lab is healthy.
    type: str
    choices: [scepserver]
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
  - Never reboot a lab host; the lab's own C(reboot) (M(ndes.scep.reboot) on a lab host) boots the lab.
seealso:
  - module: ndes.scep.lab_agent
  - module: ndes.scep.info
"""

EXAMPLES = r"""
- name: A healthy lab NDES at the path the inventory names
  ndes.scep.lab:
    root: "{{ ndes_lab_root }}"

- name: A lab with the classic iOS 414 and a missing impersonate right
  ndes.scep.lab:
    root: /srv/labs/ndes01
    faults:
      - request_limits
      - impersonate_right

- name: Limits set in the site's web.config, and a keyless policy certificate
  ndes.scep.lab:
    root: /srv/labs/ndes01
    hostname: NDES02
    fqdn: ndes02.fabrikam.com
    faults:
      - {id: request_limits, variant: webconfig}
      - {id: policy_cert_expired, variant: keyless}

- name: Remove the lab
  ndes.scep.lab:
    root: /srv/labs/ndes01
    state: absent
"""

RETURN = r"""
lab:
  description: The lab record (C(lab.json)); absent after O(state=absent).
  returned: when state is present
  type: dict
  sample:
    root: /srv/labs/ndes01
    hostname: NDES01
    fqdn: ndes01.contoso.com
    service_account: CONTOSO\svc-ndes
    ca_config: ca01.contoso.com\CONTOSO-CA01-CA
    faults: [{id: request_limits, variant: apphost}]
    created: "2026-11-25T21:00:00Z"
expected_findings:
  description: Finding ids a correct diagnosis of this lab must report (from the fault catalogue).
  returned: when state is present
  type: list
  elements: str
  sample: [REQUEST_LIMITS]
server:
  description: The HTTP face's record (C(run/server.json)) with C(running), when O(server) is given.
  returned: when server is given
  type: dict
  sample: {"base_url": "http://127.0.0.1:41234", "port": 41234, "pid": 4242, "running": true}
changed:
  description: Whether the lab was created, re-created or removed, or its HTTP face started or stopped.
  returned: always
  type: bool
"""

import os
import shutil

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ndes.scep.plugins.module_utils._lab import certs, faults, server


def _wanted(module):
    faults.check_names(module.params["hostname"], module.params["fqdn"])
    return {"hostname": module.params["hostname"].upper(), "fqdn": module.params["fqdn"].lower(),
            "faults": faults.normalize(module.params["faults"])}


def present(module, root):
    try:
        wanted = _wanted(module)
    except faults.FaultError as exc:
        module.fail_json(msg=str(exc))
    current = faults.read_lab(root)
    same = current is not None and all(current.get(k) == v for k, v in wanted.items())
    if same:
        return False, current
    if module.check_mode:
        return True, dict(wanted, root=root)
    if certs.CRYPTOGRAPHY_IMPORT_ERROR is not None:
        module.fail_json(msg="creating a lab needs the Python 'cryptography' package on the lab host",
                         exception=str(certs.CRYPTOGRAPHY_IMPORT_ERROR))
    return True, faults.create(root, wanted["faults"], wanted["hostname"], wanted["fqdn"])


def absent(module, root):
    if not os.path.exists(root):
        return False
    if not module.check_mode:
        server.stop(root)
        shutil.rmtree(root)
    return True


def serve(module, root):
    """Apply O(server); returns (changed, record)."""
    wanted = module.params["server"]
    current = server.status(root)
    if wanted == "stopped":
        if not current.get("running"):
            return False, current
        if module.check_mode:
            return True, dict(current, running=False)
        server.stop(root)
        return True, server.status(root)
    if current.get("running"):
        return False, current
    if module.check_mode:
        return True, dict(current, running=True)
    try:
        record = server.start(root, port=module.params["port"], front_port=module.params["front_port"],
                              ca_backend=module.params["ca_backend"])
    except server.LabServerError as exc:
        module.fail_json(msg="the lab's HTTP face did not start: %s" % exc)
    return True, record


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            faults=dict(type="list", elements="raw", default=[]),
            hostname=dict(type="str", default=faults.DEFAULT_HOSTNAME),
            fqdn=dict(type="str", default=faults.DEFAULT_FQDN),
            server=dict(type="str", choices=["started", "stopped"]),
            port=dict(type="int"),
            front_port=dict(type="int"),
            ca_backend=dict(type="str", choices=["scepserver"]),
        ),
        supports_check_mode=True,
    )
    root = module.params["root"]
    if not root:
        module.fail_json(msg="root is required: set the host variable ndes_lab_root or pass root")
    if not faults.is_lab_or_empty(root):
        module.fail_json(msg="%s exists and is not a lab NDES (no lab.json); choose an empty or new "
                             "directory for ndes_lab_root" % root)
    if module.params["state"] == "absent":
        module.exit_json(changed=absent(module, root))
    changed, record = present(module, root)
    record = dict(record, root=root)
    result = dict(lab=record, expected_findings=faults.expected_findings(record["faults"]))
    if module.params["server"]:
        served, result["server"] = serve(module, root)
        changed = changed or served
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
