# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 9.2: invalid input fails the task, says what to do, and changes nothing.

One ansible-playbook run, one task per row of INVALID against lab hosts (ignore_errors, each result
saved): malformed thumbprints; certificates that are missing, expired, keyless or lack the Client
Authentication EKU; unknown app pool, site, service, account and SID; out-of-range limits; an
unreachable URL; and more. Every row must give ``failed: true``, ``changed: false`` and a message
holding the words the row names (what is wrong and what to do); every lab's ``state_digest`` is the
same before and after the run.
"""
from __future__ import annotations

import datetime

import pytest
import yaml
from labrun import save
from safety_lab import digests, failure_text, make, safety_figures

from ansible_collections.ndes.scep.plugins.module_utils._lab import certs, certstore, faults, healthy

pytestmark = pytest.mark.integration

FQDN = faults.DEFAULT_FQDN
UNREACHABLE = "http://127.0.0.1:9/certsrv/mscep/mscep.dll"
FIXABLE = ["request_limits", "httpsys_limits", {"id": "mscep_templates", "variant": "ipsec"}]

# (name, host, module, args, words the message must hold). Args may name {expired}, {keyless}, {no_eku}.
INVALID = [
    ("thumbprint too short", "inv", "policy_cert", {"thumbprint": "12345"}, ["not a certificate thumbprint", "40"]),
    ("thumbprint not hex", "inv", "policy_cert", {"thumbprint": "ZZ" * 20}, ["not a certificate thumbprint"]),
    ("thumbprint 41 digits", "inv", "policy_cert", {"thumbprint": "A" * 41}, ["not a certificate thumbprint"]),
    ("thumbprint with a stray letter", "inv", "policy_cert", {"thumbprint": "G" + "A" * 39},
     ["not a certificate thumbprint"]),
    ("exclude thumbprint malformed", "inv", "root_store", {"exclude": ["not-a-thumbprint"]},
     ["not a certificate thumbprint"]),
    ("certificate missing", "inv", "policy_cert", {"thumbprint": "AB" * 20}, ["not in LocalMachine\\My", "enrol"]),
    ("certificate expired", "inv", "policy_cert", {"thumbprint": "{expired}"}, ["expired"]),
    ("certificate keyless", "inv", "policy_cert", {"thumbprint": "{keyless}"}, ["private key"]),
    ("certificate without Client Authentication EKU", "inv", "policy_cert", {"thumbprint": "{no_eku}"},
     ["Client Authentication"]),
    ("unknown app pool", "inv", "app_pool", {"name": "NoSuchPool"}, ["no application pool", "Give name="]),
    ("unknown app pool to recycle", "inv", "iis_restart", {"pools": ["NoSuchPool"]}, ["NoSuchPool", "does not exist"]),
    ("unknown site (request limits)", "inv", "request_limits", {"site": "No Such Site"}, ["No Such Site"]),
    ("unknown site (CRS authentication)", "inv", "certreg_auth", {"site": "No Such Site"}, ["No Such Site"]),
    ("unknown site (IIS log)", "inv", "iis_log", {"site": "No Such Site"}, ["does not exist", "set site"]),
    ("service not installed, required", "noproxy", "connector_service", {"required": True},
     ["not installed", "install"]),
    ("unknown account (user right)", "inv", "user_right", {"principals": ["CONTOSO\\nobody"]},
     ["do not exist", "SID"]),
    ("malformed SID (user right)", "inv", "user_right", {"principals": ["S-1-5-x"]}, ["do not exist"]),
    ("malformed SID (temp ACL)", "inv", "temp_acl", {"sid": "S-1-5-x"}, ["not a SID"]),
    ("temp ACL on another folder", "inv", "temp_acl", {"path": "%SystemRoot%\\..\\..\\Windows\\System32"},
     ["not the Windows temporary folder", "C:\\Windows\\Temp"]),
    ("unknown account (RA key ACL)", "inv", "ra_certs", {"service_account": "CONTOSO\\nobody"},
     ["not found", "SID"]),
    ("right that is no constant", "inv", "user_right", {"right": "Impersonate a client after authentication"},
     ["not a user right constant", "SeImpersonatePrivilege"]),
    ("maxUrl 0", "inv", "request_limits", {"max_url": 0}, ["max_url", "between"]),
    ("maxQueryString negative", "inv", "request_limits", {"max_query_string": -1}, ["max_query_string", "between"]),
    ("maxUrl beyond a DWORD", "inv", "request_limits", {"max_url": 4294967296}, ["max_url", "between"]),
    ("MaxFieldLength beyond HTTP.sys range", "inv", "request_limits", {"max_field_length": 70000},
     ["max_field_length", "65534"]),
    ("MaxRequestBytes beyond HTTP.sys range", "inv", "request_limits", {"max_request_bytes": 16777217},
     ["max_request_bytes", "16777216"]),
    ("MaxFieldLength below HTTP.sys range", "inv", "request_limits", {"max_field_length": 10},
     ["max_field_length", "64"]),
    ("log window of 0 hours", "inv", "iis_log", {"hours": 0}, ["hours must be a positive"]),
    ("log window that ends before it starts", "inv", "iis_log",
     {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, ["empty"]),
    ("log read of 0 bytes", "inv", "iis_log", {"max_bytes": 0}, ["max_bytes must be a positive"]),
    ("diagnosis log window of 0 hours", "inv", "diagnose", {"log_hours": 0, "probe": False},
     ["log_hours", "positive"]),
    ("probe timeout 0", "inv", "probe", {"url": UNREACHABLE, "timeout": 0}, ["timeout must be a positive"]),
    ("probe URL not http(s)", "inv", "probe", {"url": "ftp://ndes01/certsrv"}, ["http(s)://"]),
    ("unreachable URL", "inv", "probe", {"url": UNREACHABLE, "timeout": 2, "fail_on_signals": ["URL_NOT_403"]},
     ["no HTTP answer", "Check the URL"]),
    ("empty template name", "inv", "mscep_templates", {"template": "  "}, ["template is empty", "NDESIntune"]),
    ("unknown backup run", "inv", "rollback", {"run_id": "19990101T000000Z-000000"}, ["no backups for run"]),
    ("run id with a path in it", "inv", "rollback", {"run_id": "../../etc"}, ["run"]),
    ("nothing to restart", "inv", "iis_restart", {}, ["give pools", "reset=true"]),
    ("unknown lab fault", "inv", "lab", {"faults": ["no_such_fault"]}, ["unknown fault", "valid ids"]),
    ("device log that is missing", "inv", "device_log", {"path": "/nonexistent/omadm.log"}, ["not found"]),
    ("rules file that is missing", "inv", "diagnose", {"rules_files": ["/nonexistent/rules.yml"], "probe": False},
     ["not a file"]),
    ("option of another module", "inv", "app_pool", {"pools": ["SCEP"]}, ["Unsupported parameters", "pools"]),
    ("choice out of the list", "inv", "connector_service", {"state": "stopped"}, ["must be one of", "started"]),
]


def bad_certificates(root):
    """Add an expired, a keyless and a no-Client-Auth policy-like certificate to LocalMachine\\My."""
    now = datetime.datetime.now(datetime.timezone.utc)
    name = certs.name(FQDN)
    acl = {"key_acl": healthy.admin_key_acl()}
    cert, key = certs.issue(root, name, "NDESPolicyClientAuth", [FQDN], valid_from=now - datetime.timedelta(days=400),
                            valid_to=now - datetime.timedelta(days=30))
    expired = certstore.add(root, "My", cert, key, acl)
    cert, _key = certs.issue(root, name, "NDESPolicyClientAuth", [FQDN])
    keyless = certstore.add(root, "My", cert, None, {})
    cert, key = certs.issue(root, name, "NDESPolicyClientAuth", [FQDN], ekus=["1.3.6.1.5.5.7.3.1"])
    no_eku = certstore.add(root, "My", cert, key, acl)
    return {"expired": expired, "keyless": keyless, "no_eku": no_eku}


def _task(index, module, args):
    body = yaml.safe_dump({"name": "row %d" % index, "ndes.scep." + module: args, "register": "row%d" % index,
                           "ignore_errors": True, "when": "inventory_hostname == row_host_%d" % index},
                          default_flow_style=False, sort_keys=False)
    return "".join("    " + line + "\n" if i == 0 else "      " + line + "\n"
                   for i, line in enumerate(body.rstrip("\n").splitlines())).replace("    name:", "    - name:", 1)


def test_invalid_input_fails_clearly_and_changes_nothing(lab):
    roots = make(lab, {"inv": FIXABLE, "noproxy": [{"id": "proxy_connector_down", "variant": "absent"}]})
    thumbprints = bad_certificates(roots["inv"])
    tasks = []
    for index, (_name, host, module, args, _words) in enumerate(INVALID):
        args = dict((k, v.format(**thumbprints) if isinstance(v, str) else v) for k, v in args.items())
        tasks.append(_task(index, module, args))
        for h in lab.hosts:
            lab.hosts[h]["row_host_%d" % index] = host
    collect = """
    - name: Collect the rows
      ansible.builtin.set_fact:
        rows: {%s}
""" % ", ".join("row%d: \"{{ row%d }}\"" % (i, i) for i in range(len(INVALID)))
    play = "\n- hosts: all\n  gather_facts: false\n  tasks:\n" + "".join(tasks) + collect + save("rows")
    before = digests(roots)
    run = lab.run(play)
    assert run.rc == 0, failure_text(run)
    problems = []
    for index, (name, host, module, _args, words) in enumerate(INVALID):
        result = (run.result(host, "rows") or {}).get("row%d" % index) or {}
        msg = result.get("msg") or ""
        if result.get("failed") is not True:
            problems.append("%s (%s): not failed: %s" % (name, module, str(result)[:300]))
        if result.get("changed"):
            problems.append("%s (%s): changed" % (name, module))
        missing = [w for w in words if w.lower() not in msg.lower()]
        if missing:
            problems.append("%s (%s): message lacks %s: %r" % (name, module, missing, msg[:400]))
        if "Traceback" in msg or "MODULE FAILURE" in msg:
            problems.append("%s (%s): a crash, not a message: %r" % (name, module, msg[:400]))
    after = digests(roots)
    changed_labs = [h for h in roots if before[h] != after[h]]
    safety_figures.record(
        "2-invalid", "2", "Invalid input: malformed thumbprints; missing, expired, keyless, no-EKU certificates; "
        "unknown pool, site, service, account, SID; out-of-range limits; unreachable URL; ...",
        "%d invalid inputs over %d modules, one ansible-playbook run: each must fail, say what to do, change "
        "nothing (state digest of both labs compared)" % (len(INVALID), len(set(r[2] for r in INVALID))),
        len(problems) + len(changed_labs), {"invalid_inputs": len(INVALID)},
        lost_what="rows that did not fail clearly or changed a lab")
    assert not problems, "\n".join(problems)
    assert changed_labs == []


def test_unknown_sid_is_refused(lab):
    """A well-formed SID that names no account: the agent's grant looks it up first (no extra call) and fails."""
    roots = make(lab, {"inv": []})
    before = digests(roots)
    run = lab.run("""
- hosts: all
  gather_facts: false
  tasks:
    - name: Grant to a SID that names no account
      ndes.scep.user_right:
        principals: [S-1-5-21-1111-2222-3333-4444]
      register: right
      ignore_errors: true
    - name: ACL for a SID that names no account
      ndes.scep.temp_acl:
        sid: S-1-5-21-1111-2222-3333-4444
      register: acl
      ignore_errors: true
""" + save("right") + save("acl"))
    assert run.rc == 0, failure_text(run)
    for name in ("right", "acl"):
        result = run.result("inv", name)
        assert result["failed"] is True and result.get("changed") is False, result
        assert "names no account" in result["msg"] and "S-1-5-21-1111-2222-3333-4444" in result["msg"], result["msg"]
        assert "service account" in result["msg"], result["msg"]
    assert digests(roots) == before
