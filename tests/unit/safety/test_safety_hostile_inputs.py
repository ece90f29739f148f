# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 9.1: hostile values in every string-like option of every module are data, never code.

Each (module, option, hostile value) runs the real action plugin on a Windows connection whose
agent is answered by a lab NDES (safety_harness). For every case:

* no exception escapes the action plugin; a failure carries a message;
* the script sent is the agent on disk, the request travels as ASCII JSON in parameters.Request;
* a value that reaches the host arrives whole (a token of it present means all of it is present);
* the lab is still readable afterwards, and it changed only when the task said it changed, with
  backups that give the lab back byte for byte (rollback of the run id);
* per the option's expectation (hostile.OPTIONS): rejected, read-only, or stored byte-exact.
"""
from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET

import safety_figures
import safety_state
from hostile import HOSTILE, OPTIONS, TOKENS
from safety_harness import changed_files, run_action, state_files, strings_in

from ansible_collections.ndes.scep.plugins.module_utils._lab import layout, registry
from ansible_collections.ndes.scep.plugins.plugin_utils._action_base import windows_script

MSCEP = r"HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP"
TEMPLATE_VALUES = ("SignatureTemplate", "EncryptionTemplate", "GeneralPurposeTemplate")


def _report_vars(value):
    host = {"ndes_findings": [{"id": "URL_NOT_403", "severity": "critical", "title": {"en": value},
                               "next_step": {"en": value}, "evidence": [{"detail": value}]}],
            "ndes_host_status": "ok", "ndes_changes": [], "ndes_host_message": value}
    return {"hostvars": {"ndes01": host, value: host}, "ansible_play_hosts_all": ["ndes01"]}


def _stored_templates(root):
    reg = registry.load(root)
    return [(registry.get_value(reg, MSCEP, name) or {}).get("value") for name in TEMPLATE_VALUES]


def _apphost_locations(root):
    tree = ET.parse(layout.win_to_lab(root, layout.APPHOST_CONFIG))
    return [loc.get("path") for loc in tree.getroot().iter("location")]


def _readable(root, baseline_unknown):
    """The lab still answers a full facts gather as before (nothing left unreadable)."""
    out = run_action("info", {}, root)
    if out.result.get("failed"):
        return "info failed afterwards: %s" % out.result.get("msg")
    unknown = sorted(json.dumps(u, sort_keys=True) for u in out.result["ndes"].get("unknown") or [])
    if unknown != baseline_unknown:
        return "facts unreadable afterwards: %s" % unknown
    return None


def _case(module, option, is_list, expectation, extra, name, value, root, tmp, baseline_unknown):
    """Run one case; return (problems, outcome word)."""
    problems = []
    args = dict(extra)
    args[option] = [value] if is_list else value
    task_vars = None
    if module == "report":
        args.setdefault("dest", os.path.join(tmp, "report"))
        task_vars = _report_vars(value)
    before = state_files(root)
    restorable = safety_state.restorable_view(root)
    try:
        out = run_action(module, args, root, windows=True, task_vars=task_vars)
    except Exception as exc:  # the action plugin must turn everything into a result
        return ["raised %s: %s" % (type(exc).__name__, str(exc)[:200])], "raised"
    result = out.result
    failed = bool(result.get("failed"))
    if failed and not (isinstance(result.get("msg"), str) and result["msg"].strip()):
        problems.append("failed without a message")
    if failed and "Traceback" in (result.get("msg") or ""):
        problems.append("a traceback in the message")
    for call in out.windows_calls:
        if call["script"] != windows_script() or set(call) != {"script", "parameters"}:
            problems.append("the script sent is not the agent on disk")
        text = call["parameters"]["Request"]
        if set(call["parameters"]) != {"Request"} or not isinstance(text, str) or not text.isascii():
            problems.append("the request is not one ASCII JSON string in parameters.Request")
    token = TOKENS[name]
    sent = [s for request in out.requests() for s in strings_in(request)]
    reached = any(token in s for s in sent)
    if reached and not any(value.strip() in s for s in sent):
        problems.append("the value reached the host cut or changed")
    after = state_files(root)
    diff = changed_files(before, after)
    unreadable = _readable(root, baseline_unknown)
    if unreadable:
        problems.append(unreadable)
    if expectation == "store" and not failed:
        if not diff:
            problems.append("a new value was not written")
        if module == "mscep_templates" and _stored_templates(root) != [value.strip()] * 3:
            problems.append("the template name was not stored byte-exact")
    if diff:
        if expectation in ("reject", "read"):
            problems.append("%s option changed the lab: %s" % (expectation, diff))
        if not result.get("changed"):
            problems.append("the lab changed (%s) but the task says changed=false" % diff)
        backup = result.get("backup") or {}
        restore = run_action("rollback", {"run_id": backup.get("run_id") or "none"}, root)
        left = safety_state.differences(restorable, safety_state.restorable_view(root))
        if restore.result.get("failed") or left:
            problems.append("the backups do not give the lab back (%s %s)" % (left, restore.result.get("msg") or ""))
    if expectation == "reject" and not failed:
        problems.append("accepted; expected a clear rejection")
    if module == "report" and not failed:
        with open(result["paths"]["html"], encoding="utf-8") as handle:
            html = handle.read()
        if "<x a=" in html:
            problems.append("unescaped markup in the HTML report")
        with open(result["paths"]["json"], encoding="utf-8") as handle:
            doc = json.load(handle)
        if option == "title" and doc["title"] != value:
            problems.append("the title is not kept intact in report.json")
    word = "rejected" if failed else ("stored" if diff else "accepted")
    return problems, word


def test_hostile_values_are_data_in_every_module(lab_copy, tmp_path):
    template = lab_copy([])
    baseline_unknown = sorted(json.dumps(u, sort_keys=True)
                              for u in run_action("info", {}, template).result["ndes"].get("unknown") or [])
    root = os.path.join(str(tmp_path), "work")
    shutil.copytree(template, root)
    pristine = state_files(root)
    problems, counts, stored = [], {"rejected": 0, "accepted": 0, "stored": 0, "raised": 0}, []
    modules = set()
    for module, option, is_list, expectation, extra in OPTIONS:
        modules.add(module)
        for name, value in HOSTILE.items():
            found, word = _case(module, option, is_list, expectation, extra, name, value, root, str(tmp_path),
                                baseline_unknown)
            counts[word] += 1
            if module == "mscep_templates" and word == "stored":
                stored.append((name, value))
            problems += ["%s %s=<%s>: %s" % (module, option, name, p) for p in found]
            if state_files(root) != pristine:      # a stored value: start the next case from the template
                shutil.rmtree(root)
                shutil.copytree(template, root)
    tried = len(OPTIONS) * len(HOSTILE)
    safety_figures.record(
        "1-hostile-unit", "1a", "Hostile values in every string-like option of every module (in-process, "
        "Windows wire format, lab host)",
        "%d inputs: %d options x %d hostile values over %d modules; %d rejected, %d accepted as data, %d stored "
        "byte-exact" % (tried, len(OPTIONS), len(HOSTILE), len(modules), counts["rejected"], counts["accepted"],
                        counts["stored"]),
        len(problems), {"hostile_inputs": tried}, lost_what="cases that broke a rule")
    assert not problems, "\n".join(problems)


def test_a_template_name_is_stored_byte_exact(lab_copy):
    """mscep_templates writes the three REG_SZ values exactly as given (surrounding blanks trimmed)."""
    stored = 0
    for name, value in HOSTILE.items():
        root = lab_copy([{"id": "mscep_templates", "variant": "ipsec"}])
        out = run_action("mscep_templates", {"template": value}, root)
        if out.result.get("failed"):
            assert out.result["msg"], name
            continue
        assert _stored_templates(root) == [value.strip()] * 3, name
        again = run_action("mscep_templates", {"template": value}, root)
        assert again.result["changed"] is False and not again.result.get("failed"), name
        stored += 1
    assert stored >= len(HOSTILE) - 2
