# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 9.1 (static): no PowerShell source is ever built from parameter values.

Every action plugin that talks to a host is run on a connection whose shell is Windows
(``_IS_WINDOWS = True``), with default, fault-fixing and hostile arguments, in check mode and not.
What it hands ``_execute_module`` for ``ansible.windows.win_powershell`` must be:

* ``script``: exactly the agent files on disk joined in name order, the same text for every call;
* ``parameters``: only ``Request``, one ASCII JSON string holding a valid contract request;
* nothing else, and no piece of any argument value anywhere but inside that JSON string.
"""
from __future__ import annotations

import glob
import importlib
import json
import os

import safety_figures
from hostile import HOSTILE, OPTIONS, TOKENS
from safety_harness import run_action, strings_in

from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import validate_request
from ansible_collections.ndes.scep.plugins.plugin_utils import _action_base as base

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ACTIONS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "plugins", "action", "*.py")))
FIXABLE = ["impersonate_right", "app_pool_stopped", "root_intermediates", "crs_windows_auth", "proxy_connector_down",
           "request_limits", "httpsys_limits", "temp_acl", "ra_key_acl", "mscep_templates",
           {"id": "connector_health", "variant": "stopped"}, "crl_unreachable"]
# Arguments a module needs to run at all, and ones that make it send ensures on the faulty lab.
BASE_ARGS = {"mscep_templates": {"template": "NDESIntune"}, "rollback": {"run_id": "20260101T000000Z-000000"},
             "reboot": {"only_if_required": True}, "policy_cert": {"auto": True},
             "connector_service": {"certificate_connector": True}, "iis_restart": {"reset": True},
             "diagnose": {"probe": False}}


def agent_modules():
    out = []
    for name in ACTIONS:
        action = importlib.import_module("ansible_collections.ndes.scep.plugins.action." + name).ActionModule
        if action.NEEDS_AGENT and name != "lab":
            out.append(name)
    return out


def on_disk_agent():
    parts = sorted(glob.glob(os.path.join(ROOT, "plugins", "plugin_utils", "windows_agent", "*.ps1")))
    texts = []
    for path in parts:
        with open(path, encoding="utf-8") as handle:
            texts.append(handle.read())
    return "\n".join(texts)


def test_the_script_is_the_agent_files_on_disk():
    assert len(glob.glob(os.path.join(ROOT, "plugins", "plugin_utils", "windows_agent", "*.ps1"))) >= 10
    assert base.windows_script() == on_disk_agent()
    assert base.windows_script() == base.windows_script()


def _arg_sets(module):
    base_args = BASE_ARGS.get(module, {})
    yield "defaults", dict(base_args)
    for mod, option, is_list, _expect, extra in OPTIONS:
        if mod != module:
            continue
        for name, value in HOSTILE.items():
            args = dict(base_args, **extra)
            args[option] = [value] if is_list else value
            yield name, args


def test_every_call_sends_the_same_script_and_the_request_only_as_json(lab_copy):
    script = on_disk_agent()
    modules = agent_modules()
    assert {"info", "diagnose", "request_limits", "user_right", "rollback", "app_pool"} <= set(modules)
    problems, calls, scripts = [], 0, set()
    healthy, faulty = lab_copy([]), lab_copy(FIXABLE)
    for module in modules:
        for label, args in _arg_sets(module):
            # defaults: healthy and faulty lab, check mode and not (the faulty lab stays faulty for every
            # module: real runs only on the healthy one); hostile values: the healthy lab, for real
            runs = [(healthy, True), (healthy, False), (faulty, True)] if label == "defaults" else [(healthy, False)]
            for root, check in runs:
                out = run_action(module, args, root, windows=True, check=check)
                if out.result.get("failed") and not out.result.get("msg"):
                    problems.append("%s %s: failed without a message" % (module, label))
                for name, module_args in out.calls:
                    if name != base.WINDOWS_AGENT_MODULE:
                        problems.append("%s: called %s on a Windows host" % (module, name))
                        continue
                    calls += 1
                    scripts.add(module_args["script"])
                    if set(module_args) != {"script", "parameters"} or set(module_args["parameters"]) != {"Request"}:
                        problems.append("%s %s: module args %s" % (module, label, sorted(module_args)))
                        continue
                    text = module_args["parameters"]["Request"]
                    if not isinstance(text, str) or not text.isascii():
                        problems.append("%s %s: the request is not ASCII JSON text" % (module, label))
                        continue
                    request = validate_request(json.loads(text))
                    if request["check_mode"] is not check:
                        problems.append("%s %s: check mode not carried in the request" % (module, label))
                    if label in TOKENS:
                        value = HOSTILE[label].strip()
                        sent = list(strings_in(request))
                        if any(TOKENS[label] in s for s in sent) and not any(value in s for s in sent):
                            problems.append("%s %s: the value travelled cut or changed" % (module, label))
    assert scripts == {script}, "%d distinct scripts" % len(scripts)
    assert calls > 500
    safety_figures.record(
        "1-static-script", "1b", "No PowerShell built from parameters: module args of every win_powershell call "
        "(fake Windows connection)",
        "%d calls from %d modules (defaults, fault fixes, every hostile value; check mode and not): %d distinct "
        "script (the agent files on disk), request only as JSON in parameters.Request" % (
            calls, len(modules), len(scripts)),
        len(problems), {"windows_calls": calls}, lost_what="calls that broke a rule")
    assert not problems, "\n".join(problems[:50])


def test_the_lab_module_refuses_a_windows_host(lab_copy):
    out = run_action("lab", {}, lab_copy([]), windows=True)
    assert out.result["failed"] is True and "Windows host" in out.result["msg"] and out.calls == []
