#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.rollback (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: rollback
short_description: Restore what a run of the ndes.scep fixes changed, from that run's backups
version_added: 0.1.0
description:
  - Every change the ndes.scep fix modules make is backed up first on the host, under one folder per run id
    (Windows C(%ProgramData%\ndes.scep\backups\<run id>), lab C(<lab>/backups/<run id>/)) with a manifest
    that says how to restore each item.
  - This module replays the manifest of O(run_id) (all items, or only O(items)), newest change first, through
    the host agent's C(restore) ensure, in one remote call that also lists the runs the host holds.
  - An item whose target the host already holds as backed up is left alone, and so is an item that an older item
    of the run restores the same target of (that older one holds the state before the run). Rolling back the same
    run twice therefore changes nothing the second time (RV(unchanged) lists the items left alone).
  - When the host has no backups for O(run_id), nothing is restored and the task fails naming the run ids that
    exist (newest first), so the next attempt can pick one.
  - Restored IIS configuration and user rights take effect after a restart (C(restart_required)); restored
    HTTP.sys values after a reboot (C(reboot_required)). The C(ndes.scep.rollback) playbook does both according
    to its variables.
options:
  run_id:
    description:
      - The run whose backups to restore, as the fix modules and the report name it (for example
        C(20261125T210000Z-3f2a1b)).
    type: str
    required: true
  items:
    description:
      - Restore only these manifest items (their C(id)); default all items of the run.
    type: list
    elements: str
extends_documentation_fragment:
  - ndes.scep.attributes.read
attributes:
  diff_mode:  # the rest from ndes.scep.attributes.read
    support: full
author:
  - ndes.scep contributors (@ndes-scep)
notes:
  - The restore itself is backed up under the run id of the rollback task (host variable C(ndes_run_id)), so a
    rollback can be rolled back.
seealso:
  - module: ndes.scep.report
"""

EXAMPLES = r"""
- name: Restore everything run 20261125T210000Z-3f2a1b changed
  ndes.scep.rollback:
    run_id: 20261125T210000Z-3f2a1b

- name: Restore only the IIS configuration of that run
  ndes.scep.rollback:
    run_id: 20261125T210000Z-3f2a1b
    items:
      - 001-applicationHost.config
"""

RETURN = r"""
run_id:
  description: The run whose backups were restored.
  returned: success
  type: str
  sample: 20261125T210000Z-3f2a1b
restored:
  description: Manifest item ids restored (would be restored in check mode), in the order they were replayed.
  returned: success
  type: list
  elements: str
  sample: ["002-registry-HTTP-Parameters", "001-applicationHost.config"]
unchanged:
  description:
    - The items of RV(restored) the host already held as backed up, and the items an older item of the same run
      restores the same target of (a file, a value, a pool, an ACL) to its state before the run; they were left
      alone. When every item is unchanged (the run was already rolled back), the task reports no change.
  returned: success
  type: list
  elements: str
  sample: ["002-registry-HTTP-Parameters"]
available_runs:
  description: Backup runs the host holds, newest first, with their item ids.
  returned: always
  type: list
  elements: dict
  sample: [{"run_id": "20261125T210000Z-3f2a1b", "created": "2026-11-25T21:00:03Z", "items": ["001-applicationHost.config"]}]
changes:
  description: What the restore changed (C(restore) ensure before / after).
  returned: success
  type: list
  elements: dict
backup:
  description: Backups written before the restore, under the rollback task's own run id.
  returned: when something was restored
  type: dict
restart_required:
  description: Whether IIS should be reset so the restored configuration takes effect.
  returned: success
  type: bool
reboot_required:
  description: Whether a restored item (HTTP.sys parameters) takes effect only after a reboot.
  returned: success
  type: bool
ndes_remote_calls:
  description: Remote module executions this task made on the host (always 1).
  returned: always
  type: int
  sample: 1
"""
