# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ndes.scep.iis_log: the window, the one request it sends, the streaming summary, and the action over a lab."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ndes.scep.plugins.action.iis_log import ActionModule
from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import make_request, validate_request
from ansible_collections.ndes.scep.plugins.module_utils._formats import w3c
from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, faults, layout
from ansible_collections.ndes.scep.plugins.module_utils._ndes import log_window as lw
from ansible_collections.ndes.scep.plugins.plugin_utils._action_base import AgentSelection, new_run_id

FIX = Path(__file__).resolve().parents[1] / "fixtures"
UTC = dt.timezone.utc
NOW = dt.datetime(2025, 6, 13, 12, 0, 0, tzinfo=UTC)
JUNE = (dt.datetime(2025, 6, 1, tzinfo=UTC), None)


def _text(*parts):
    return (FIX.joinpath(*parts)).read_text(encoding="utf-8-sig")


def _file(path, content, modified, truncated=False, head=None, size=None):
    item = {"path": path, "size": size or len(content.encode("utf-8")), "modified": modified, "offset": 0,
            "content": content, "truncated": truncated, "encoding": "utf-8"}
    if head is not None:
        item["head"] = head
    return item


def _results(w3c_files=None, httperr_files=None, sites=None, w3c_error=None, httperr_error=None):
    def read(op_id, kind, files, error):
        if error:
            return {"id": op_id, "kind": kind, "status": "failed", "error": error}
        data = {"files": files or []}
        if op_id == lw.W3C_OP:
            data["resolved"] = {"directory": "C:\\inetpub\\logs\\LogFiles\\W3SVC1"}
        return {"id": op_id, "kind": kind, "status": "ok", "data": data}
    if sites is None:
        sites = [{"id": 1, "name": "Default Web Site", "log_format": "W3C"}]
    return {lw.SITES_OP: {"id": lw.SITES_OP, "kind": "iis_sites", "status": "ok", "data": {"sites": sites}},
            lw.W3C_OP: read(lw.W3C_OP, "file_tail", w3c_files, w3c_error),
            lw.HTTPERR_OP: read(lw.HTTPERR_OP, "file_tail", httperr_files, httperr_error)}


# ------------------------------------------------------------------ window
def test_window_from_hours_since_and_until():
    assert lw.window(24, now=NOW) == (NOW - dt.timedelta(hours=24), None)
    since, until = lw.window(6, until="2025-06-12T12:00:00Z", now=NOW)
    assert (since, until) == (dt.datetime(2025, 6, 12, 6, tzinfo=UTC), dt.datetime(2025, 6, 12, 12, tzinfo=UTC))
    # since wins over hours; a time without a zone is UTC, as IIS logs it
    assert lw.window(1, since="2025-06-10 08:00:00", now=NOW)[0] == dt.datetime(2025, 6, 10, 8, tzinfo=UTC)
    assert lw.window(1, since="2025-06-10T10:00:00+02:00", now=NOW)[0] == dt.datetime(2025, 6, 10, 8, tzinfo=UTC)


@pytest.mark.parametrize("kwargs, message", [
    ({"hours": 0}, "hours must be a positive"),
    ({"since": "yesterday"}, "since 'yesterday' is not a date"),
    ({"until": "2025-13-01T00:00:00Z"}, "until"),
    ({"since": "2025-06-12T00:00:00Z", "until": "2025-06-11T00:00:00Z"}, "the window is empty"),
])
def test_window_errors_say_what_to_fix(kwargs, message):
    kwargs.setdefault("hours", 24)
    with pytest.raises(ValueError, match=message):
        lw.window(now=NOW, **kwargs)


@pytest.mark.parametrize("hours, expected", [(0.5, 2), (24, 2), (25, 3), (168, 8), (24 * 400, lw.MAX_FILES_CAP)])
def test_max_files_follows_the_window(hours, expected):
    assert lw.max_files_for(NOW - dt.timedelta(hours=hours), now=NOW) == expected


# ------------------------------------------------------------------ the request
def test_log_ops_is_one_valid_request_with_the_site_placeholder():
    since = dt.datetime(2025, 6, 12, 8, 30, tzinfo=UTC)
    ops = lw.log_ops("NDES Site", since, max_bytes=1000, max_files=3, httperr_dir="D:\\HTTPERR")
    validate_request(make_request(ops, False))
    by_id = {op_id: (kind, args) for op_id, kind, args in ops}
    assert by_id[lw.SITES_OP] == ("iis_sites", {})
    kind, args = by_id[lw.W3C_OP]
    assert kind == "file_tail"
    # the folder is resolved on the host from the site's id and log directory: no W3SVC1 anywhere
    assert contract.split_placeholder("file_tail", "directory", args["directory"]) == ("site_log_folder", "NDES Site")
    assert "W3SVC" not in repr(ops)
    assert args == {"directory": "@site_log_folder:NDES Site", "pattern": "*.log", "max_bytes": 1000,
                    "max_files": 3, "since": "2025-06-12T08:30:00Z", "head_bytes": lw.HEAD_BYTES}
    assert by_id[lw.HTTPERR_OP][1]["directory"] == "D:\\HTTPERR"
    assert by_id[lw.HTTPERR_OP][1]["pattern"] == "httperr*.log"


# ------------------------------------------------------------------ summary
def test_fixtures_summarised_with_signals_and_parse_stats():
    results = _results(
        w3c_files=[_file("W3SVC1\\u_ex250612.log", _text("w3c", "u_ex250612_edge.log"), "2025-06-12T09:00:02Z"),
                   _file("W3SVC1\\u_ex250611.log", _text("w3c", "u_ex250611.log"), "2025-06-11T08:16:40Z")],
        httperr_files=[_file("HTTPERR\\httperr2.log", _text("httperr", "httperr2.log"), "2025-06-12T07:20:03Z")])
    out = lw.summarize_results(results, "Default Web Site", *JUNE, scep_pool="SCEP")
    summary = out["summary"]
    assert summary["faults"] == ["APP_POOL_STOPPED", "HTTPSYS_LIMITS", "IMPERSONATE_RIGHT", "REQUEST_LIMITS"]
    by_signal = {s["signal"]: s["count"] for s in summary["signals"]}
    assert by_signal == {"httperr_scep_pool_503": 2, "httperr_length_limit": 1, "mscep_500_1346": 2,
                         "request_filtering_404_14_15": 1}
    # files are read oldest first, whatever order the agent listed them in
    assert [f["path"] for f in out["files"]] == ["W3SVC1\\u_ex250611.log", "W3SVC1\\u_ex250612.log",
                                                 "HTTPERR\\httperr2.log"]
    parse = out["parse"]
    assert parse["w3c"]["files"] == 2
    assert parse["w3c"]["malformed"] == {"field_count": 2, "bad_date": 2, "no_fields": 0}
    assert parse["w3c"]["malformed_total"] == 4
    assert parse["w3c"]["field_changes"] == 2
    assert len(parse["w3c"]["fields"]) == 2
    assert parse["httperr"]["malformed"]["bad_date"] == 1
    assert summary["w3c"]["parse"] is parse["w3c"]
    # mscep.dll per hour: 2025-06-11 08h (4 requests, one 500), 2025-06-12 07h, 08h, 09h
    assert out["timeline"][0] == {"hour": "2025-06-11T08:00:00Z", "requests": 4, "errors": 1}
    assert sum(h["requests"] for h in out["timeline"]) == summary["w3c"]["mscep"]["requests"]
    assert out["site"] == {"name": "Default Web Site", "id": 1, "log_folder": "C:\\inetpub\\logs\\LogFiles\\W3SVC1",
                           "log_format": "W3C", "known_sites": ["Default Web Site"]}
    assert out["warnings"] == [] and out["failed_reads"] == []


def test_file_text_is_dropped_once_read():
    files = [_file("a.log", _text("w3c", "u_ex250611.log"), "2025-06-11T09:00:00Z")]
    lw.summarize_results(_results(w3c_files=files, httperr_files=[]), "Default Web Site", *JUNE)
    assert "content" not in files[0]


def test_the_window_filters_records():
    files = [_file("a.log", _text("w3c", "u_ex250611.log"), "2025-06-11T09:00:00Z")]
    since = dt.datetime(2025, 6, 11, 8, 15, tzinfo=UTC)
    out = lw.summarize_results(_results(w3c_files=files, httperr_files=[]), "Default Web Site", since, None)
    w = out["summary"]["w3c"]
    assert (w["records"], w["outside_window"]) == (2, 5)
    assert w["mscep"]["requests"] == 1 and out["summary"]["faults"] == ["IMPERSONATE_RIGHT"]
    assert out["timeline"] == [{"hour": "2025-06-11T08:00:00Z", "requests": 1, "errors": 1}]


TAIL = _text("w3c", "u_ex250611.log").split("#Fields:", 1)[1].split("\n", 1)[1]   # data lines only
HEADER = "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2025-06-11 08:14:02\r\n" + \
    "#Fields: " + _text("w3c", "u_ex250611.log").split("#Fields: ", 1)[1].split("\n", 1)[0] + "\n"


def _one_tail(head=None, before=None):
    files = []
    if before is not None:
        files.append(_file("old.log", before, "2025-06-10T23:59:59Z"))
    files.append(_file("cut.log", TAIL, "2025-06-11T09:00:00Z", truncated=True, head=head, size=10 ** 6))
    out = lw.summarize_results(_results(w3c_files=files, httperr_files=[]), "Default Web Site", *JUNE)
    return out, [f for f in out["files"] if f["path"] == "cut.log"][0]


def test_a_tail_cut_after_its_header_uses_the_files_head():
    out, cut = _one_tail(head=HEADER)
    assert (cut["fields_from"], cut["assumed_fields"], cut["truncated"]) == ("head", False, True)
    assert out["summary"]["w3c"]["mscep"]["requests"] == 4
    assert out["parse"]["w3c"]["malformed_total"] == 0
    assert any("raise max_bytes" in w for w in out["warnings"])


def test_a_cut_file_that_still_covers_the_window_is_not_warned():
    files = [_file("cut.log", TAIL, "2025-06-11T09:00:00Z", truncated=True, head=HEADER, size=10 ** 6)]
    since = dt.datetime(2025, 6, 11, 8, 15, tzinfo=UTC)   # the part read starts at 08:14:02
    out = lw.summarize_results(_results(w3c_files=files, httperr_files=[]), "Default Web Site", since, None)
    assert out["files"][0]["first_record"] == "2025-06-11T08:14:02Z"
    assert out["warnings"] == []


def test_without_a_head_the_previous_files_fields_are_assumed():
    out, cut = _one_tail(before=HEADER + TAIL.split("\n", 1)[0] + "\n")
    assert (cut["fields_from"], cut["assumed_fields"]) == ("previous_file", True)
    assert out["parse"]["w3c"]["assumed_fields"] == 1
    assert out["summary"]["w3c"]["mscep"]["requests"] == 5


def test_without_any_header_lines_are_counted_and_warned():
    out, cut = _one_tail()
    assert cut["fields_from"] is None
    assert out["parse"]["w3c"]["malformed"]["no_fields"] == 7
    assert out["summary"]["w3c"]["mscep"]["requests"] == 0
    assert any("before any #Fields header" in w for w in out["warnings"])


def test_a_later_header_in_the_tail_is_the_last_resort():
    text = _text("w3c", "u_ex250613_lf.log")        # line 1 is data before any #Fields
    files = [_file("lf.log", text, "2025-06-13T08:00:00Z", truncated=True)]
    out = lw.summarize_results(_results(w3c_files=files, httperr_files=[]), "Default Web Site", *JUNE)
    assert out["files"][0]["fields_from"] == "later_header"
    assert out["parse"]["w3c"]["malformed"]["no_fields"] == 0


def test_reader_accepts_the_field_list_in_force():
    records = list(w3c.W3CReader(TAIL.encode(), fields=HEADER.split("#Fields: ")[1].split()))
    assert len(records) == 7 and records[0]["cs-uri-stem"] == "/certsrv/mscep/mscep.dll/pkiclient.exe"


def test_failed_reads_become_warnings_and_an_unknown_site_is_recognised():
    missing = {"code": "not_found", "message": "placeholder @site_log_folder:NDES: no IIS site of that name"}
    out = lw.summarize_results(_results(w3c_error=missing, httperr_files=[]), "NDES", *JUNE)
    assert out["summary"]["w3c"] is None and out["summary"]["no_mscep_requests"] is None
    assert lw.unknown_site(out)["code"] == "not_found"
    assert out["site"]["known_sites"] == ["Default Web Site"] and out["site"]["id"] is None
    folder = {"code": "not_found", "message": "directory D:\\Logs\\W3SVC1 does not exist"}
    out = lw.summarize_results(_results(w3c_error=folder, httperr_files=[]), "Default Web Site", *JUNE)
    assert lw.unknown_site(out) is None
    assert out["warnings"] == ["the W3C log of site Default Web Site was not read (not_found: directory "
                               "D:\\Logs\\W3SVC1 does not exist)"]


def test_a_site_not_logging_in_w3c_is_warned():
    sites = [{"id": 1, "name": "Default Web Site", "log_format": "IIS"}]
    out = lw.summarize_results(_results(w3c_files=[], httperr_files=[], sites=sites), "Default Web Site", *JUNE)
    assert "logs in the IIS format" in out["warnings"][0]


# ------------------------------------------------------------------ the action over a lab
@pytest.fixture(scope="module")
def lab_template(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("iis-log-lab") / "lab")
    faults.create(root, ["impersonate_right"])
    return root


@pytest.fixture
def lab_root(lab_template, tmp_path):
    root = str(tmp_path / "lab")
    shutil.copytree(lab_template, root)
    return root


def _act(root, **given):
    validated = ArgumentSpecValidator(ActionModule.ARGUMENT_SPEC).validate(given)
    assert not validated.error_messages, validated.error_messages
    action = object.__new__(ActionModule)
    action._remote_calls = 0
    action.check_mode = False
    action.diff_mode = False
    action.run_id = new_run_id()
    action.agent = AgentSelection("lab", root)
    requests = []

    def execute(request):
        action._remote_calls += 1
        requests.append(request)
        return agent.handle(root, request)

    action._execute_agent = execute
    return action.act(validated.validated_parameters), action._remote_calls, requests


def test_action_one_call_and_the_seeded_fault(lab_root):
    result, calls, requests = _act(lab_root)
    assert calls == 1 and len(requests[0]["ops"]) == 3
    assert result["faults"] == ["IMPERSONATE_RIGHT"]
    assert result["summary"]["w3c"]["mscep"]["by_status"]["500.0.1346"] == 3
    assert result["site"]["log_folder"] == "C:\\inetpub\\logs\\LogFiles\\W3SVC1"
    assert "warnings" not in result
    assert all("content" not in f and "head" not in f for f in result["files"])


def test_action_truncated_tail_reads_the_head_from_the_lab(lab_root):
    result, calls, _requests = _act(lab_root, max_bytes=2048)
    w3c_file = [f for f in result["files"] if f["kind"] == "w3c"][0]
    assert calls == 1
    assert w3c_file["truncated"] and w3c_file["fields_from"] == "head"
    assert result["parse"]["w3c"]["malformed_total"] == 0
    assert result["summary"]["w3c"]["records"] > 0


def test_action_unknown_site_and_nothing_readable_fail(lab_root):
    with pytest.raises(AnsibleActionFail, match="IIS site 'NDES' does not exist on this host \\(sites: Default Web Site\\)"):
        _act(lab_root, site="NDES")
    shutil.rmtree(layout.win_to_lab(lab_root, "C:\\inetpub\\logs\\LogFiles\\W3SVC1"))
    with pytest.raises(AnsibleActionFail, match="no log could be read"):
        _act(lab_root, httperr_dir="C:\\nowhere")
    result, _calls, _requests = _act(lab_root)
    assert result["summary"]["w3c"] is None and result["summary"]["httperr"] is not None
    assert "was not read" in result["warnings"][0]


@pytest.mark.parametrize("given, message", [
    ({"max_bytes": 0}, "max_bytes must be a positive"),
    ({"max_files": 0}, "max_files must be 1 or more"),
    ({"site": " / "}, "site must name an IIS site"),
    ({"since": "not a date"}, "is not a date and time"),
])
def test_action_rejects_bad_options_before_any_call(lab_root, given, message):
    with pytest.raises(AnsibleActionFail, match=message):
        _act(lab_root, **given)


def test_lab_head_is_sent_only_for_a_truncated_file(lab_root):
    folder = layout.win_to_lab(lab_root, "C:\\inetpub\\logs\\LogFiles\\W3SVC1")
    name = os.listdir(folder)[0]
    ops = [("t", "file_tail", {"directory": "@site_log_folder:Default Web Site", "pattern": name,
                               "max_bytes": 1024, "head_bytes": 300}),
           ("w", "file_tail", {"directory": "@site_log_folder:Default Web Site", "pattern": name, "head_bytes": 300,
                               "max_bytes": 10 ** 7})]
    response = agent.handle(lab_root, make_request(ops, False))
    cut, whole = response["results"][0]["data"]["files"][0], response["results"][1]["data"]["files"][0]
    assert cut["truncated"] and cut["head"].startswith("#Software: ") and cut["head"].endswith("\r\n")
    assert len(cut["head"]) <= 300
    assert not whole["truncated"] and "head" not in whole
