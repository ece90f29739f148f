# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.diagnose: facts and the log window in one agent call, probe and rules on the controller."""
from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail

from ansible_collections.ndes.scep.plugins.module_utils._formats.device_logs import analyze_device_log
from ansible_collections.ndes.scep.plugins.module_utils._ndes import diagnose, facts, gather, log_window
from ansible_collections.ndes.scep.plugins.module_utils._ndes import probe as scep_probe
from ansible_collections.ndes.scep.plugins.module_utils._ndes import probe_task, rules
from ansible_collections.ndes.scep.plugins.plugin_utils._action_base import NdesAction
from ansible_collections.ndes.scep.plugins.plugin_utils._settings import SETTINGS_SPEC, settings_from


class ActionModule(NdesAction):
    ARGUMENT_SPEC = dict(
        SETTINGS_SPEC,
        logs={"type": "bool", "default": True},
        log_hours={"type": "int", "default": 24},
        probe={"type": "bool", "default": True},
        probe_url={"type": "str"},
        validate_certs={"type": "bool", "default": True},
        ca_bundle={"type": "path"},
        probe_timeout={"type": "float", "default": 10.0},
        device_logs={"type": "list", "elements": "path", "default": []},
        rules_files={"type": "list", "elements": "path", "default": []},
        fail_on={"type": "str", "choices": ["critical", "warning", "never"], "default": "never"},
    )

    def act(self, args):
        settings = settings_from(args)
        for path in args["rules_files"] + args["device_logs"]:
            if not os.path.isfile(path):
                raise AnsibleActionFail("%s is not a file on the controller" % path)
        ops = gather.info_ops(settings)
        since = until = None
        if args["logs"]:
            try:
                since, until = log_window.window(hours=args["log_hours"])
            except ValueError as exc:
                raise AnsibleActionFail("log_hours: %s" % exc)
            ops = log_window.add_log_ops(ops, args["site"], since)
        results = self.call_agent(ops)
        ndes = facts.build_facts(results, settings)
        logs = None
        warnings = []
        if args["logs"]:
            window = log_window.summarize_results(results, args["site"], since, until, args["scep_pool"])
            logs = window["summary"]
            warnings += window["warnings"]
        probe_doc = self._probe(args, warnings)
        devices = [self._device(path) for path in args["device_logs"]]
        try:
            outcome = diagnose.diagnose(ndes, probe=probe_doc, logs=logs, devices=devices or None,
                                        rule_files=args["rules_files"], fail_on=args["fail_on"])
        except ValueError as exc:
            raise AnsibleActionFail(str(exc))
        result = {
            "findings": outcome["findings"],
            "summary": outcome["summary"],
            "report": diagnose.report_lines(outcome["findings"]),
            "probe": probe_doc,
            "logs": logs,
            "ansible_facts": {"ndes": ndes, "ndes_findings": outcome["findings"]},
        }
        if warnings:
            result["warnings"] = warnings
        if outcome["summary"]["fail"]:
            failing = [f["id"] for f in outcome["findings"] if rules.should_fail([f], args["fail_on"])]
            result["failed"] = True
            result["msg"] = ("%d finding(s) of severity %s or worse: %s. See findings[].next_step "
                             "(the report of the diagnose role says what to do next)." % (
                                 len(failing), args["fail_on"], ", ".join(failing)))
        return result

    def _probe(self, args, warnings):
        if not args["probe"]:
            return None
        url = args["probe_url"]
        if not url and self.agent.kind == "lab":
            try:
                url = probe_task.lab_url(self.agent.lab_root)
            except ValueError as exc:
                warnings.append("not probed: %s" % exc)
                return None
        if not url:
            warnings.append("not probed: give probe_url (the SCEP URL devices use) to test it from the controller")
            return None
        try:
            return scep_probe.probe(url, validate_certs=args["validate_certs"], ca_bundle=args["ca_bundle"],
                                    timeout=args["probe_timeout"], warn_days=args["warn_days"])
        except ValueError as exc:
            raise AnsibleActionFail("cannot probe %s: %s" % (url, exc))

    @staticmethod
    def _device(path):
        with open(path, "rb") as handle:
            return analyze_device_log(handle.read())
