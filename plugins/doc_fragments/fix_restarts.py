# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The restarts option every fix module shares (restarts that ride in the fix's own agent call)."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  restarts:
    description:
      - Restarts to make in the same agent call, after this module's changes, so that they cost no call of their
        own. The remediate role hands them to the last fix of its plan. They are not made in check mode (the
        module's RV(restarts) says what a real run would need).
      - A restart with O(restarts[].when=if_changed) runs only when this module changed something (the agent
        contract's C(if_changed) on the module's own changes); with C(always) it runs in any case, for example
        for what an earlier task changed. With only C(if_changed) restarts and nothing to change, no call is made.
      - An IIS reset covers every pool recycle, so a recycle asked for next to one is dropped (the reset then runs
        C(always) if the recycle was to).
      - The result's C(restarts_done) lists the restarts made; what they cover is removed from RV(restarts) and
        RV(restart_required). A restart that fails fails the task, after the module's changes were made.
    type: list
    elements: dict
    suboptions:
      kind:
        description:
          - C(iis_reset) resets IIS; C(recycle) recycles the application pool O(restarts[].name); C(connector_restart)
            restarts the connector service O(restarts[].name).
        type: str
        required: true
        choices: [iis_reset, recycle, connector_restart]
      name:
        description:
          - For C(recycle), the pool (default the SCEP pool the facts describe, else C(SCEP)).
          - For C(connector_restart), the service (default every Intune Certificate Connector service the facts show
            installed and not disabled).
        type: str
      when:
        description: C(always), or C(if_changed) (only when this module changed something).
        type: str
        choices: [always, if_changed]
        default: if_changed
"""
