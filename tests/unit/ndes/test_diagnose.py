# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""diagnose: facts + probe + log summary -> exact findings and a summary (counts, worst, fail)."""
from __future__ import annotations

import os

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._formats import device_logs, w3c
from ansible_collections.ndes.scep.plugins.module_utils._ndes import diagnose as D
from ansible_collections.ndes.scep.plugins.module_utils._ndes import facts as F
from ansible_collections.ndes.scep.plugins.module_utils._ndes import log_summary

import facts_raw as R

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures")
CUSTOM = os.path.join(FIXTURES, "rules", "custom_pool_identity.yml")
URL = "https://ndes01.contoso.com/certsrv/mscep/mscep.dll"


def facts_of(results=None, settings=None):
    return F.build_facts(results if results is not None else R.healthy(), settings or {}, now=R.NOW)


def ids(result):
    return [(f["id"], f["variant"], f["severity"]) for f in result["findings"]]


def probe(evidence=(), failures=(), bare_status=403, page="iis_custom", url=URL):
    """A probe result in the shape of probe.probe() (only what a diagnosis reads is filled in)."""
    host = url.split("/")[2]
    check = {"stage": "bare_url", "method": "GET", "status": bare_status, "layer": "iis" if bare_status else "none",
             "page": page, "substatus": None, "verdict": "ok" if bare_status == 403 else "fault"}
    return {"url": url, "scheme": "https", "host": host, "port": 443, "app_proxy": host.endswith(".msappproxy.net"),
            "checks": {"bare_url": check, "getcacaps": {}, "getcacert": {}, "long_get": {}},
            "ca_certs": [], "ra_certs": [], "other_certs": [],
            "signals": sorted({e[0] for e in evidence}),
            "evidence": [{"id": fid, "stage": "bare_url", "confidence": conf, "detail": "x"} for fid, conf in evidence],
            "failures": [{"stage": "bare_url", "class": cls, "detail": "x"} for cls in failures], "elapsed_ms": 12}


def logs_of(w3c_name="u_ex250611.log", httperr_name=None):
    records, stats = w3c.read_records(os.path.join(FIXTURES, "w3c", w3c_name)) if w3c_name else (None, None)
    herr = w3c.read_records(os.path.join(FIXTURES, "httperr", httperr_name))[0] if httperr_name else None
    return log_summary.summarize_logs(w3c=records, httperr=herr, w3c_stats=stats)


def device(name):
    with open(os.path.join(FIXTURES, "device", name), "rb") as handle:
        return device_logs.analyze_device_log(handle.read())


# ------------------------------------------------------------------ facts only
def test_a_healthy_host_has_no_findings():
    result = D.diagnose(facts_of())
    assert result["findings"] == [] and result["rule_errors"] == []
    assert result["summary"] == {"counts": {"critical": 0, "warning": 0, "info": 0}, "unknown": 0, "total": 0,
                                 "worst": None, "fail_on": "critical", "fail": False, "ids": [], "rule_errors": 0}


@pytest.mark.parametrize("case", sorted(R.FAULT_CASES))
def test_each_fault_gives_exactly_its_finding(case):
    results, settings = R.faulty(case)
    result = D.diagnose(facts_of(results, settings))
    expected = R.FAULT_CASES[case][2]
    assert ids(result) == expected
    assert result["summary"]["fail"] is (expected[0][2] == "critical")
    assert result["summary"]["worst"] == expected[0][2]
    assert result["rule_errors"] == []
    for finding in result["findings"]:
        assert finding["status"] == "fault" and finding["source"] == "builtin"
        assert finding["title"]["en"] and finding["title"]["it"]
        assert finding["next_step"]["en"] and finding["next_step"]["it"]


def finding_of(case, settings=None, **kw):
    results, extra = R.faulty(case)
    extra.update(settings or {})
    return D.diagnose(facts_of(results, extra), **kw)["findings"][0]


def test_evidence_values():
    assert finding_of("request_limits")["evidence"] == {
        "location": "Default Web Site/certsrv/mscep", "max_url": 4096, "max_url_origin": "default",
        "max_query_string": 2048, "max_query_string_origin": "default", "required": 65534, "log_404_14_15": None}
    web = finding_of("request_limits_web_config")["evidence"]
    assert web["max_query_string_origin"] == "MACHINE/WEBROOT/APPHOST/Default Web Site" and web["max_url"] == 65534
    policy = finding_of("policy_cert_expired")["evidence"]
    assert policy == {"problem": "expired", "value": R.POLICY.lower(), "thumbprint": R.POLICY,
                      "not_after": "2026-11-22T21:00:00Z", "days_left": -3, "candidates": []}
    assert finding_of("root_intermediates")["evidence"] == {
        "certificates": [{"thumbprint": R.ISSUING_CA, "subject": "CN=Contoso Issuing CA,O=Contoso",
                          "issuer": "CN=Contoso Root CA,O=Contoso", "gpo_placed": False}],
        "gpo_placed_count": 0}
    httpsys = finding_of("httpsys_limits")["evidence"]
    assert httpsys["max_field_length"] == {"set": None, "in_effect": 16384, "set_ok": False, "ok": False}
    assert httpsys["in_effect_inferred"] is True and httpsys["last_boot"] == R.BOOT
    impersonate = finding_of("impersonate_right")["evidence"]
    assert impersonate["iis_iusrs_holds"] is False and "S-1-5-32-568" not in impersonate["holders"]
    ra = finding_of("ra_cert_missing")["evidence"]
    assert ra["missing_roles"] == ["encryption"]
    assert ra["roles"]["encryption"] == {"status": "missing", "thumbprint": None, "days_left": None}
    assert finding_of("ra_key_acl")["evidence"] == {"thumbprints": [R.RA_ENC], "account": "CONTOSO\\svc-ndes",
                                                    "account_sid": R.SVC_SID}
    assert finding_of("pending_reboot")["evidence"]["key_last_write"] == R.AFTER_BOOT
    assert finding_of("service_account")["evidence"]["locked"] is True
    assert finding_of("temp_acl")["evidence"]["path"] == "C:\\Windows\\Temp"
    assert finding_of("policy_cert_cn")["evidence"]["names_missing"] == ["scep.contoso.com"]


def test_fix_metadata_travels_with_the_finding():
    f = finding_of("app_pool_stopped")
    assert f["fix"] == {"module": "app_pool", "variable": "ndes_fix_app_pool", "auto_fixable": True}
    assert f["auto_fixable"] is True and f["section"] == "http-error-503"
    assert f["evidence"]["was_events"] == 1 and f["evidence"]["w3wp_crashes"] == 1
    report_only = finding_of("service_account")
    assert report_only["fix"] == {"module": None, "variable": None, "auto_fixable": False}


# ------------------------------------------------------------------ unknown facts
def test_service_account_unknown_gives_a_could_not_check_warning():
    results = R.healthy()
    results["service_account"] = R.ok("service_account",
                                      {"status": "unknown", "reason": "the domain could not be contacted"})
    result = D.diagnose(facts_of(results))
    assert ids(result) == [("SERVICE_ACCOUNT", None, "warning")]
    finding = result["findings"][0]
    assert finding["status"] == "unknown" and finding["auto_fixable"] is False
    assert "double hop" in finding["next_step"]["en"] and "doppio hop" in finding["next_step"]["it"]
    assert finding["evidence"]["status"] == "unknown"
    assert finding["evidence"]["unknown"] == [{"path": "service_account",
                                               "reason": "the domain could not be contacted"}]
    assert result["summary"]["unknown"] == 1 and result["summary"]["fail"] is False
    assert D.diagnose(facts_of(results), fail_on="warning")["summary"]["fail"] is True


def test_when_every_read_fails_nothing_is_reported_healthy():
    results = dict((op, R.failed(op, "access_denied", "Access is denied")) for op in R.healthy())
    result = D.diagnose(facts_of(results))
    assert {f["status"] for f in result["findings"]} == {"unknown"}
    facts_based = {"IMPERSONATE_RIGHT", "URL_NOT_403", "APP_POOL_STOPPED", "ROOT_INTERMEDIATES", "CRL_UNREACHABLE",
                   "CRS_WINDOWS_AUTH", "POLICY_CERT_EXPIRED", "PROXY_CONNECTOR_DOWN", "REQUEST_LIMITS",
                   "HTTPSYS_LIMITS", "SERVICE_ACCOUNT", "RA_CERT_EXPIRED", "MSCEP_TEMPLATES", "TEMP_ACL",
                   "RA_KEY_ACL", "POLICY_CERT_CN", "PENDING_REBOOT", "HOST_ROLE", "IE_ESC", "CONNECTOR_HEALTH"}
    assert set(result["summary"]["ids"]) == facts_based
    assert result["summary"]["counts"] == {"critical": 0, "warning": 19, "info": 1}


def test_a_missing_policy_cert_does_not_also_claim_the_chain_unknown():
    results, _s = R.faulty("policy_cert_unset")
    assert ids(D.diagnose(facts_of(results))) == [("POLICY_CERT_EXPIRED", None, "critical")]


# ------------------------------------------------------------------ probe
def test_probe_observations_fire_their_rule():
    page = probe([("URL_NOT_403", "observed")], bare_status=200, page="ndes_page")
    result = D.diagnose(facts_of(), probe=page)
    assert ids(result) == [("URL_NOT_403", None, "critical")]
    assert result["findings"][0]["evidence"]["bare_url_status"] == 200
    assert result["findings"][0]["evidence"]["bare_url_page"] == "ndes_page"


def test_probe_candidates_alone_do_not_blame_a_healthy_host():
    causes = [("IMPERSONATE_RIGHT", "candidate"), ("SERVICE_ACCOUNT", "candidate"), ("RA_CERT_EXPIRED", "candidate")]
    assert D.diagnose(facts_of(), probe=probe(causes, bare_status=500))["findings"] == []


def test_app_proxy_url_unreachable_and_custom_domain():
    external = "https://scep-contoso.msappproxy.net/certsrv/mscep/mscep.dll"
    result = D.diagnose(facts_of(), probe=probe([("APP_PROXY_URL", "candidate")], failures=["dns"], bare_status=None,
                                                url=external))
    assert ids(result) == [("APP_PROXY_URL", None, "critical")]
    assert result["findings"][0]["evidence"] == {"url": external, "host": "scep-contoso.msappproxy.net",
                                                 "network_error": "dns"}
    custom = D.diagnose(facts_of(), probe=probe([("APP_PROXY_URL", "warning")], url="https://scep.contoso.com/x"))
    assert ids(custom) == [("APP_PROXY_URL", "custom_domain", "warning")]


def test_gateway_timeout_at_the_app_proxy():
    results = R.healthy()
    R.data(results, "services")["services"].update(WAPCSvc=R.svc(exists=False), WAPCUpdaterSvc=R.svc(exists=False))
    result = D.diagnose(facts_of(results), probe=probe([("PROXY_CONNECTOR_DOWN", "observed")], bare_status=504))
    assert ids(result) == [("PROXY_CONNECTOR_DOWN", None, "critical")]
    assert result["findings"][0]["evidence"]["present"] is False
    assert result["findings"][0]["evidence"]["probe_status"] == 504


def test_probe_view():
    view = D.probe_view(probe([("A", "observed"), ("B", "candidate"), ("A", "observed"), ("C", "warning")],
                              failures=["http_status", "connect_timeout"]))
    assert (view["observed"], view["candidates"], view["warned"]) == (["A"], ["B"], ["C"])
    assert view["network_error"] == "connect_timeout"
    assert D.probe_view(None) is None
    with pytest.raises(ValueError, match="probe: expected"):
        D.probe_view("403")


# ------------------------------------------------------------------ logs
def test_log_signals_against_healthy_settings():
    logs = logs_of("u_ex250611.log", "httperr1.log")
    result = D.diagnose(facts_of(), logs=logs)
    # 500 0 1346 while the right is held: the worker token predates the grant (recycle);
    # HTTPERR 503s for the SCEP queue while the pool runs now and no crash cause is known: a warning;
    # HTTPERR 414/400 while the HTTP.sys values are set and in effect: old rows, no finding.
    assert ids(result) == [("IMPERSONATE_RIGHT", None, "critical"), ("APP_POOL_STOPPED", "crashed", "warning")]
    evidence = dict((f["id"], f["evidence"]) for f in result["findings"])
    assert evidence["IMPERSONATE_RIGHT"]["log_500_1346"] == 1
    assert evidence["IMPERSONATE_RIGHT"]["iis_iusrs_holds"] is True
    assert evidence["APP_POOL_STOPPED"]["httperr_503"] == 4


def test_httperr_length_rejections_with_a_pending_reboot_ask_for_the_reboot():
    results, _s = R.faulty("pending_reboot")
    result = D.diagnose(facts_of(results), logs=logs_of(None, "httperr1.log"))
    assert ids(result) == [("PENDING_REBOOT", "rejecting", "critical"), ("APP_POOL_STOPPED", "crashed", "warning")]
    assert result["findings"][0]["evidence"]["httperr_hits"] == 3
    assert result["findings"][0]["fix"] == {"module": "reboot", "variable": "ndes_fix_reboot", "auto_fixable": True}
    live = D.diagnose(facts_of(results), probe=probe([("HTTPSYS_LIMITS", "observed")]))
    assert ids(live) == [("PENDING_REBOOT", "rejecting", "critical")]


def test_httperr_length_rejections_decide_when_the_registry_is_unknown():
    results = R.healthy()
    results["httpsys"] = R.failed("httpsys", "access_denied", "denied")
    result = D.diagnose(facts_of(results), logs=logs_of(None, "httperr1.log"))
    assert ("HTTPSYS_LIMITS", None, "critical") in ids(result)
    assert [f["status"] for f in result["findings"] if f["id"] == "PENDING_REBOOT"] == ["unknown"]


def test_a_503_explained_by_a_crash_cause_reports_only_the_cause():
    results, _s = R.faulty("crs_windows_auth")
    R.data(results, "was_events")["events"] = [
        {"id": 5009, "provider": "Microsoft-Windows-WAS", "log": "System", "time": R.iso(-1), "record_id": 9,
         "level": 3, "properties": ["SCEP", "4242", "0xc0000005"]}]
    crash_probe = probe([("APP_POOL_STOPPED", "observed"), ("CRS_WINDOWS_AUTH", "candidate")], bare_status=503)
    assert ids(D.diagnose(facts_of(results), probe=crash_probe)) == [("CRS_WINDOWS_AUTH", None, "critical")]


def test_a_503_with_the_pool_started_and_no_known_cause():
    crash_probe = probe([("APP_POOL_STOPPED", "observed"), ("ROOT_INTERMEDIATES", "candidate")], bare_status=503)
    result = D.diagnose(facts_of(), probe=crash_probe)
    assert ids(result) == [("APP_POOL_STOPPED", "crashing", "critical")]
    assert result["findings"][0]["fix"]["module"] == "capi2_log"
    results = R.healthy()
    results["app_pools"] = R.failed("app_pools", "access_denied", "denied")
    result = D.diagnose(facts_of(results), probe=crash_probe)
    assert [(f["id"], f["variant"], f["status"]) for f in result["findings"] if f["id"] == "APP_POOL_STOPPED"] == \
        [("APP_POOL_STOPPED", None, "fault")]


def test_log_view():
    view = D.log_view(logs_of("u_ex250611.log", "httperr1.log"))
    assert view["fault_counts"] == {"APP_POOL_STOPPED": 4, "HTTPSYS_LIMITS": 3, "IMPERSONATE_RIGHT": 1}
    assert view["mscep_requests"] == 4 and view["device_attempts"] is None
    assert D.log_view(None) is None
    assert D.log_view(None, devices=[])["mscep_requests"] is None


def test_network_blocked_needs_attempts_and_an_empty_iis_log():
    empty = {"window": {"since": None, "until": None}, "w3c": {"mscep": {"requests": 0}}, "httperr": None,
             "signals": [{"signal": "no_mscep_requests", "fault": "NETWORK_BLOCKED", "source": "w3c", "count": 0}],
             "faults": ["NETWORK_BLOCKED"], "no_mscep_requests": True}
    assert D.diagnose(facts_of(), logs=empty)["findings"] == []
    devices = [device("android_omadm_seed.log"), device("ios_debug_timeout.log")]
    result = D.diagnose(facts_of(), logs=empty, devices=devices)
    assert ids(result) == [("NETWORK_BLOCKED", None, "warning")]
    assert result["findings"][0]["evidence"]["device_attempts"] == 2
    assert result["findings"][0]["evidence"]["mscep_requests"] == 0
    busy = D.diagnose(facts_of(), logs=logs_of("u_ex250611.log"), devices=devices)
    assert "NETWORK_BLOCKED" not in busy["summary"]["ids"]
    blocked = D.diagnose(facts_of(), probe=probe([("NETWORK_BLOCKED", "observed")], failures=["connect_timeout"],
                                                 bare_status=None))
    assert ids(blocked) == [("NETWORK_BLOCKED", None, "warning")]


# ------------------------------------------------------------------ user rules, summary, report
def test_user_rules_file():
    results = R.healthy()
    R.data(results, "app_pools")["pools"][1]["user_name"] = "CONTOSO\\svc-web"
    result = D.diagnose(facts_of(results), rule_files=[CUSTOM])
    assert ids(result) == [("CUSTOM_POOL_IDENTITY", None, "warning")]
    assert result["findings"][0]["source"] == CUSTOM
    assert D.diagnose(facts_of(), rule_files=[CUSTOM])["findings"] == []


def test_summary_counts_worst_and_fail_on():
    results, _s = R.faulty("ie_esc")
    R.data(results, "httpsys")["last_write"] = R.AFTER_BOOT
    facts = facts_of(results)
    result = D.diagnose(facts, fail_on="warning")
    assert result["summary"]["counts"] == {"critical": 0, "warning": 1, "info": 1}
    assert result["summary"]["worst"] == "warning" and result["summary"]["fail"] is True
    assert D.diagnose(facts)["summary"]["fail"] is False
    assert D.diagnose(facts, fail_on="never")["summary"]["fail"] is False


def test_report_lines_in_both_languages():
    results, _s = R.faulty("impersonate_right")
    findings = D.diagnose(facts_of(results))["findings"]
    assert D.report_lines(findings)[0].startswith(
        'CRITICAL IMPERSONATE_RIGHT: IIS_IUSRS lacks the "Impersonate a client after authentication" user right -> ')
    assert D.report_lines(findings, "it")[0].startswith(
        "CRITICAL IMPERSONATE_RIGHT: Al gruppo IIS_IUSRS manca il diritto utente")


def test_bad_inputs_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="facts: expected the ndes facts"):
        D.diagnose({"iis": {}})
    with pytest.raises(ValueError, match="fail_on 'error'"):
        D.diagnose(facts_of(), fail_on="error")
    with pytest.raises(ValueError, match="logs: expected"):
        D.diagnose(facts_of(), logs=["x"])


# ------------------------------------------------------------------ against the lab NDES (real formats end to end)
def _lab_cases():
    from ansible_collections.ndes.scep.plugins.module_utils._lab import faults
    cases = [pytest.param([], id="healthy")]
    for fault in faults.CATALOGUE:
        cases += [pytest.param([{"id": fault.id, "variant": v}], id="%s-%s" % (fault.id, v)) for v in fault.variants]
    chosen = ["request_limits", "impersonate_right", "app_pool_stopped", {"id": "httpsys_limits", "variant": "pending"}]
    return cases + [pytest.param(chosen, id="combined")]


def _tails(files):
    if files is None:
        return None
    records = []
    for item in files:
        records += w3c.read_records((item.get("content") or "").encode("utf-8"))[0]
    return records


@pytest.mark.parametrize("chosen", _lab_cases())
def test_lab_faults_give_exactly_the_expected_findings(chosen, tmp_path):
    """info_ops -> lab agent (placeholders resolved there) -> facts -> diagnose, with and without the log window."""
    from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import make_request, validate_response
    from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, faults
    from ansible_collections.ndes.scep.plugins.module_utils._ndes import gather

    root = str(tmp_path / "lab")
    faults.create(root, chosen)
    ops = gather.info_ops({}, logs=True)
    request = make_request(ops, check_mode=True)
    response = agent.handle(root, request)
    validate_response(response, request)
    results = dict((r["id"], r) for r in response["results"])
    facts = F.build_facts(results, {})
    files = gather.log_files(results)
    logs = log_summary.summarize_logs(w3c=_tails(files["w3c"]), httperr=_tails(files["httperr"]), scep_pool="SCEP")
    expected = sorted(faults.expected_findings(chosen))
    for result in (D.diagnose(facts), D.diagnose(facts, logs=logs)):
        assert sorted({f["id"] for f in result["findings"]}) == expected
        assert result["rule_errors"] == []
