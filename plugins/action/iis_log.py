# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.iis_log: one agent call for the log window, summarised as it streams."""
from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.ndes.scep.plugins.module_utils._ndes import log_window
from ansible_collections.ndes.scep.plugins.plugin_utils._action_base import NdesAction


class ActionModule(NdesAction):
    ARGUMENT_SPEC = {
        "site": {"type": "str", "default": "Default Web Site"},
        "scep_pool": {"type": "str", "default": "SCEP"},
        "hours": {"type": "int", "default": log_window.DEFAULT_HOURS},
        "since": {"type": "str"},
        "until": {"type": "str"},
        "max_bytes": {"type": "int", "default": log_window.DEFAULT_MAX_BYTES},
        "max_files": {"type": "int"},
        "httperr_dir": {"type": "str", "default": log_window.HTTPERR_DIR},
    }

    def act(self, args):
        site = (args["site"] or "").strip().strip("/")
        if not site:
            raise AnsibleActionFail("site must name an IIS site (for example 'Default Web Site')")
        if args["max_bytes"] <= 0:
            raise AnsibleActionFail("max_bytes must be a positive number of bytes, got %d" % args["max_bytes"])
        if args["max_files"] is not None and args["max_files"] <= 0:
            raise AnsibleActionFail("max_files must be 1 or more, got %d" % args["max_files"])
        try:
            since, until = log_window.window(args["hours"], args["since"], args["until"])
        except ValueError as exc:
            raise AnsibleActionFail(str(exc))
        max_files = args["max_files"] or log_window.max_files_for(since, until)
        results = self.call_agent(log_window.log_ops(site, since, args["max_bytes"], max_files, args["httperr_dir"]))
        out = log_window.summarize_results(results, site, since, until, args["scep_pool"])
        missing = log_window.unknown_site(out)
        if missing:
            known = out["site"]["known_sites"]
            raise AnsibleActionFail("IIS site %r does not exist on this host (%s); set site to the site that hosts "
                                    "NDES" % (site, "sites: " + ", ".join(known) if known else "no sites found"))
        if len(out["failed_reads"]) == 2:
            raise AnsibleActionFail("no log could be read: %s" % "; ".join(out["warnings"]))
        result = {
            "summary": out["summary"],
            "faults": out["summary"]["faults"],
            "files": out["files"],
            "parse": out["parse"],
            "timeline": out["timeline"],
            "site": out["site"],
        }
        if out["warnings"]:
            result["warnings"] = out["warnings"]
        return result
