# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.rollback: the agent's restore ensure, with the host's backup runs read alongside."""
from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.ndes.scep.plugins.plugin_utils._action_base import NdesAction

HTTPSYS_KEY = "services\\http\\parameters"


def run_listing(runs):
    """``[{run_id, created, items: [ids]}]`` newest first."""
    listing = [{"run_id": r.get("run_id"), "created": r.get("created"),
                "items": [i.get("id") for i in (r.get("items") or []) if isinstance(i, dict)]}
               for r in runs or [] if isinstance(r, dict)]
    return sorted(listing, key=lambda r: (r["created"] or "", r["run_id"] or ""), reverse=True)


def needs_reboot(run, restored):
    """A restored item that put back HTTP.sys parameters takes effect at the next boot."""
    for item in (run or {}).get("items") or []:
        if isinstance(item, dict) and item.get("id") in restored:
            if HTTPSYS_KEY in str(item.get("source") or "").replace("/", "\\").lower():
                return True
    return False


class ActionModule(NdesAction):
    ARGUMENT_SPEC = {
        "run_id": {"type": "str", "required": True},
        "items": {"type": "list", "elements": "str"},
    }

    def act(self, args):
        run_id = args["run_id"].strip()
        restore_args = {"run_id": run_id}
        if args["items"] is not None:
            restore_args["items"] = list(args["items"])
        outcome, results = self.apply([("runs", "backups", {}), ("restore", "restore", restore_args)])
        runs_read = results["runs"]
        if runs_read["status"] != "ok":
            raise AnsibleActionFail("Could not list the backups on the host (%s): %s" % (
                runs_read["error"]["code"], runs_read["error"]["message"]))
        raw_runs = runs_read["data"].get("runs") or []
        listing = run_listing(raw_runs)
        run = next((r for r in raw_runs if isinstance(r, dict) and r.get("run_id") == run_id), None)
        if run is None:
            return self._unknown_run(run_id, listing)
        unknown_items = sorted(set(args["items"] or []) - set(i.get("id") for i in run.get("items") or []))
        if unknown_items:
            return {"failed": True, "available_runs": listing, "msg": (
                "Run %s has no backup item(s) %s; its items are: %s. Nothing was restored." % (
                    run_id, ", ".join(unknown_items), ", ".join(i.get("id") for i in run.get("items") or []) or "none"))}
        result = outcome.as_result()
        after = results["restore"].get("after") or {}
        restored = list(after.get("restored") or [])
        unchanged = list(after.get("unchanged") or [])
        result.update({
            "run_id": run_id,
            "restored": restored,
            "unchanged": unchanged,
            "available_runs": listing,
            "restart_required": bool(restored) and bool(result["changed"]),
            "reboot_required": bool(result["changed"]) and needs_reboot(run, [i for i in restored if i not in unchanged]),
        })
        return result

    @staticmethod
    def _unknown_run(run_id, listing):
        if listing:
            known = "; ".join("%s (%s, %d item(s))" % (r["run_id"], r["created"] or "?", len(r["items"]))
                              for r in listing)
            msg = "This host has no backups for run %s, nothing was restored. Runs with backups, newest first: %s. " \
                  "Rerun with one of them as run_id." % (run_id, known)
        else:
            msg = "This host has no backups for run %s, nothing was restored: it holds no backup runs at all " \
                  "(nothing was ever changed here by ndes.scep, or the backups were removed)." % run_id
        return {"failed": True, "changed": False, "available_runs": listing, "msg": msg}
