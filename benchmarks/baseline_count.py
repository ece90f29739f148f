# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Count, without running it, the remote calls per host of a baseline playbook (benchmarks/baseline/).

Usage: ``python benchmarks/baseline_count.py PLAYBOOK [--faults a,b] [--dynamic var=N ...]``

Rules (one remote call = one module run on the host, as the ndes.scep.remote_calls callback counts):

* fact gathering: 1 per play with ``gather_facts`` true (the default);
* a task: 1 per loop item (``loop`` / ``with_items`` over a literal list or a variable of the play's
  ``vars`` / ``vars_files``; a list built at run time by ``set_fact`` takes its size from ``--dynamic``),
  else 1; tasks in check mode count too (the module runs and only predicts); controller-only actions
  (``debug``, ``set_fact``, ``meta``, ``assert``, includes...; the callback's list) count 0;
  ``import_tasks`` / ``include_tasks`` and blocks are followed;
* a handler: counted once (per loop item) at the next ``meta: flush_handlers`` or at the end of the play
  when a task that notifies it changes something; a task changes when one of its ``tags`` names a fault
  the host has (``--faults``; the tags are FAULTS.md ids in lower case), its loop is not empty, it is not
  in check mode and its module is not a read (``*_info``, ``win_reg_stat``, ``win_uri``, ``win_find``,
  ``win_shell`` reading logs);
* ``when`` is refused: the baseline runs every check and fix every time, which is what it stands for.

``win_reboot`` counts 1 although it runs several commands on the host (reboot, then polls for the boot),
so the baseline's count is a lower bound.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402  pylint: disable=wrong-import-position


# Modules that only read (they never report a change, so never notify).
READ_ONLY = frozenset(("win_uri", "win_reg_stat", "win_find", "win_shell", "win_stat", "setup"))


def _keywords():
    from ansible.playbook.task import Task
    return set(Task.fattributes) | {"action", "local_action"}


def _controller_only():
    c.use_collection()
    from ansible_collections.ndes.scep.plugins.callback.remote_calls import CONTROLLER_ONLY
    return CONTROLLER_ONLY


class Counter(object):
    def __init__(self, faults=(), dynamic=None):
        self.faults = set(f.lower() for f in faults)
        self.dynamic = dict(dynamic or {})
        self.keywords = _keywords()
        self.controller_only = _controller_only()
        self.rows = []
        self.notified = []

    def action_of(self, task):
        keys = [k for k in task if k not in self.keywords and not k.startswith("with_")]
        if len(keys) != 1:
            raise ValueError("task %r: cannot tell its action among %s" % (task.get("name"), keys))
        return keys[0]

    def items(self, task, variables):
        loop = task.get("loop", task.get("with_items"))
        if loop is None:
            return None
        if isinstance(loop, list):
            return len(loop)
        text = str(loop).strip()
        if text.startswith("{{") and text.endswith("}}"):
            name = text[2:-2].strip()
            if name in self.dynamic:
                return int(self.dynamic[name])
            if isinstance(variables.get(name), list):
                return len(variables[name])
        raise ValueError("task %r: loop %r is neither a list nor a known variable (give --dynamic %s=N)"
                         % (task.get("name"), loop, text.strip("{} ")))

    def tasks(self, tasks, base, variables, where):
        for task in tasks or []:
            if "block" in task:
                self.tasks(task["block"], base, variables, where)
                continue
            if "when" in task:
                raise ValueError("task %r has a when: the baseline runs every task every time" % task.get("name"))
            action = self.action_of(task)
            short = action.split(".")[-1]
            if short in ("import_tasks", "include_tasks"):
                path = task[action] if isinstance(task[action], str) else task[action]["file"]
                full = os.path.join(base, path)
                with open(full, encoding="utf-8") as handle:
                    self.tasks(yaml.safe_load(handle), base, variables, os.path.relpath(full, base))
                continue
            if action in self.controller_only:
                if short == "meta" and task[action] == "flush_handlers":
                    self.flush(where)
                continue
            items = self.items(task, variables)
            calls = 1 if items is None else items
            tags = task.get("tags") or []
            changes = (calls > 0 and bool(self.faults & set(tags)) and not task.get("check_mode")
                       and short not in READ_ONLY and not short.endswith("_info"))
            self.rows.append({"where": where, "task": task.get("name"), "action": action, "calls": calls,
                              "loop_items": items, "check_mode": bool(task.get("check_mode")),
                              "changes": changes, "tags": tags})
            if changes:
                notify = task.get("notify") or []
                for handler in [notify] if isinstance(notify, str) else notify:
                    if handler not in self.notified:
                        self.notified.append(handler)

    def flush(self, where):
        for handler in list(self.handlers):
            if handler.get("name") in self.notified or handler.get("listen") in self.notified:
                action = self.action_of(handler)
                items = self.items(handler, self.variables)
                calls = 1 if items is None else items
                self.rows.append({"where": where + " (handler)", "task": handler.get("name"), "action": action,
                                  "calls": calls, "loop_items": items, "check_mode": False, "changes": True,
                                  "tags": []})
        self.notified = []

    def playbook(self, path):
        base = os.path.dirname(os.path.abspath(path))
        with open(path, encoding="utf-8") as handle:
            plays = yaml.safe_load(handle)
        gather = 0
        for play in plays:
            variables = {}
            for name in play.get("vars_files") or []:
                with open(os.path.join(base, name), encoding="utf-8") as handle:
                    variables.update(yaml.safe_load(handle) or {})
            variables.update(play.get("vars") or {})
            self.variables, self.handlers = variables, play.get("handlers") or []
            if play.get("gather_facts", True):
                gather += 1
                self.rows.append({"where": os.path.basename(path), "task": "Gathering Facts", "action": "setup",
                                  "calls": 1, "loop_items": None, "check_mode": False, "changes": False, "tags": []})
            for section in ("pre_tasks", "roles", "tasks", "post_tasks"):
                if section == "roles" and play.get("roles"):
                    raise ValueError("roles are not supported by this counter")
                self.tasks(play.get(section), base, variables, os.path.basename(path))
            self.flush(os.path.basename(path))
        return {
            "playbook": os.path.relpath(path, c.ROOT),
            "faults": sorted(self.faults),
            "dynamic": self.dynamic,
            "total": sum(r["calls"] for r in self.rows),
            "fact_gathering": gather,
            "tasks": sum(1 for r in self.rows if "handler" not in r["where"] and r["action"] != "setup"),
            "handler_calls": sum(r["calls"] for r in self.rows if "handler" in r["where"]),
            "rows": self.rows,
        }


def count(path, faults=(), dynamic=None):
    return Counter(faults, dynamic).playbook(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("playbook")
    parser.add_argument("--faults", default="", help="comma-separated lab fault ids the host has")
    parser.add_argument("--dynamic", action="append", default=[], help="var=N: size of a list built at run time")
    args = parser.parse_args(argv)
    dynamic = dict((kv.split("=", 1)[0], int(kv.split("=", 1)[1])) for kv in args.dynamic)
    out = count(args.playbook, [f for f in args.faults.split(",") if f], dynamic)
    for row in out["rows"]:
        print("%3d  %-28s %s%s" % (row["calls"], row["action"], row["task"], " [changes]" if row["changes"] else ""))
    print("total %d remote calls per host (%d fact gathering, %d tasks, %d handler calls)" % (
        out["total"], out["fact_gathering"], out["tasks"], out["handler_calls"]))
    json.dump({k: v for k, v in out.items() if k != "rows"}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
