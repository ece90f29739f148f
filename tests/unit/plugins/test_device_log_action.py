# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ndes.scep.device_log: what a device log points at (FAULTS.md ids), and the controller-side action."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ndes.scep.plugins.action.device_log import ActionModule
from ansible_collections.ndes.scep.plugins.module_utils._formats.device_logs import analyze_device_log
from ansible_collections.ndes.scep.plugins.module_utils._ndes.device_triage import triage

DEVICE = Path(__file__).resolve().parents[1] / "fixtures" / "device"
URL = "https://ndes.contoso.com/certsrv/mscep/mscep.dll"
PROXY_URL = "https://ndes-contoso.msappproxy.net/certsrv/mscep/mscep.dll"
ANDROID = "2025-06-12T07:16:%02d.0000000  VERB  Event  org.jscep.transport.UrlConnectionGetTransport  1 10  %s"
IOS = "debug    07:30:%02d.000000 +0000    profiled    %s"


def _triage(path=None, text=None, platform=None):
    data = (DEVICE / path).read_bytes() if path else text
    return triage(analyze_device_log(data, platform))


def _levels(result):
    return {h["id"]: h["confidence"] for h in result["hints"]}


# ------------------------------------------------------------------ the fixtures
@pytest.mark.parametrize("name, platform, stage, attempted, responded, hint", [
    ("android_omadm_seed.log", "android", "pkioperation", True, True, []),
    ("android_omadm_503.log", "android", "getcacaps", True, True,
     ["APP_POOL_STOPPED", "ROOT_INTERMEDIATES", "CRL_UNREACHABLE", "CRS_WINDOWS_AUTH", "POLICY_CERT_EXPIRED"]),
    ("ios_debug_seed.log", "ios", "pkioperation", True, True, []),
    ("ios_debug_timeout.log", "ios", "getcacert", True, False, ["APP_PROXY_URL", "NETWORK_BLOCKED"]),
    ("windows_events_installed.xml", "windows", "certificate_installed", True, True, []),
    ("windows_events_failed.json", "windows", "getcacert", True, True, ["APP_PROXY_URL", "NETWORK_BLOCKED"]),
    ("windows_event36_named.json", "windows", "getcacert", True, True, ["APP_PROXY_URL"]),
])
def test_fixture_triage(name, platform, stage, attempted, responded, hint):
    result = _triage(name)
    assert (result["platform"], result["stage_reached"]) == (platform, stage)
    assert (result["attempted"], result["responded"]) == (attempted, responded)
    assert result["findings_hint"] == hint


def test_timeout_on_a_custom_domain():
    result = _triage("ios_debug_timeout.log")
    assert result["network_error"] == "timeout"
    assert result["ndes_url"] == URL and result["uses_msappproxy"] is False
    assert _levels(result) == {"NETWORK_BLOCKED": "observed", "APP_PROXY_URL": "warning"}
    blocked = [h for h in result["hints"] if h["id"] == "NETWORK_BLOCKED"][0]
    assert URL in blocked["detail"] and "timeout" in blocked["detail"]


def test_windows_winhttp_timeout_is_read_by_its_code_not_its_message():
    result = _triage("windows_events_failed.json")
    # the localized Message ("registrazione certificato non riuscita") is never read
    assert result["network_error"] == "timeout"
    assert _levels(result)["NETWORK_BLOCKED"] == "observed"


def test_android_503_names_the_causes_as_candidates():
    result = _triage("android_omadm_503.log")
    assert result["last_status"] == 503 and result["uses_msappproxy"] is True
    assert set(_levels(result).values()) == {"candidate"}


# ------------------------------------------------------------------ synthetic cases
def test_attempt_without_any_answer_is_network_blocked_candidate():
    text = "\n".join([ANDROID % (1, "There are 1 requests"),
                      ANDROID % (2, "Sending GetCACaps(ca) to %s?operation=GetCACaps&message=ca" % PROXY_URL)])
    result = _triage(text=text)
    assert result["attempted"] and result["responded"] is False and result["network_error"] is None
    assert result["findings_hint"] == ["NETWORK_BLOCKED"]
    assert _levels(result)["NETWORK_BLOCKED"] == "candidate"


def test_nothing_attempted_points_at_nothing():
    result = _triage(text=ANDROID % (1, "There are 1 requests"))
    assert result["stage_reached"] == "request_queued"
    assert (result["attempted"], result["responded"], result["findings_hint"]) == (False, None, [])


@pytest.mark.parametrize("line, cls, hints", [
    ("java.net.UnknownHostException: Unable to resolve host", "dns", {"NETWORK_BLOCKED": "candidate",
                                                                      "APP_PROXY_URL": "candidate"}),
    ("javax.net.ssl.SSLHandshakeException: Trust anchor not found", "tls", {"POLICY_CERT_CN": "candidate"}),
    ("java.net.SocketTimeoutException: failed to connect after 30000ms", "timeout", {"NETWORK_BLOCKED": "observed"}),
])
def test_android_exceptions_by_class_name(line, cls, hints):
    text = "\n".join([ANDROID % (1, "Sending GetCACaps(ca) to %s?operation=GetCACaps&message=ca" % PROXY_URL),
                      ANDROID % (2, "Exception: failed " + line)])
    result = _triage(text=text)
    assert result["network_error"] == cls
    assert _levels(result) == hints


def test_ios_tls_error_code():
    text = "\n".join([IOS % (1, "Performing synchronous URL request: %s?operation=GetCACert&message=x" % PROXY_URL),
                      IOS % (2, 'Error Domain=NSURLErrorDomain Code=-1202 "untrusted" UserInfo={}')])
    result = _triage(text=text, platform="ios")
    assert result["network_error"] == "tls"
    assert result["findings_hint"] == ["POLICY_CERT_CN"]


@pytest.mark.parametrize("op, status, expected", [
    ("PKIOperation", "404 Not Found", ["REQUEST_LIMITS"]),
    ("GetCACaps", "404 Not Found", []),
    ("PKIOperation", "414 Request-URI Too Long", ["REQUEST_LIMITS", "HTTPSYS_LIMITS"]),
    ("GetCACert", "500 Internal Server Error", ["IMPERSONATE_RIGHT", "SERVICE_ACCOUNT", "RA_CERT_EXPIRED"]),
    ("GetCACaps", "504 Gateway Timeout", ["PROXY_CONNECTOR_DOWN"]),
])
def test_android_http_answers_map_like_the_probe(op, status, expected):
    line = "Received '%s' when sending %s(ca) to %s?operation=%s&message=ca" % (status, op, PROXY_URL, op)
    result = _triage(text="\n".join([ANDROID % (1, "Sending %s(ca) to %s?operation=%s" % (op, PROXY_URL, op)),
                                     ANDROID % (2, line)]))
    assert result["findings_hint"] == expected


def test_windows_http_status_hresult():
    events = [{"Id": 36, "ProviderName": "Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider",
               "Properties": [{"Value": "1.3.6.1.5.5.7.3.2"}, {"Value": PROXY_URL}, {"Value": ""}]},
              {"Id": 32, "ProviderName": "Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider",
               "Level": 2, "Properties": [{"Value": "0x801901f7"}]}]
    result = triage(analyze_device_log(json.dumps(events)))
    assert result["last_status"] == 503 and result["network_error"] is None
    assert result["findings_hint"][0] == "APP_POOL_STOPPED"


# ------------------------------------------------------------------ the action
def _act(found=None, **given):
    validated = ArgumentSpecValidator(ActionModule.ARGUMENT_SPEC, mutually_exclusive=[["path", "content"]],
                                      required_one_of=[["path", "content"]]).validate(given)
    assert not validated.error_messages, validated.error_messages
    action = object.__new__(ActionModule)

    def find_needle(kind, path):
        assert kind == "files"
        if found is None:
            raise AnsibleError("could not find %s" % path)
        return found
    action._find_needle = find_needle
    return action.act(validated.validated_parameters)


def test_action_reads_a_controller_file():
    path = str(DEVICE / "ios_debug_timeout.log")
    result = _act(found=path, path="ios_debug_timeout.log")
    assert result["source"] == path and result["findings_hint"] == ["APP_PROXY_URL", "NETWORK_BLOCKED"]


def test_action_content_and_forced_platform():
    text = (DEVICE / "windows_events_installed.xml").read_text(encoding="utf-8")
    result = _act(content=text, platform="windows")
    assert result["source"] == "content" and result["stage_reached"] == "certificate_installed"
    result = _act(content=text, platform="auto")
    assert result["platform"] == "windows"


def test_action_errors_are_clear():
    with pytest.raises(AnsibleActionFail, match="was not found on the controller"):
        _act(found=None, path="missing.log")
    with pytest.raises(AnsibleActionFail, match="could not be read as a device log"):
        _act(content="<Event><System><EventID>36</EventID></System>", platform="windows")
    with pytest.raises(AnsibleActionFail, match="could not be read as a device log"):
        _act(content='<!DOCTYPE x [<!ENTITY a "b">]><Event/>')


def test_action_spec_requires_one_source():
    assert ActionModule.MUTUALLY_EXCLUSIVE == (("path", "content"),)
    assert ActionModule.REQUIRED_ONE_OF == (("path", "content"),)
    assert ActionModule.NEEDS_AGENT is False
