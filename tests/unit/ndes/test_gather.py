# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gather.info_ops: every read for the facts in ONE contract request, placeholders for dependent reads."""
from __future__ import annotations

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import ContractError, make_request, \
    validate_response
from ansible_collections.ndes.scep.plugins.module_utils._ndes import gather, log_window

import facts_raw as R


def by_id(ops):
    return dict((op_id, (kind, args)) for op_id, kind, args in ops)


def test_info_ops_are_one_valid_request_of_reads_only():
    ops = gather.info_ops({})
    request = make_request(ops, check_mode=True)
    assert len(request["ops"]) == len(ops) == 27
    assert len({op["id"] for op in request["ops"]}) == len(ops)
    assert all(contract.is_read(op["kind"]) for op in request["ops"])


def test_the_reads_the_facts_need_are_all_there():
    ops = by_id(gather.info_ops({}))
    assert ops["system"] == ("system", {})
    assert ops["iis_sites"] == ("iis_sites", {})
    assert ops["app_pools"] == ("app_pools", {})
    assert ops["request_limits"] == ("iis_config", {
        "section": "system.webServer/security/requestFiltering/requestLimits",
        "location": "Default Web Site/certsrv/mscep", "attributes": ["maxUrl", "maxQueryString"]})
    assert ops["certreg_anonymous"][1]["section"] == \
        "system.webServer/security/authentication/anonymousAuthentication"
    assert ops["certreg_windows"][1]["section"] == "system.webServer/security/authentication/windowsAuthentication"
    assert ops["certreg_anonymous"][1]["location"] == ops["certreg_windows"][1]["location"] == \
        "Default Web Site/CertificateRegistrationSvc"
    assert ops["httpsys"] == ("registry_key", {"path": "HKLM\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters",
                                               "names": ["MaxFieldLength", "MaxRequestBytes"]})
    assert ops["impersonate"] == ("user_right", {"right": "SeImpersonatePrivilege"})
    assert ops["mscep"] == ("registry_key", {"path": "HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MSCEP",
                                             "recurse": True})
    assert ops["store_my"] == ("cert_store", {"store": "My", "location": "LocalMachine", "include_acl": True})
    assert ops["store_root"][1]["store"] == "Root" and ops["store_ca"][1]["store"] == "CA"
    assert ops["services"][1]["names"] == ["WAPCSvc", "WAPCUpdaterSvc", "W3SVC", "WAS", "PFXCertificateConnectorSvc",
                                           "PKICertificateConnectorSvc", "NDESConnectorSvc"]
    assert ops["app_errors"] == ("events", {"log": "Application", "provider": "Application Error", "ids": [1000],
                                            "since_hours": 72, "max": 50})
    assert ops["was_events"][1]["ids"] == [5002, 5009] and ops["was_events"][1]["log"] == "System"
    assert ops["capi2"][1]["log"] == "Microsoft-Windows-CAPI2/Operational"
    assert ops["setup_msi"] == ("file_tail", {"directory": "C:\\NDESConnectorSetup", "pattern": "SetupMsi.log",
                                              "max_bytes": 65536, "max_files": 1})
    assert ops["uninstall"][1] == {"path": "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
                                   "recurse": True}
    assert ops["uninstall_wow64"][1]["path"].startswith("HKLM\\SOFTWARE\\WOW6432Node\\")
    assert ops["temp_acl"] == ("folder_acl", {"path": "C:\\Windows\\Temp"})
    assert ops["connector_status"] == ("registry_key", {
        "path": "HKLM\\SOFTWARE\\Microsoft\\MicrosoftIntune\\NDESConnector\\ConnectionStatus",
        "names": ["LastConnectionTime"]})
    assert ops["ie_esc_admin"][1]["path"].endswith("{A509B1A7-37EF-4b3f-8CFC-4F3A74704073}")
    assert ops["ie_esc_user"][1]["path"].endswith("{A509B1A8-37EF-4b3f-8CFC-4F3A74704073}")


def test_dependent_reads_use_placeholders_in_the_same_request():
    ops = by_id(gather.info_ops({}))
    chain = ops["policy_chain"][1]
    assert contract.split_placeholder("cert_chain", "thumbprint", chain["thumbprint"]) == (
        "registry", "HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MSCEP\\Modules\\NDESPolicy\\NDESCertThumbprint")
    assert chain["store"] == "My" and chain["online"] is True
    assert contract.split_placeholder("ad_account", "account", ops["service_account"][1]["account"]) == (
        "pool_user", "SCEP")
    assert contract.split_placeholder("resolve_principal", "names", ops["service_principal"][1]["names"][0]) == (
        "pool_user", "SCEP")


def test_a_configured_service_account_is_sent_literally():
    ops = by_id(gather.info_ops({"service_account": "CONTOSO\\svc-ndes", "scep_pool": "NDES"}))
    assert ops["service_account"][1] == {"account": "CONTOSO\\svc-ndes"}
    assert contract.split_placeholder("ad_account", "account", "CONTOSO\\svc-ndes") is None


def test_log_window_ops_resolve_the_site_log_folder_on_the_host():
    listed = gather.info_ops({"site": "NDES Site"}, logs=True)
    assert [op_id for op_id, _k, _a in listed].count("iis_sites") == 1
    ops = by_id(listed)
    assert len(ops) == len(listed) == 29
    kind, args = ops["w3c_log"]
    assert kind == "file_tail"
    assert contract.split_placeholder("file_tail", "directory", args["directory"]) == (
        "site_log_folder", "NDES Site")
    assert args["pattern"] == "*.log" and "since" not in args
    assert ops["httperr_log"][1]["directory"] == "C:\\Windows\\System32\\LogFiles\\HTTPERR"
    assert ops["httperr_log"][1]["pattern"] == "httperr*.log"
    assert [op for op in listed if op[0] in ("w3c_log", "httperr_log")] == \
        log_window.log_ops("NDES Site", None)[1:]  # the reads diagnose sends, head_bytes included
    since = by_id(gather.info_ops({"log_since": "2026-11-25T01:00:00+01:00", "log_max_files": 3}, logs=True))
    assert since["w3c_log"][1]["since"] == since["httperr_log"][1]["since"] == "2026-11-25T00:00:00Z"
    assert since["w3c_log"][1]["max_files"] == 3
    with pytest.raises(ValueError, match="not a date and time"):
        gather.info_ops({"log_since": "yesterday"}, logs=True)
    make_request(gather.info_ops({}, logs=True), check_mode=False)


def test_placeholders_are_recognised_only_where_the_contract_accepts_them():
    value = contract.placeholder("site_log_folder", "Default Web Site")
    assert value == "@site_log_folder:Default Web Site"
    assert contract.split_placeholder("folder_acl", "path", value) is None
    assert contract.split_placeholder("file_tail", "directory", "@pool_user:SCEP") is None
    assert contract.split_placeholder("file_tail", "directory", "C:\\logs") is None
    with pytest.raises(ValueError, match="unknown placeholder"):
        contract.placeholder("policy", "x")


def test_sections_select_the_ops_a_fix_needs():
    ids = [op_id for op_id, _k, _a in gather.info_ops({}, sections=["policy_cert"])]
    assert ids == ["system", "mscep", "store_my"]
    ids = [op_id for op_id, _k, _a in gather.info_ops({}, sections=["iis"])]
    assert ids == ["system", "iis_sites", "request_limits", "certreg_anonymous", "certreg_windows"]
    ids = [op_id for op_id, _k, _a in gather.info_ops({}, sections=["connector"])]
    assert ids == ["system", "services", "connector_events", "uninstall", "uninstall_wow64", "connector_status"]
    ids = [op_id for op_id, _k, _a in gather.info_ops({}, sections=["iis.request_limits", "httpsys"])]
    assert ids == ["system", "request_limits", "httpsys"]
    with pytest.raises(ValueError, match="unknown facts section 'nope'"):
        gather.info_ops({}, sections=["nope"])


def test_settings_are_normalised_and_unknown_ones_refused():
    s = gather.normalize_settings({"scep_app_path": "certsrv/mscep/", "site": "/Default Web Site/",
                                   "warn_days": "14", "service_account": None})
    assert s["scep_app_path"] == "/certsrv/mscep" and s["site"] == "Default Web Site"
    assert s["warn_days"] == 14 and s["service_account"] is None and s["scep_pool"] == "SCEP"
    with pytest.raises(ValueError, match="unknown NDES setting.*scep_pol"):
        gather.normalize_settings({"scep_pol": "SCEP"})


def test_the_hand_built_results_fit_the_contract():
    ops = gather.info_ops({}, logs=False)
    request = make_request(ops, check_mode=False)
    validate_response(R.response(R.healthy(), ops), request)
    for name in R.FAULT_CASES:
        results, _settings = R.faulty(name)
        validate_response(R.response(results, ops), request)


def test_resolved_and_tree_are_part_of_the_contract():
    assert contract.KINDS["registry_key"][2]["tree"] == "dict?"
    for kind in ("cert_chain", "file_tail", "ad_account", "resolve_principal"):
        assert contract.KINDS[kind][2]["resolved"] == "dict?"
    bad = R.response(R.healthy(), gather.info_ops({}))
    bad["results"][0]["data"]["domain_role"] = "3"
    with pytest.raises(ContractError, match="domain_role"):
        validate_response(bad)


def test_log_files_hands_the_raw_file_records_to_the_log_summary():
    results = {"w3c_log": R.ok("w3c_log", {"files": [{"path": "C:\\logs\\u_ex261125.log", "size": 10,
                                                      "modified": R.iso(), "offset": 0, "content": "x",
                                                      "truncated": False, "encoding": "utf-8"}],
                                           "resolved": {"directory": "C:\\logs"}}),
               "httperr_log": R.failed("httperr_log", "access_denied", "Access is denied")}
    files = gather.log_files(results)
    assert [f["path"] for f in files["w3c"]] == ["C:\\logs\\u_ex261125.log"]
    assert files["httperr"] is None
