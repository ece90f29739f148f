# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The recorded contract-case responses (fixtures/windows/cases) have the shapes the PowerShell agent builds.

Parsed with tree-sitter (ps_tools): for each recorded result, the keys of the hashtable literal the
agent code builds for it: an ensure's ``before`` / ``after`` (what its handler passes to
New-AgentEnsureResult), the result envelope (Invoke-AgentOp, New-AgentEnsureResult,
New-AgentFailedResult, New-AgentSkippedResult, 99_main.ps1's not_run), backup records (the manifest
item Save-AgentBackupBytes writes, the restore op and its args the handler saves, the item file's
suffix), template_access records, and each error message against the agent's message formats. A
recording that drifts from the agent (or an agent change that is not re-recorded) fails here.
"""
from __future__ import annotations

import glob
import json
import os
import re
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ps_tools  # noqa: E402

CASES = sorted(glob.glob(os.path.join(os.path.dirname(HERE), "fixtures", "windows", "cases", "*.json")))
DISPATCH = ps_tools.dispatch_table(ps_tools.read(os.path.join(ps_tools.AGENT_DIR, "90_dispatch.ps1")))
ENVELOPE = {"id", "kind", "status"}


def recorded_results():
    """[(case file, op request, result)] of the case exchanges (the first: the case's own request)."""
    out = []
    for path in CASES:
        with open(path, encoding="ascii") as handle:
            doc = json.load(handle)
        for exchange in doc["exchanges"]:
            ops = dict((op["id"], op) for op in exchange["request"]["ops"])
            for result in exchange["response"]["results"]:
                out.append((os.path.basename(path), ops[result["id"]], result))
    return out


RESULTS = recorded_results()


def literal_keys(function, variable=None, where=None):
    """Key sets of the hashtable literals a function assigns to ``variable`` (or, with ``where``, of
    every literal in it whose entries satisfy where(source, entries))."""
    source, node = ps_tools.agent_function(function)
    if variable is not None:
        return set(frozenset(ps_tools.hash_entries(source, h))
                   for h in ps_tools.assigned_hashes(source, node).get(variable.lower(), ()))
    out = set()
    for sub in ps_tools.walk(node):
        if sub.type == "hash_literal_expression":
            entries = ps_tools.hash_entries(source, sub)
            if where(source, entries):
                out.add(frozenset(entries))
    return out


def indexed_keys(function, variable):
    """Keys a function adds with $variable['key'] = ..."""
    source, node = ps_tools.agent_function(function)
    text = source[node.start_byte:node.end_byte].decode("utf-8")
    return set(re.findall(r"\$%s\['(\w+)'\]\s*=" % variable, text))


def status_is(value):
    return lambda source, entries: "status" in entries and \
        ps_tools.string_value(source, entries["status"]) == value


def sides(kind):
    handler = DISPATCH[kind][1]
    source, node = ps_tools.agent_function(handler)
    return dict((side, ps_tools.argument_hashes(source, node, "New-AgentEnsureResult", side.capitalize()))
                for side in ("before", "after"))


def test_the_recordings_hold_ensures_of_every_status():
    statuses = set((result["status"], bool(result.get("skipped"))) for _f, op, result in RESULTS
                   if DISPATCH[op["kind"]][0] == "ensure")
    assert statuses == {("ok", False), ("ok", True), ("failed", False), ("not_run", False)}
    assert any("backup" in result for _f, _op, result in RESULTS)


ENSURES = [r for r in RESULTS if DISPATCH[r[1]["kind"]][0] == "ensure"]


@pytest.mark.parametrize("name,op,result", ENSURES, ids=["%s:%s" % (r[0][:-5], r[1]["id"]) for r in ENSURES])
def test_recorded_ensure_has_the_shape_the_agent_builds(name, op, result):
    kind = op["kind"]
    assert result["kind"] == kind
    if result["status"] == "failed":
        return          # test_failed_results_are_what_new_agentfailedresult_builds
    if result["status"] == "not_run":
        assert frozenset(result) in literal_keys("Invoke-AgentRequest", where=status_is("not_run")), (name, result)
        return
    if result.get("skipped"):
        assert frozenset(result) in literal_keys("New-AgentSkippedResult", where=status_is("ok")), (name, result)
        assert op.get("if_changed")
        return
    (envelope,) = literal_keys("Invoke-AgentOp", where=status_is("ok")) - {frozenset(["id", "kind", "status", "data"])}
    assert envelope == ENVELOPE
    (built,) = literal_keys("New-AgentEnsureResult", variable="out")
    optional = indexed_keys("New-AgentEnsureResult", "out")
    assert optional == {"backup", "warnings"}
    assert built <= set(result) - ENVELOPE <= built | optional, (name, sorted(result))
    shapes = sides(kind)
    assert shapes["before"] and shapes["after"], "no before/after literal found for %s" % kind
    assert frozenset(result["before"]) in shapes["before"], (name, kind, sorted(result["before"]), shapes["before"])
    assert frozenset(result["after"]) in shapes["after"], (name, kind, sorted(result["after"]), shapes["after"])


def test_failed_results_are_what_new_agentfailedresult_builds():
    failed = [(name, result) for name, _op, result in RESULTS if result["status"] == "failed"]
    assert len(failed) >= 6
    (built,) = literal_keys("New-AgentFailedResult", where=status_is("failed"))
    source, node = ps_tools.agent_function("New-AgentFailedResult")
    result_literal = next(h for h in ps_tools.walk(node)
                          if h.type == "hash_literal_expression" and "status" in ps_tools.hash_entries(source, h))
    error = ps_tools.hash_entries(source, result_literal)["error"]
    error_keys = frozenset(ps_tools.hash_entries(source, ps_tools.outer_hash(error)))
    patterns = ps_tools.message_patterns()
    for name, result in failed:
        assert frozenset(result) == built and frozenset(result["error"]) == error_keys, (name, result)
        message = result["error"]["message"]
        assert any(p.match(message) for p in patterns), "%s: no agent message format gives %r" % (name, message)


def test_backups_in_the_recordings_are_what_the_agent_writes():
    backed = [(name, op, result) for name, op, result in RESULTS if result.get("backup")]
    runs = [(name, result) for name, op, result in RESULTS if op["kind"] == "backups" and result["status"] == "ok"]
    assert backed and any(result["data"]["runs"] for _n, result in runs)
    (run_keys,) = literal_keys("Read-AgentBackups", where=lambda s, e: "run_id" in e)
    (item_keys,) = literal_keys("Save-AgentBackupBytes", where=lambda s, e: "restore" in e)
    items = {}
    for name, result in runs:
        for run in result["data"]["runs"] or []:
            assert frozenset(run) == run_keys, name
            for item in run["items"]:
                assert frozenset(item) == item_keys, name
                items[(run["run_id"], item["id"])] = item
    for name, op, result in backed:
        handler = DISPATCH[op["kind"]][1]
        source, node = ps_tools.agent_function(handler)
        suffixes = set(ps_tools.string_value(source, a) for a in
                       ps_tools.command_arguments(source, node, "Save-AgentBackupJson", "Suffix") +
                       ps_tools.command_arguments(source, node, "Save-AgentBackupBytes", "Suffix"))
        run_id = "contract-" + name[:-5]
        number = re.match(r"^(\d{3})-", result["backup"].rsplit("\\", 1)[1])
        assert number, result["backup"]
        item_id = number.group(1) + "-" + op["id"]                  # '{0:d3}-{1}' -f (count + 1), op id
        folder = "C:\\ProgramData\\ndes.scep\\backups\\" + run_id + "\\"
        assert result["backup"].startswith(folder + item_id), result["backup"]
        item = items[(run_id, item_id)]
        assert item["file"] == result["backup"].rsplit("\\", 1)[1]
        text = source[node.start_byte:node.end_byte].decode("utf-8")
        if None in suffixes:                                        # iis_property: -Suffix ('-' + $leaf) of the file
            assert "-Suffix ('-' + $leaf)" in text and "$leaf = [System.IO.Path]::GetFileName($file)" in text
            suffixes = (suffixes - {None}) | {"-" + item["source"].rsplit("\\", 1)[1]}
        if len(ps_tools.command_arguments(source, node, "Save-AgentBackupJson", "Kind")) > \
                len(ps_tools.command_arguments(source, node, "Save-AgentBackupJson", "Suffix")):
            suffixes = suffixes | {".json"}                         # Save-AgentBackupJson's default -Suffix
        assert any(result["backup"] == folder + item_id + suffix for suffix in suffixes), (result["backup"], suffixes)
        # the restore op: a literal assigned to $restore, or passed inline as -Restore ([ordered]@{...})
        restores = list(ps_tools.assigned_hashes(source, node).get("restore", ()))
        for command in ("Save-AgentBackupJson", "Save-AgentBackupBytes"):
            for argument in ps_tools.command_arguments(source, node, command, "Restore"):
                found = ps_tools.outer_hash(argument)
                if found is not None:
                    restores.append(found)
        assert restores, "no restore literal found in %s" % handler
        shapes = set()
        for literal in restores:
            entries = ps_tools.hash_entries(source, literal)
            shapes.add((ps_tools.string_value(source, entries["kind"]),
                        frozenset(ps_tools.hash_entries(source, ps_tools.outer_hash(entries["args"])))))
        restore = item["restore"]
        assert frozenset(restore) == {"kind", "args"}
        assert (restore["kind"], frozenset(restore["args"])) in shapes, (restore, shapes)


def test_template_access_records_are_what_the_agent_builds():
    records = [result["data"] for _n, op, result in RESULTS if op["kind"] == "template_access"]
    assert records
    (record_keys,) = literal_keys("ConvertTo-AgentTemplateRecord", where=lambda s, e: "subject_type" in e)
    assert indexed_keys("Read-AgentTemplateAccess", "record") == {"offered"}
    (identity_keys,) = literal_keys("Get-AgentIdentities", variable="machine")
    assert literal_keys("Get-AgentIdentities", variable="user") == {identity_keys}
    (access_keys,) = literal_keys("Get-AgentTemplateAccess", where=lambda s, e: "enroll" in e)
    (top_keys,) = literal_keys("Read-AgentTemplateAccess", variable="out")
    for data in records:
        assert frozenset(data) == top_keys
        for identity in data["identities"].values():
            assert frozenset(identity) == identity_keys
        for template in data["templates"].values():
            if template["exists"]:
                assert frozenset(template) == record_keys | {"offered"}
                for access in template["access"].values():
                    assert frozenset(access) == access_keys
            else:
                assert template == {"exists": False}


def test_the_parser_finds_what_it_should():
    # guards the helpers above: a helper that finds nothing would make every check vacuous
    assert sides("registry_value") == {"before": {frozenset(["value", "type"])}, "after": {frozenset(["value", "type"])}}
    assert sides("iis_reset") == {"before": {frozenset(["reset_at"])}, "after": {frozenset(["reset_at"])}}
    assert sides("cert_archive") == {"before": {frozenset(["archived"])}, "after": {frozenset(["archived"])}}
    assert any(p.match("REG_DWORD needs a non-negative integer") for p in ps_tools.message_patterns())
    assert not any(p.match("REG_DWORD needs a positive number") for p in ps_tools.message_patterns())
