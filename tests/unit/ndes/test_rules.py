# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The findings catalogue and its engine: load, validate, merge user rules, evaluate, fail_on."""
from __future__ import annotations

import copy
import os
import re

import pytest
import yaml

from ansible_collections.ndes.scep.plugins.module_utils._ndes import diagnose as D
from ansible_collections.ndes.scep.plugins.module_utils._ndes import facts as F
from ansible_collections.ndes.scep.plugins.module_utils._ndes import rules
from ansible_collections.ndes.scep.plugins.module_utils._ndes.rules import engine

import facts_raw as R

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CUSTOM = os.path.join(ROOT, "tests", "unit", "fixtures", "rules", "custom_pool_identity.yml")
SECTION_A = ("IMPERSONATE_RIGHT", "URL_NOT_403", "APP_POOL_STOPPED", "ROOT_INTERMEDIATES", "CRL_UNREACHABLE",
             "CRS_WINDOWS_AUTH", "POLICY_CERT_EXPIRED", "PROXY_CONNECTOR_DOWN", "REQUEST_LIMITS", "HTTPSYS_LIMITS",
             "APP_PROXY_URL", "SERVICE_ACCOUNT", "NETWORK_BLOCKED", "RA_CERT_EXPIRED")
SECTION_B = ("MSCEP_TEMPLATES", "TEMP_ACL", "RA_KEY_ACL", "POLICY_CERT_CN", "PENDING_REBOOT", "HOST_ROLE", "IE_ESC",
             "CONNECTOR_HEALTH")
DOC_EN = "https://learn.microsoft.com/troubleshoot/mem/intune/certificates/troubleshoot-scep-certificate-device-to-ndes"
DOC_IT = "https://learn.microsoft.com/it-it/troubleshoot/mem/intune/certificates/" \
         "troubleshoot-scep-certificate-device-to-ndes"


def catalogue():
    return rules.load_catalogue()


def raw_catalogue():
    with open(rules.CATALOGUE_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def facts_of(results=None, settings=None):
    return F.build_facts(results if results is not None else R.healthy(), settings or {}, now=R.NOW)


VALID = {
    "id": "MY_RULE", "severity": "warning", "section": None, "when": "ndes.scep_pool.started == `false`",
    "evidence": {"state": "ndes.scep_pool.state"}, "fix": {"module": None, "variable": None, "auto_fixable": False},
    "title": {"en": "Pool down", "it": "Pool arrestato"}, "next_step": {"en": "Start it", "it": "Avviarlo"},
}


def one(**changes):
    rule = copy.deepcopy(VALID)
    for key, value in changes.items():
        if value is KeyError:
            rule.pop(key)
        else:
            rule[key] = value
    return {"schema": 1, "rules": [rule]}


# ------------------------------------------------------------------ the built-in catalogue
def test_every_faults_id_has_a_rule():
    ids = [r.id for r in catalogue()]
    assert set(SECTION_A) <= set(ids)
    assert set(SECTION_B) <= set(ids)
    assert len(set(ids)) == len(SECTION_A) + len(SECTION_B)


def test_every_rule_speaks_english_and_italian():
    for rule in catalogue():
        for key in ("title", "next_step", "unknown_next_step"):
            text = getattr(rule, key)
            assert text["en"].strip() and text["it"].strip(), (rule.label, key)
            assert text["en"] != text["it"], (rule.label, key)
        assert rule.docs["en"].startswith("https://learn.microsoft.com/")
        assert rule.docs["it"].startswith("https://learn.microsoft.com/it-it/")


def test_italian_texts_use_the_real_group_name():
    text = open(rules.CATALOGUE_PATH, encoding="utf-8").read()
    assert "IIS_IURS" not in text.replace("not IIS_IURS", "")
    impersonate = next(r for r in catalogue() if r.id == "IMPERSONATE_RIGHT")
    assert "IIS_IUSRS" in impersonate.title["it"] and "S-1-5-32-568" in impersonate.next_step["it"]
    assert "Rappresenta un client dopo l'autenticazione" in impersonate.title["it"]


def test_docs_point_at_both_editions_and_the_section():
    by_id = dict((r.id, r) for r in catalogue() if not r.variant)
    assert by_id["IMPERSONATE_RIGHT"].docs == {"en": DOC_EN + "#troubleshoot-status-code-500",
                                               "it": DOC_IT + "#status-code-500"}
    assert by_id["REQUEST_LIMITS"].docs == {"en": DOC_EN + "#http-414-request-uri-too-long",
                                            "it": DOC_IT + "#http-414-request-uri-too-long"}
    for rid in SECTION_A:
        assert by_id[rid].section in engine.SECTIONS
        assert by_id[rid].docs["it"] == DOC_IT + "#" + by_id[rid].section
    assert by_id["MSCEP_TEMPLATES"].section is None
    assert by_id["MSCEP_TEMPLATES"].docs["it"].endswith("devices-receive-scep-certificates-error-0x80094800")


def test_seed_anchors_exist_in_the_seed():
    seed = open("/work/shared/seed/000_c99dc8fea5bb34f4.txt", encoding="utf-8").read() \
        if os.path.exists("/work/shared/seed/000_c99dc8fea5bb34f4.txt") else None
    if seed is None:
        pytest.skip("the seed article is not on this machine")
    for anchor in engine.SECTIONS:
        assert '<a name="%s">' % anchor in seed, anchor


ROLE_SWITCHES = {"ra_renew": "ndes_renew_ra"}


def test_fixes_name_existing_modules_and_their_role_variable():
    for rule in catalogue():
        module = rule.fix["module"]
        if module is None:
            assert rule.fix["variable"] is None and rule.fix["auto_fixable"] is False
            continue
        assert os.path.exists(os.path.join(ROOT, "plugins", "modules", module + ".py")), rule.label
        # ra_renew enrols on the CA, so the role keeps it off by default under its own switch
        assert rule.fix["variable"] == ROLE_SWITCHES.get(module, "ndes_fix_" + module), rule.label


def test_builtin_rules_carry_source_builtin_and_a_stable_order():
    first, second = catalogue(), catalogue()
    assert [r.key for r in first] == [r.key for r in second]
    assert {r.source for r in first} == {"builtin"}
    assert first[0].id == "IMPERSONATE_RIGHT"


# ------------------------------------------------------------------ malformed rules
@pytest.mark.parametrize("changes, message", [
    ({"when": "ndes.scep_pool.[started"}, r"rule MY_RULE \(test\): when: invalid JMESPath"),
    ({"when": "lower(ndes.scep_pool.name) == 'scep'"}, r"rule MY_RULE \(test\): when: .*unknown function lower\(\)"),
    ({"when": "length(ndes.a, ndes.b) > `0`"}, r"rule MY_RULE \(test\): when: .*length\(\) takes 1 argument"),
    ({"evidence": {"state": "ndes..state"}}, r"rule MY_RULE \(test\): evidence.state: invalid JMESPath"),
    ({"when": ""}, r"rule MY_RULE \(test\): when: expected a JMESPath expression"),
    ({"title": {"en": "Pool down"}}, r"rule MY_RULE \(test\): title.it: missing or empty text"),
    ({"next_step": {"en": "x", "it": "y", "de": "z"}}, r"rule MY_RULE \(test\): next_step: unknown language 'de'"),
    ({"severity": "error"}, r"rule MY_RULE \(test\): severity 'error': expected one of critical, warning, info"),
    ({"section": "status-500"}, r"rule MY_RULE \(test\): section 'status-500': not an anchor"),
    ({"colour": "red"}, r"rule MY_RULE \(test\): unknown key 'colour'"),
    ({"fix": {"module": "app_pool", "variable": None, "auto_fixable": True}},
     r"rule MY_RULE \(test\): fix: auto_fixable needs a module and a variable"),
    ({"fix": {"module": "App Pool", "variable": None, "auto_fixable": False}}, r"rule MY_RULE \(test\): fix.module"),
    ({"when": KeyError}, r"rule MY_RULE \(test\): when: required key is missing"),
    ({"needs": "scep_pool"}, r"rule MY_RULE \(test\): needs: expected a list"),
    ({"variant": "Bad Variant"}, r"rule MY_RULE/Bad Variant \(test\): variant"),
    ({"id": "my-rule"}, r"test: rules\[0\]: id 'my-rule' is not an upper-case identifier"),
])
def test_a_malformed_rule_fails_naming_the_rule(changes, message):
    with pytest.raises(rules.RuleError, match=message):
        rules.parse_rules(one(**changes), "test")


def test_malformed_catalogues():
    with pytest.raises(rules.RuleError, match=r"test: expected a mapping \{schema: 1, rules"):
        rules.parse_rules([VALID], "test")
    with pytest.raises(rules.RuleError, match=r"test: schema 2"):
        rules.parse_rules({"schema": 2, "rules": []}, "test")
    doc = {"schema": 1, "rules": [VALID, copy.deepcopy(VALID)]}
    with pytest.raises(rules.RuleError, match=r"rule MY_RULE \(test\): defined twice"):
        rules.parse_rules(doc, "test")


def test_a_malformed_rule_in_a_user_file_names_the_file_and_the_rule(tmp_path):
    path = tmp_path / "site_rules.yml"
    path.write_text(yaml.safe_dump(one(id="SITE_RULE", when="ndes.scep_pool.started ==")), encoding="utf-8")
    with pytest.raises(rules.RuleError, match=r"rule SITE_RULE \(%s\): when: invalid JMESPath" % re.escape(str(path))):
        rules.load_catalogue([str(path)])
    bad = tmp_path / "broken.yml"
    bad.write_text("schema: 1\nrules: [\n", encoding="utf-8")
    with pytest.raises(rules.RuleError, match="broken.yml: cannot read the rules file"):
        rules.load_catalogue([str(bad)])


# ------------------------------------------------------------------ user rules
def test_user_rules_file_adds_an_id():
    rules_ = rules.load_catalogue([CUSTOM])
    custom = rules_[-1]
    assert custom.id == "CUSTOM_POOL_IDENTITY" and custom.source == CUSTOM
    assert custom.docs == {"en": "https://wiki.example.com/pki/ndes#service-account",
                           "it": "https://wiki.example.com/pki/ndes#service-account"}
    findings, errors = rules.evaluate(rules_, facts_of())
    assert findings == [] and errors == []
    results = R.healthy()
    R.data(results, "app_pools")["pools"][1]["user_name"] = "CONTOSO\\svc-web"
    findings, _e = rules.evaluate(rules_, facts_of(results))
    assert [(f["id"], f["source"], f["severity"]) for f in findings] == [("CUSTOM_POOL_IDENTITY", CUSTOM, "warning")]
    assert findings[0]["evidence"] == {"identity_type": "SpecificUser", "user_name": "CONTOSO\\svc-web"}


def test_user_rules_replace_or_disable_builtin_ones():
    override = copy.deepcopy(next(r for r in raw_catalogue()["rules"] if r["id"] == "IE_ESC"))
    override["severity"] = "critical"
    disable = {"id": "HOST_ROLE", "enabled": False}
    rules_ = rules.load_catalogue([("ours.yml", {"schema": 1, "rules": [override, disable]})])
    ie_esc = next(r for r in rules_ if r.id == "IE_ESC")
    assert ie_esc.severity == "critical" and ie_esc.source == "ours.yml"
    assert "HOST_ROLE" not in [r.id for r in rules_]
    ids = [r.id for r in rules_]
    assert ids[ids.index("IE_ESC") - 1] == "PENDING_REBOOT"          # a replaced rule keeps its place


# ------------------------------------------------------------------ evaluation
def test_truthiness_is_jmespath_s():
    assert [rules.truthy(v) for v in (None, False, "", [], {}, 0, "x", [0], True)] == \
        [False, False, False, False, False, True, True, True, True]


def test_a_rule_that_raises_does_not_fire_and_is_reported():
    rules_ = rules.parse_rules(one(when="length(ndes.nothing) > `0`"), "test")
    findings, errors = rules.evaluate(rules_, facts_of())
    assert findings == []
    assert errors[0]["id"] == "MY_RULE" and "length" in errors[0]["error"]


def test_variants_keep_the_most_severe_finding_per_id():
    results = R.healthy()
    R.find(R.data(results, "store_my")["certs"], R.RA_SIGN)["not_after"] = R.iso(-1)
    R.find(R.data(results, "store_my")["certs"], R.RA_ENC)["not_after"] = R.iso(5)
    findings, _e = rules.evaluate(catalogue(), facts_of(results))
    assert [(f["id"], f["variant"], f["severity"]) for f in findings] == [("RA_CERT_EXPIRED", None, "critical")]


def test_findings_are_ordered_by_severity_then_catalogue():
    results, _s = R.faulty("ie_esc")
    R.data(results, "impersonate")["holders"].remove(R.IIS_IUSRS)
    R.data(results, "httpsys")["last_write"] = R.AFTER_BOOT
    R.data(results, "certreg_windows")["attributes"]["enabled"] = True
    findings, _e = rules.evaluate(catalogue(), facts_of(results))
    assert [f["id"] for f in findings] == ["IMPERSONATE_RIGHT", "CRS_WINDOWS_AUTH", "PENDING_REBOOT", "IE_ESC"]


def test_finding_shape():
    results, _s = R.faulty("crs_windows_auth")
    finding = rules.evaluate(catalogue(), facts_of(results))[0][0]
    assert finding == {
        "id": "CRS_WINDOWS_AUTH", "variant": None, "status": "fault", "severity": "critical",
        "title": finding["title"], "next_step": finding["next_step"],
        "evidence": {"location": "Default Web Site/CertificateRegistrationSvc", "anonymous_enabled": True,
                     "windows_enabled": True},
        "fix": {"module": "certreg_auth", "variable": "ndes_fix_certreg_auth", "auto_fixable": True},
        "auto_fixable": True, "docs": {"en": DOC_EN + "#http-error-503", "it": DOC_IT + "#http-error-503"},
        "section": "http-error-503", "source": "builtin"}
    assert finding["title"]["it"] == "L'autenticazione di Windows è abilitata su CertificateRegistrationSvc"


@pytest.mark.parametrize("held", [False, True])
def test_impersonate_right_copes_with_an_unknown_gpo_definition(held):
    results = R.healthy()
    R.data(results, "impersonate").update(gpo_defined=None, gpo_holders=[], gpo_source=None)   # RSOP unreadable
    if not held:
        R.data(results, "impersonate")["holders"].remove(R.IIS_IUSRS)
    findings, errors = rules.evaluate(catalogue(), facts_of(results))
    assert errors == []
    if held:                                        # the right was checked: no fault, no "could not check"
        assert findings == []
        return
    (finding,) = findings
    assert finding["id"] == "IMPERSONATE_RIGHT" and finding["status"] == "fault"
    assert finding["evidence"]["gpo_defined"] is None and finding["evidence"]["iis_iusrs_holds"] is False
    assert "evidence.gpo_defined is null" in finding["next_step"]["en"]
    assert "evidence.gpo_defined è null" in finding["next_step"]["it"]


def test_unknown_is_never_silent():
    results = R.healthy()
    results["impersonate"] = R.failed("impersonate", "access_denied", "denied")
    findings, _e = rules.evaluate(catalogue(), facts_of(results))
    assert [(f["id"], f["status"], f["severity"], f["auto_fixable"]) for f in findings] == \
        [("IMPERSONATE_RIGHT", "unknown", "warning", False)]
    assert findings[0]["title"]["en"].startswith("Could not check: IIS_IUSRS lacks")
    assert findings[0]["title"]["it"].startswith("Impossibile verificare: al gruppo IIS_IUSRS")
    assert findings[0]["evidence"]["unknown"] == [{"path": "user_rights.impersonate",
                                                   "reason": "read impersonate (user_right) failed: access_denied: "
                                                             "denied"}]


def test_every_builtin_condition_is_a_boolean_on_every_fixture():
    docs = [facts_of()]
    for name in R.FAULT_CASES:
        results, settings = R.faulty(name)
        docs.append(facts_of(results, settings))
    docs.append(facts_of(dict((op, R.failed(op, "internal", "x")) for op in R.healthy())))
    probe = {"evidence": [], "failures": [], "checks": {"bare_url": {"status": 403}}}
    logs = {"signals": [], "w3c": {"mscep": {"requests": 3}}}
    for facts in docs:
        for pv, lv in ((None, None), (D.probe_view(probe), D.log_view(logs))):
            doc = {"ndes": facts, "probe": pv, "logs": lv}
            for rule in catalogue():
                value = rule.when.search(doc)
                assert value is None or isinstance(value, bool), (rule.label, value)


# ------------------------------------------------------------------ fail_on
@pytest.mark.parametrize("severities, fail_on, fails", [
    ([], "critical", False), (["warning"], "critical", False), (["critical"], "critical", True),
    (["info"], "warning", False), (["warning"], "warning", True), (["critical"], "warning", True),
    (["critical"], "never", False),
])
def test_fail_on(severities, fail_on, fails):
    assert rules.should_fail([{"severity": s} for s in severities], fail_on) is fails


def test_fail_on_rejects_other_values():
    with pytest.raises(ValueError, match="fail_on 'error'"):
        rules.should_fail([], "error")
