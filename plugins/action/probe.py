# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.probe: the SCEP URL probed from the controller, no remote call."""
from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.ndes.scep.plugins.module_utils._ndes import probe as scep_probe
from ansible_collections.ndes.scep.plugins.module_utils._ndes import probe_task
from ansible_collections.ndes.scep.plugins.plugin_utils._action_base import LAB_ROOT_VAR, NdesAction


class ActionModule(NdesAction):
    NEEDS_AGENT = False
    ARGUMENT_SPEC = {
        "url": {"type": "str"},
        "lab_root": {"type": "path"},
        "validate_certs": {"type": "bool", "default": True},
        "ca_bundle": {"type": "path"},
        "timeout": {"type": "float", "default": scep_probe.DEFAULT_TIMEOUT},
        "long_get_bytes": {"type": "int", "default": scep_probe.DEFAULT_LONG_GET_BYTES},
        "platforms": {"type": "list", "elements": "str", "choices": ["windows", "android", "ios"],
                      "default": ["windows", "android", "ios"]},
        "warn_days": {"type": "int", "default": 30},
        "expect_app_proxy": {"type": "bool", "default": False},
        "fail_on_signals": {"type": "list", "elements": "str", "choices": list(probe_task.FAIL_ON_CHOICES),
                            "default": []},
    }

    def _url(self, args):
        if args["url"]:
            return args["url"].strip()
        lab_root = args["lab_root"] or self._task_vars.get(LAB_ROOT_VAR)
        if not lab_root:
            raise AnsibleActionFail("give url (the SCEP URL of the Intune profile, e.g. "
                                    "https://ndes.contoso.com/certsrv/mscep/mscep.dll), or lab_root / the host "
                                    "variable %s to probe a lab's HTTP face" % LAB_ROOT_VAR)
        try:
            return probe_task.lab_url(to_text(lab_root), app_proxy=args["expect_app_proxy"])
        except ValueError as exc:
            raise AnsibleActionFail(str(exc))

    def act(self, args):
        if args["timeout"] <= 0:
            raise AnsibleActionFail("timeout must be a positive number of seconds, got %s" % args["timeout"])
        if args["long_get_bytes"] < 0:
            raise AnsibleActionFail("long_get_bytes must be 0 (skip) or more, got %d" % args["long_get_bytes"])
        if args["ca_bundle"] and not os.path.isfile(args["ca_bundle"]):
            raise AnsibleActionFail("ca_bundle %s is not a file on the controller" % args["ca_bundle"])
        url = self._url(args)
        expect = args["expect_app_proxy"]
        try:
            doc = scep_probe.probe(
                url, validate_certs=args["validate_certs"], ca_bundle=args["ca_bundle"], timeout=args["timeout"],
                long_get_bytes=args["long_get_bytes"], platforms=tuple(args["platforms"]),
                warn_days=args["warn_days"], app_proxy=True if expect else None, external=expect)
        except ValueError as exc:
            raise AnsibleActionFail("cannot probe %s: %s" % (url, exc))
        result = dict(doc)
        levels = probe_task.signal_levels(doc)
        reached = probe_task.reached(doc)
        matched = probe_task.matched(doc, args["fail_on_signals"])
        result.update(signal_levels=levels, reached=reached, matched=matched,
                      healthy=reached and not doc.get("failures") and all(v == "warning" for v in levels.values()))
        if matched:
            result["failed"] = True
            result["msg"] = "%s still shows %s (%s). Look at the evidence, fix the host, then rerun." % (
                url, ", ".join(matched), "; ".join(
                    "%s: %s" % (e["stage"], e["detail"]) for e in doc.get("evidence") or []
                    if e.get("id") in matched and e.get("confidence") != "warning")[:1000])
        elif args["fail_on_signals"] and not reached:
            first = (doc.get("failures") or [{}])[0]
            result["failed"] = True
            result["msg"] = "%s gave no HTTP answer (%s: %s), so nothing could be verified. Check the URL, that " \
                            "the server listens there, and that nothing between the controller and it (DNS, " \
                            "firewall, proxy) blocks it; then rerun." % (url, first.get("class"), first.get("detail"))
        return result
