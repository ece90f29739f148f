# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recorded Windows-agent responses give the same findings as the lab agent for the same fault.

Each fixture in tests/unit/fixtures/windows/ (make_fixtures.py) answers exactly the ops of
``gather.info_ops(settings=None, logs=True)``. Pipeline, for the recording and for a lab
created with the same fault (``faults.create``) and asked the same request (``agent.handle``)::

    response -> normalize_response (Windows only) -> validate_response(response, request)
             -> build_facts -> log summary of the W3C / HTTPERR tails -> rules -> finding ids

Compared between the two agents: finding ids (with and without the logs), the facts paths
listed as unknown, and every derived verdict (boolean facts), except the few listed in
``AGENT_SPECIFIC`` with the reason they must differ. Values that necessarily differ
(host names, thumbprints, times) are not compared. The shared contract cases
(tests/unit/contract_cases.py) run against the recorded healthy response where the
recording holds an answer to every op of the case.
"""
from __future__ import annotations

import copy
import glob
import json
import os
import sys

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
from ansible_collections.ndes.scep.plugins.module_utils._agent.normalize import normalize_response
from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import (
    ContractError, make_request, validate_request, validate_response)
from ansible_collections.ndes.scep.plugins.module_utils._formats import w3c
from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, faults
from ansible_collections.ndes.scep.plugins.module_utils._ndes import diagnose as diag
from ansible_collections.ndes.scep.plugins.module_utils._ndes import facts as facts_mod
from ansible_collections.ndes.scep.plugins.module_utils._ndes import gather, log_summary

UNIT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(UNIT, "fixtures", "windows")
sys.path.insert(0, UNIT)
sys.path.insert(0, FIXTURES)
import contract_cases  # noqa: E402  (shared by both agents' tests)
import make_fixtures  # noqa: E402

FIXTURE_FILES = sorted(glob.glob(os.path.join(FIXTURES, "*.json")))
NAMES = [os.path.basename(p)[:-5] for p in FIXTURE_FILES]

# Section-A faults (and variants) the brief requires a recording for.
REQUIRED = {("impersonate_right", "local"), ("url_not_403", "default"), ("app_pool_stopped", "default"),
            ("root_intermediates", "local"), ("crl_unreachable", "default"), ("crs_windows_auth", "default"),
            ("policy_cert_expired", "expired"), ("policy_cert_expired", "missing"),
            ("policy_cert_expired", "keyless"), ("policy_cert_expired", "no_client_auth_eku"),
            ("proxy_connector_down", "stopped"), ("request_limits", "apphost"), ("request_limits", "webconfig"),
            ("httpsys_limits", "absent"), ("service_account", "locked"), ("service_account", "unknown"),
            ("ra_cert_expired", "expired")}

# Boolean facts that differ between the two agents by construction, with the reason.
AGENT_SPECIFIC = {
    # The lab grants NETWORK SERVICE an explicit Modify ACE on C:\Windows\Temp; a default Windows
    # Server gives it write access only through BUILTIN\Users (create files / append data).
    "temp_acl.network_service_explicit",
}
# healthy_ps51 stores NDESCertThumbprint as pasted from the certificate dialog (U+200E, blanks):
# a deliberate difference that no rule uses.
PASTED_THUMBPRINT = {"policy_cert.stored_normalized"}


def load(path):
    with open(path, encoding="ascii") as handle:      # ASCII-safe JSON: the WinRM codepage-437 rule
        return json.load(handle)


def request():
    return make_request(gather.info_ops(None, logs=True), check_mode=False)


def log_view(by_id):
    """The log summary diagnose works on, from the two file_tail reads (W3C and HTTPERR)."""
    records = {}
    for key, files in gather.log_files(by_id).items():
        if files is None:
            records[key] = None
            continue
        records[key] = []
        for f in files:
            records[key].extend(w3c.iter_records((f.get("content") or "").splitlines()))
    return log_summary.summarize_logs(records["w3c"], records["httperr"])


def evaluate(response, req):
    validate_response(response, req)
    by_id = dict((r["id"], r) for r in response["results"])
    facts = facts_mod.build_facts(by_id, {})
    with_logs = diag.diagnose(facts, logs=log_view(by_id))
    facts_only = diag.diagnose(facts)
    return {"facts": facts,
            "ids": sorted(set(f["id"] for f in with_logs["findings"])),
            "facts_ids": sorted(set(f["id"] for f in facts_only["findings"])),
            "statuses": sorted(set((f["id"], f["status"]) for f in with_logs["findings"])),
            "unknown": sorted(set(u["path"] for u in facts["unknown"])),
            "rule_errors": with_logs["rule_errors"]}


def windows(name):
    doc = load(os.path.join(FIXTURES, name + ".json"))
    req = request()
    return doc, evaluate(normalize_response(doc["response"]), req)


_LAB_CACHE = {}


def lab(fault, tmp_path_factory):
    key = json.dumps(fault, sort_keys=True)
    if key not in _LAB_CACHE:
        root = str(tmp_path_factory.mktemp("lab") / "lab")
        faults.create(root, [fault] if fault else [])
        req = request()
        _LAB_CACHE[key] = evaluate(agent.handle(root, req), req)
    return _LAB_CACHE[key]


def verdicts(facts, prefix=""):
    """{path: bool} for every boolean fact (the derived verdicts both agents must agree on)."""
    out = {}
    if isinstance(facts, dict):
        for k, v in facts.items():
            if prefix == "" and k in ("settings", "unknown", "log_window"):
                continue
            out.update(verdicts(v, prefix + k + "."))
    elif isinstance(facts, bool):
        out[prefix[:-1]] = facts
    return out


# ------------------------------------------------------------------ the fixtures themselves
def test_every_required_fault_has_a_recording():
    recorded = set()
    for path in FIXTURE_FILES:
        fault = load(path)["fault"]
        if fault:
            recorded.add((fault["id"], fault["variant"]))
    assert REQUIRED <= recorded, sorted(REQUIRED - recorded)
    section_a = set(f.id for f in faults.CATALOGUE if f.section == "A")
    assert section_a - {"app_proxy_url", "network_blocked"} <= set(fid for fid, _v in recorded)


def test_fixtures_are_what_make_fixtures_builds():
    pki = make_fixtures.Pki()
    for built, files in ((make_fixtures.build_all_with(pki), FIXTURE_FILES),
                         (make_fixtures.build_cases(pki), sorted(glob.glob(os.path.join(FIXTURES, "cases", "*.json"))))):
        assert sorted(built) == sorted(os.path.basename(p) for p in files)
        for path in files:
            with open(path, encoding="ascii") as handle:
                assert handle.read() == built[os.path.basename(path)], (
                    "%s is stale: run tests/unit/fixtures/windows/make_fixtures.py" % path)


@pytest.mark.parametrize("name", NAMES)
def test_recording_answers_exactly_the_info_ops(name):
    doc = load(os.path.join(FIXTURES, name + ".json"))
    response = doc["response"]
    assert response["agent"] == "windows"
    assert [(r["id"], r["kind"]) for r in response["results"]] == [
        (op_id, kind) for op_id, kind, _a in gather.info_ops(None, logs=True)]
    validate_response(normalize_response(response), request())


@pytest.mark.parametrize("name", NAMES)
def test_quirks_need_normalize_and_clean_recordings_do_not(name):
    doc = load(os.path.join(FIXTURES, name + ".json"))
    raw = doc["response"]
    normalized = normalize_response(raw)
    if doc["quirks"]:
        assert normalized != raw
    else:
        assert normalized == raw


def test_the_validator_alone_does_not_catch_every_quirk():
    # unwrapped lists and enum integers fail validation; "\/Date(..)\/" strings pass it (they are
    # strings) and would turn every date into an unknown fact: normalize_response is what fixes them
    raw = load(os.path.join(FIXTURES, "healthy_ps51.json"))["response"]
    with pytest.raises(ContractError):
        validate_response(raw, request())
    dates_only = load(os.path.join(FIXTURES, "httpsys_limits.json"))
    assert dates_only["quirks"] == ["httpsys: q_dates"]
    validate_response(dates_only["response"], request())
    assert normalize_response(dates_only["response"]) != dates_only["response"]


def test_recordings_use_the_powershell_51_date_form():
    with open(os.path.join(FIXTURES, "healthy_ps51.json"), encoding="ascii") as handle:
        text = handle.read()
    assert '"\\/Date(' in text and "\\u200e" in text


def test_every_read_kind_but_backups_is_recorded():
    kinds = set(r["kind"] for r in load(os.path.join(FIXTURES, "healthy.json"))["response"]["results"])
    # the recordings answer the gather; template_access is read only before an enrolment (ra_renew, policy_cert)
    assert set(contract.kinds_of(contract.READ)) - kinds == {"backups", "template_access"}


# ------------------------------------------------------------------ same findings as the lab
def test_healthy_recordings_give_no_findings():
    for name in ("healthy", "healthy_ps51"):
        _doc, got = windows(name)
        assert got["ids"] == [] and got["facts_ids"] == [], (name, got["statuses"])
        assert got["unknown"] == [] and got["rule_errors"] == [], name


def test_ps51_quirks_change_no_verdict():
    _d, clean = windows("healthy")
    _d, quirky = windows("healthy_ps51")
    differ = dict((p, v) for p, v in verdicts(quirky["facts"]).items() if verdicts(clean["facts"]).get(p) != v)
    assert set(differ) == PASTED_THUMBPRINT
    assert quirky["facts"]["policy_cert"]["thumbprint"] == clean["facts"]["policy_cert"]["thumbprint"]
    assert quirky["facts"]["policy_cert"]["stored_normalized"] is False       # U+200E and blanks as pasted
    assert quirky["facts"]["host"]["last_boot"] == clean["facts"]["host"]["last_boot"]


@pytest.mark.parametrize("name", NAMES)
def test_same_findings_as_the_lab(name, tmp_path_factory):
    doc, win = windows(name)
    fault = doc["fault"]
    labbed = lab(fault, tmp_path_factory)
    expected = faults.expected_findings([fault]) if fault else []
    assert win["ids"] == labbed["ids"] == expected, (name, win["statuses"], labbed["statuses"])
    assert win["statuses"] == labbed["statuses"], name
    assert win["facts_ids"] == labbed["facts_ids"], name
    assert win["unknown"] == labbed["unknown"], name
    assert win["rule_errors"] == labbed["rule_errors"] == []


@pytest.mark.parametrize("name", NAMES)
def test_same_verdicts_as_the_lab(name, tmp_path_factory):
    doc, win = windows(name)
    labbed = lab(doc["fault"], tmp_path_factory)
    mine, theirs = verdicts(win["facts"]), verdicts(labbed["facts"])
    paths = (set(mine) | set(theirs)) - AGENT_SPECIFIC - (PASTED_THUMBPRINT if name == "healthy_ps51" else set())
    diff = sorted((p, mine.get(p), theirs.get(p)) for p in paths if mine.get(p) != theirs.get(p))
    assert diff == [], name


# ------------------------------------------------------------------ the shared contract cases
# Every case of tests/unit/contract_cases.py that applies to Windows has a recording under
# fixtures/windows/cases/<case>.json (make_fixtures.build_cases): the exchanges with the agent in order,
# the case's request first, then the follow-up reads the test sends to look at the host afterwards.
CASES_DIR = os.path.join(FIXTURES, "cases")
CASE_FILES = sorted(glob.glob(os.path.join(CASES_DIR, "*.json")))
# All 20 shared cases apply to Windows (no case relies on lab-only mechanics such as injected faults).
ENSURE_SUCCESS_CASES = {"iis_property_change", "user_right_grant_change", "service_state_change",
                        "folder_acl_grant_change", "cert_move_change", "ensures_in_check_mode_change_nothing"}
WINDOWS_CASES = {"all_reads", "healthy_values", "ra_certs", "unknowns", "check_mode_changes_nothing",
                 "idempotent_ensure", "first_failure_stops_the_rest", "invalid_args_fail_the_op",
                 "change_with_backup", "locked_section_not_in_web_config", "template_access",
                 "result_reference", "if_changed", "lab_inject_is_lab_only"} | ENSURE_SUCCESS_CASES


def healthy_data(op_id):
    """The data the healthy info recording gives for one gather op."""
    results = normalize_response(load(os.path.join(FIXTURES, "healthy.json"))["response"])["results"]
    return next(r for r in results if r["id"] == op_id)["data"]


def _http_read():
    return [("http", "registry_key", {"path": contract_cases.HTTP_PARAMS})]


def _unchanged_registry(_case_by_id, after):
    # check mode / no change: the key reads as in the healthy recording (nothing was written)
    assert ok_data(after, "http") == healthy_data("httpsys")


def _changed_registry(case_by_id, after):
    values = ok_data(after, "http")["values"]
    written = case_by_id["set"]["after"]
    assert values["MaxFieldLength"] == {"type": written["type"], "value": written["value"]} == \
        {"type": "REG_DWORD", "value": 65535}
    healthy = healthy_data("httpsys")["values"]
    assert dict(values, MaxFieldLength=healthy["MaxFieldLength"]) == healthy     # nothing else touched


def _unchanged_crs(_case_by_id, after):
    assert ok_data(after, "crs") == healthy_data("certreg_windows")


def _as_restored(op_id, healthy_op=None):
    """A case that rolled its own run back: the follow-up read gives what the case's last read gave
    (and, where the info recording has it, the healthy host's answer)."""
    def check(case_by_id, after):
        assert ok_data(after, op_id) == ok_data(case_by_id, "restored")
        if healthy_op:
            assert ok_data(after, op_id) == healthy_data(healthy_op)
    return check


def _stores_restored(case_by_id, after):
    assert ok_data(after, "root") == ok_data(case_by_id, "root_after") == healthy_data("store_root")
    assert ok_data(after, "ca") == ok_data(case_by_id, "ca_after") == healthy_data("store_ca")


def _store_read(op_id, name):
    return (op_id, "cert_store", {"store": name, "include_acl": False})


WINDOWS_AUTH = "system.webServer/security/authentication/windowsAuthentication"
# case -> (follow-up read ops, check(case results by id, follow-up results by id)): the Windows
# counterpart of the lab test's state digest (what a check-mode or refused ensure left on the host)
# and of reading back what a change wrote.
FOLLOW_UPS = {
    "idempotent_ensure": (_http_read(), _unchanged_registry),
    "result_reference": (_http_read(), _unchanged_registry),
    "if_changed": (_http_read(), _unchanged_registry),
    "change_with_backup": (_http_read(), _changed_registry),
    "locked_section_not_in_web_config": ([("crs", "iis_config", {"section": WINDOWS_AUTH,
                                                                 "location": contract_cases.CRS_LOC})], _unchanged_crs),
    "iis_property_change": ([("limits", "iis_config", {"section": contract_cases.LIMITS, "location": contract_cases.MSCEP_LOC,
                                                       "attributes": contract_cases.LIMIT_NAMES})],
                            _as_restored("limits", "request_limits")),
    "user_right_grant_change": ([("right", "user_right", {"right": contract_cases.IMPERSONATE})],
                                _as_restored("right", "impersonate")),
    "service_state_change": ([("services", "services", {"names": [contract_cases.CONNECTOR_SVC]})], _as_restored("services")),
    "folder_acl_grant_change": ([("acl", "folder_acl", {"path": contract_cases.TEMP})], _as_restored("acl")),
    "cert_move_change": ([_store_read("root", "Root"), _store_read("ca", "CA")], _stores_restored),
}


def ok_data(by_id, op_id):
    assert by_id[op_id]["status"] == contract.STATUS_OK, by_id[op_id]
    return by_id[op_id]["data"]


def load_case(name):
    return load(os.path.join(CASES_DIR, name + ".json"))


def sequence(recording):
    """send(request) that answers the recorded exchanges in order, each only to exactly its recorded request."""
    exchanges = list(recording["exchanges"])

    def send(req):
        assert exchanges, "no recorded exchange left for %r" % (req,)
        exchange = exchanges.pop(0)
        assert req == exchange["request"], "the request differs from the recorded one: re-record the case"
        return normalize_response(copy.deepcopy(exchange["response"]))
    send.left = exchanges
    return send


def follow_up_request(case):
    ops, _check = FOLLOW_UPS[case.name]
    return make_request(ops, check_mode=False, run_id="contract-%s-after" % case.name)


@pytest.mark.parametrize("case", contract_cases.cases_for("windows"), ids=lambda case: case.name)
def test_contract_case_on_recorded_responses(case):
    recording = load_case(case.name)
    assert recording["case"] == case.name
    send = sequence(recording)
    by_id = contract_cases.run_case(case, send)
    if case.name in FOLLOW_UPS:
        request_after = follow_up_request(case)
        response_after = send(request_after)
        validate_response(response_after, request_after)
        FOLLOW_UPS[case.name][1](by_id, dict((r["id"], r) for r in response_after["results"]))
    assert send.left == [], "recorded exchanges the test never sent"


def test_the_contract_cases_that_apply_do_run():
    windows_cases = set(case.name for case in contract_cases.cases_for("windows"))
    assert windows_cases == WINDOWS_CASES and len(windows_cases) == len(contract_cases.CASES) == 20
    assert set(os.path.basename(p)[:-5] for p in CASE_FILES) == WINDOWS_CASES
    lab_only = set(case.name for case in contract_cases.CASES) - windows_cases
    assert lab_only == set()
    # every mutating case is followed by a read of what it changed (or left alone)
    assert set(case.name for case in contract_cases.CASES if case.mutates) <= set(FOLLOW_UPS)


def test_a_case_that_changes_does_not_match_its_recording():
    # the replay answers only the recorded request: another value, another op or another mode fail
    case = next(c for c in contract_cases.CASES if c.name == "change_with_backup")
    changed = contract_cases.Case(case.name, [(op[0], op[1], dict(op[2], value=65533)) if op[0] == "set" else op
                                              for op in case.ops], case.check, mutates=True, lock=True)
    with pytest.raises(AssertionError, match="differs from the recorded one"):
        contract_cases.run_case(changed, sequence(load_case(case.name)))
    unlocked = contract_cases.Case(case.name, case.ops, case.check, mutates=True, lock=False)
    with pytest.raises(AssertionError, match="differs from the recorded one"):
        contract_cases.run_case(unlocked, sequence(load_case(case.name)))


@pytest.mark.parametrize("path", CASE_FILES, ids=os.path.basename)
def test_case_recording_is_valid_and_its_quirks_need_normalize(path):
    doc = load(path)
    for exchange in doc["exchanges"]:
        assert exchange["response"]["agent"] == "windows"
        validate_request(copy.deepcopy(exchange["request"]))
        validate_response(normalize_response(exchange["response"]), exchange["request"])
    first = doc["exchanges"][0]["response"]
    assert (normalize_response(first) != first) == bool(doc["quirks"])


def test_the_info_recording_answers_the_read_cases_too():
    # healthy.json answers the gather; the read cases it can answer agree with their own recordings
    send = replay(request(), normalize_response(load(os.path.join(FIXTURES, "healthy.json"))["response"]))
    answered = [case for case in contract_cases.cases_for("windows")
                if not case.mutates and not case.prepare and all(contract.is_read(op[1]) for op in case.ops) and
                send(case.request()) is not None]
    assert sorted(case.name for case in answered) == ["healthy_values", "ra_certs"]
    for case in answered:
        by_id = contract_cases.run_case(case, send)
        recorded = contract_cases.run_case(case, sequence(load_case(case.name)))
        assert by_id == recorded, case.name


FILTER_ARGS = {"names", "attributes", "include_acl", "online"}     # narrow or enrich; never change a value
DEFAULT_ARGS = {"location": "LocalMachine"}


def _answers(case_args, recorded_args):
    for name, value in case_args.items():
        if recorded_args.get(name, DEFAULT_ARGS.get(name)) != value:
            return False
    extra = set(recorded_args) - set(case_args) - FILTER_ARGS
    return all(recorded_args[n] == DEFAULT_ARGS.get(n) for n in extra)


def replay(recorded_request, recorded_response):
    """send(request) answering each op from the recording (same kind, same args up to filters), else None."""
    results = dict((r["id"], r) for r in recorded_response["results"])

    def send(req):
        out = []
        for op in req["ops"]:
            match = next((o for o in recorded_request["ops"]
                          if o["kind"] == op["kind"] and _answers(op.get("args") or {}, o.get("args") or {})), None)
            if match is None:
                return None
            out.append(dict(copy.deepcopy(results[match["id"]]), id=op["id"]))
        return {"version": 1, "agent": "windows", "results": out}
    return send
