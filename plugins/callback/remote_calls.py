# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Count remote module executions per host and per task."""
from __future__ import annotations

DOCUMENTATION = r"""
name: remote_calls
short_description: Count remote module executions per host and per task
description:
  - Counts how many times a module ran on each target (one AnsiballZ payload or one PowerShell
    exec-wrapper run), fact gathering and handlers included, and prints a summary at the end of the play.
  - ndes.scep action plugins report exactly how many host-agent calls they made (C(ndes_remote_calls) in
    their result); any other task counts one call per host and per loop item, except actions that run
    only on the controller (C(set_fact), C(debug), C(assert), includes, ...) which count none.
  - Tasks delegated to another host are counted under the host they ran on.
  - Counts can be written to a JSON file for tests and benchmarks.
type: aggregate
requirements:
  - enable in ansible.cfg (C(callbacks_enabled = ndes.scep.remote_calls)) or with E(ANSIBLE_CALLBACKS_ENABLED)
options:
  output_file:
    description:
      - Path of a JSON file to write the counts to at the end of the run
        with keys C(hosts) (total per host), C(tasks) (per host and task) and C(total).
    type: path
    env:
      - name: NDES_REMOTE_CALLS_FILE
    ini:
      - section: ndes_remote_calls
        key: output_file
  show_summary:
    description: Print one line per host with its remote call count at the end of the run.
    type: bool
    default: true
    env:
      - name: NDES_REMOTE_CALLS_SUMMARY
"""

import json
import os
from collections import defaultdict

from ansible.plugins.callback import CallbackBase

REMOTE_CALLS_KEY = "ndes_remote_calls"

# Actions that never execute a module on the target.
CONTROLLER_ONLY = frozenset(
    name
    for short in (
        "add_host", "assert", "debug", "fail", "group_by", "import_playbook", "import_role",
        "import_tasks", "include", "include_role", "include_tasks", "include_vars", "meta",
        "pause", "set_fact", "set_stats", "validate_argument_spec",
    )
    for name in (short, "ansible.builtin." + short, "ansible.legacy." + short)
)


def calls_for_result(action, result):
    """Remote calls one task result stands for (loop items are counted one by one)."""
    if REMOTE_CALLS_KEY in result:
        return int(result[REMOTE_CALLS_KEY] or 0)
    if action in CONTROLLER_ONLY:
        return 0
    if result.get("skipped"):
        return 0
    return 1


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "ndes.scep.remote_calls"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.per_task = defaultdict(lambda: defaultdict(int))

    def _host_of(self, result):
        delegated = result._result.get("_ansible_delegated_vars") or {}
        host = delegated.get("ansible_delegated_host")
        if not host:
            # ansible-core 2.19.x keeps only ansible_host/port/user/connection of the delegated vars in the
            # result a callback sees; the task's (templated) delegate_to names the host then, as in host_label
            delegate_to = getattr(result._task, "delegate_to", None)
            if isinstance(delegate_to, str) and delegate_to and "{" not in delegate_to:
                host = delegate_to
        return host or result._host.get_name()

    def _record(self, result, item=False):
        res = result._result
        if not item and isinstance(res.get("results"), list) and "ndes_remote_calls" not in res:
            return  # loop summary: items were counted one by one
        action = result._task.action
        calls = calls_for_result(action, res)
        task_name = result._task.get_name()
        self.per_task[self._host_of(result)][task_name] += calls

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result)

    def v2_runner_item_on_ok(self, result):
        self._record(result, item=True)

    def v2_runner_item_on_failed(self, result):
        self._record(result, item=True)

    def counts(self):
        hosts = {host: sum(tasks.values()) for host, tasks in self.per_task.items()}
        return {
            "hosts": hosts,
            "tasks": {host: dict(tasks) for host, tasks in self.per_task.items()},
            "total": sum(hosts.values()),
        }

    def v2_playbook_on_stats(self, stats):
        counts = self.counts()
        output_file = self.get_option("output_file")
        if output_file:
            directory = os.path.dirname(output_file)
            if directory:
                os.makedirs(directory, exist_ok=True)
            with open(output_file, "w", encoding="utf-8") as handle:
                json.dump(counts, handle, indent=2, sort_keys=True)
        if self.get_option("show_summary"):
            for host in sorted(counts["hosts"]):
                self._display.display("remote calls: %s=%d" % (host, counts["hosts"][host]))
