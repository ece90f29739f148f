# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediation modules through real ansible-playbook runs against lab NDES hosts.

For every fault whose FAULTS.md "fix by" names a module (each variant): a lab with that fault,
the module fixes it, ndes.scep.info shows it fixed, a second run reports changed=0 without any
agent call, and check mode leaves the lab's state digest identical. Report-only faults stay
reported. Finally a lab with every fixable fault is brought to healthy by a plain playbook.
"""
from __future__ import annotations

import json
import os

import pytest
import yaml

from labrun import save

from ansible_collections.ndes.scep.plugins.module_utils._lab import certs, certstore, faults, healthy, layout

pytestmark = pytest.mark.integration
FQDN = "ndes01.contoso.com"


def make(lab, hosts):
    """``{host: [fault, ...]}`` -> lab roots (created directly with the _lab package)."""
    roots = {}
    for host, fault_list in hosts.items():
        roots[host] = lab.add_host(host)
        faults.create(roots[host], fault_list)
    return roots


def renewed_policy_cert(root):
    """What an admin does before running policy_cert on an expired one: enrol a new Client Auth certificate."""
    cert, key = certs.issue(root, certs.name(FQDN), "NDESPolicyClientAuth", [FQDN], key=certs.new_key())
    return certstore.add(root, "My", cert, key, {"key_acl": healthy.admin_key_acl()})


def task_calls(run, host, task):
    return run.counts.get("tasks", {}).get(host, {}).get(task)


def _args_yaml(args, indent=8):
    if not args:
        return ""
    text = yaml.safe_dump(args, default_flow_style=False).rstrip("\n")
    return "\n".join(" " * indent + line for line in text.splitlines()) + "\n"


def fix_play(module, args):
    """info -> fix with the facts -> info -> fix again with fresh facts; everything saved for the test."""
    return """
- hosts: all
  gather_facts: false
  tasks:
    - name: Gather
      ndes.scep.info:
      register: before
    - name: Fix
      ndes.scep.{module}:
        facts: "{{{{ before.ndes }}}}"
{args}      register: fix
    - name: Gather again
      ndes.scep.info:
      register: after
    - name: Fix again
      ndes.scep.{module}:
        facts: "{{{{ after.ndes }}}}"
{args}      register: again
""".format(module=module, args=_args_yaml(args)) + save("fix") + save("after") + save("again")


def check_play(module, args):
    return """
- hosts: all
  gather_facts: false
  tasks:
    - name: Gather
      ndes.scep.info:
      register: before
    - name: Fix
      ndes.scep.{module}:
        facts: "{{{{ before.ndes }}}}"
{args}      register: fix
""".format(module=module, args=_args_yaml(args)) + save("fix")


# module, args, {host: (fault, prepare or None, fixed(facts))}
MATRIX = [
    ("user_right", {}, {
        "impersonate": ({"id": "impersonate_right", "variant": "local"}, None,
                        lambda f: f["user_rights"]["impersonate"]["iis_iusrs_holds"])}),
    ("app_pool", {}, {
        "pool": ("app_pool_stopped", None, lambda f: f["scep_pool"]["started"] and f["scep_pool"]["auto_start"])}),
    ("root_store", {}, {
        "roots": ({"id": "root_intermediates", "variant": "local"}, None, lambda f: f["root_store"]["count"] == 0)}),
    ("certreg_auth", {}, {
        "crs": ("crs_windows_auth", None, lambda f: f["iis"]["certreg_auth"]["ok"])}),
    ("policy_cert", {"auto": True}, dict(
        ("policy_" + v, ({"id": "policy_cert_expired", "variant": v}, renewed_policy_cert,
                         lambda f: f["policy_cert"]["problem"] == "none" and f["policy_cert"]["stored_normalized"]))
        for v in ("expired", "missing", "keyless", "no_client_auth_eku"))),
    ("connector_service", {"certificate_connector": True}, {
        "proxy": ({"id": "proxy_connector_down", "variant": "stopped"}, None, lambda f: f["services"]["WAPCSvc"]["ok"]),
        "pfx": ({"id": "connector_health", "variant": "stopped"}, None,
                lambda f: f["services"]["PFXCertificateConnectorSvc"]["ok"])}),
    ("request_limits", {}, {
        "limits_apphost": ({"id": "request_limits", "variant": "apphost"}, None,
                           lambda f: f["iis"]["request_limits"]["ok"]),
        "limits_webconfig": ({"id": "request_limits", "variant": "webconfig"}, None,
                             lambda f: f["iis"]["request_limits"]["ok"]),
        "httpsys_absent": ({"id": "httpsys_limits", "variant": "absent"}, None,
                           lambda f: f["httpsys"]["set_ok"] and f["httpsys"]["pending_reboot"]),
        "httpsys_low": ({"id": "httpsys_limits", "variant": "low"}, None,
                        lambda f: f["httpsys"]["set_ok"] and f["httpsys"]["pending_reboot"])}),
    ("reboot", {"only_if_required": True}, {
        "pending": ({"id": "httpsys_limits", "variant": "pending"}, None,
                    lambda f: f["httpsys"]["ok"] and f["pending_reboot"] is False)}),
    ("mscep_templates", {"template": healthy.SCEP_TEMPLATE}, {
        "templates_ipsec": ({"id": "mscep_templates", "variant": "ipsec"}, None,
                            lambda f: f["mscep_templates"]["signature_template"] == healthy.SCEP_TEMPLATE),
        "templates_display": ({"id": "mscep_templates", "variant": "display_name"}, None,
                              lambda f: f["mscep_templates"]["general_purpose_template"] == healthy.SCEP_TEMPLATE)}),
    ("temp_acl", {}, {"temp": ("temp_acl", None, lambda f: f["temp_acl"]["network_service_explicit"])}),
    ("ra_certs", {}, {"ra_acl": ("ra_key_acl", None, lambda f: f["ra_certs"]["acl_missing"] == [])}),
    ("capi2_log", {}, {"capi2": ("crl_unreachable", None, lambda f: f["capi2"]["enabled"])}),
]


@pytest.mark.parametrize("module,args,hosts", MATRIX, ids=[row[0] for row in MATRIX])
def test_module_fixes_its_faults(lab, module, args, hosts):
    roots = make(lab, dict((host, [fault]) for host, (fault, _p, _f) in hosts.items()))
    for host, (_fault, prepare, _fixed) in hosts.items():
        if prepare:
            prepare(roots[host])

    # check mode on the faulty labs: predicted change, state byte-identical
    digests = dict((host, layout.state_digest(root)) for host, root in roots.items())
    run = lab.run(check_play(module, args), check=True, diff=True)
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    for host in hosts:
        assert layout.state_digest(roots[host]) == digests[host], "%s: check mode changed the lab" % host
        predicted = run.result(host, "fix")
        assert predicted["changed"] is True and predicted["backup"] is None, (host, predicted)
        assert task_calls(run, host, "Fix") == 1

    run = lab.run(fix_play(module, args), diff=True)
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    for host, (_fault, _prepare, fixed) in hosts.items():
        fix, after, again = run.result(host, "fix"), run.result(host, "after"), run.result(host, "again")
        assert fix["changed"] is True and task_calls(run, host, "Fix") == 1, (host, fix)
        assert fix["ndes_remote_calls"] == 1
        assert fixed(after["ndes"]), (host, module)
        assert again["changed"] is False and task_calls(run, host, "Fix again") == 0, (host, again)
        assert isinstance(fix["restart_required"], bool) and isinstance(fix["reboot_required"], bool)
        if module != "reboot":
            assert fix["backup"]["items"], host
            assert all(os.path.exists(item) for item in fix["backup"]["items"])
            assert [c["backup"] for c in fix["changes"] if c["backup"]] == fix["backup"]["items"]
        else:
            assert fix["rebooted"] is True
        recap = run.recap(host)
        assert recap["failed"] == "0"


def test_without_facts_one_read_then_one_ensure(lab):
    make(lab, {"limits": [{"id": "request_limits", "variant": "webconfig"}]})
    play = """
- hosts: all
  gather_facts: false
  tasks:
    - name: Fix
      ndes.scep.request_limits:
      register: fix
    - name: Fix again
      ndes.scep.request_limits:
      register: again
""" + save("fix") + save("again")
    run = lab.run(play)
    assert run.rc == 0, run.stdout[-3000:]
    assert task_calls(run, "limits", "Fix") == 2 and run.result("limits", "fix")["changed"] is True
    assert run.result("limits", "fix")["iis"]["maxUrl"]["written_to"] == "MACHINE/WEBROOT/APPHOST/Default Web Site"
    assert task_calls(run, "limits", "Fix again") == 1 and run.result("limits", "again")["changed"] is False


def test_healthy_facts_cost_no_call(lab):
    make(lab, {"healthy": []})
    tasks = "".join("""
    - name: {m}
      ndes.scep.{m}:
        facts: "{{{{ info.ndes }}}}"
{a}      register: r_{m}
""".format(m=m, a=_args_yaml(a)) for m, a in [
        ("request_limits", {}), ("user_right", {}), ("certreg_auth", {}), ("policy_cert", {}), ("app_pool", {}),
        ("root_store", {}), ("connector_service", {"certificate_connector": True}), ("ra_certs", {}),
        ("capi2_log", {"enabled": False}), ("mscep_templates", {"template": healthy.SCEP_TEMPLATE}),
        ("temp_acl", {}), ("reboot", {"only_if_required": True})])
    run = lab.run("""
- hosts: all
  gather_facts: false
  tasks:
    - name: Gather
      ndes.scep.info:
      register: info
""" + tasks)
    assert run.rc == 0, run.stdout[-3000:]
    assert run.calls("healthy") == 1, run.counts
    assert run.recap("healthy")["changed"] == "0"


# ------------------------------------------------------------------ report-only: reported, never silently changed
def test_report_only_faults_stay_reported(lab):
    roots = make(lab, {
        "gpo_right": [{"id": "impersonate_right", "variant": "gpo"}],
        "gpo_root": [{"id": "root_intermediates", "variant": "gpo"}],
        "no_proxy": [{"id": "proxy_connector_down", "variant": "absent"}],
        "crl": ["crl_unreachable"],
        "not403": ["url_not_403"],
    })
    digests = dict((host, layout.state_digest(root)) for host, root in roots.items())
    run = lab.run("""
- hosts: all
  gather_facts: false
  tasks:
    - name: Gather
      ndes.scep.info:
      register: info
    - name: Right
      ndes.scep.user_right:
        facts: "{{ info.ndes }}"
      register: right
    - name: Roots
      ndes.scep.root_store:
        facts: "{{ info.ndes }}"
      register: roots
    - name: Connector
      ndes.scep.connector_service:
        facts: "{{ info.ndes }}"
      register: connector
    - name: Reset IIS after a failed connector install
      ndes.scep.iis_restart:
        reset: true
      when: inventory_hostname == 'not403'
      register: reset
    - name: Gather again
      ndes.scep.info:
      register: after
""" + save("right") + save("roots") + save("connector") + save("reset") + save("after"))
    assert run.rc == 0, run.stdout[-3000:]
    right = run.result("gpo_right", "right")
    assert right["changed"] is False and right["gpo_blocked"] is True
    assert right["gpo_source"] == "NDES Server Baseline" and "override_gpo" in " ".join(right["warnings"])
    assert run.result("gpo_right", "after")["ndes"]["user_rights"]["impersonate"]["iis_iusrs_holds"] is False
    roots_result = run.result("gpo_root", "roots")
    assert roots_result["changed"] is False and len(roots_result["gpo_placed"]) == 1
    assert run.result("gpo_root", "after")["ndes"]["root_store"]["count"] == 1
    connector = run.result("no_proxy", "connector")
    assert connector["changed"] is False and connector["not_installed"] == ["WAPCSvc", "WAPCUpdaterSvc"]
    assert run.result("crl", "after")["ndes"]["chain"]["revocation_unreachable"] is True
    # an iisreset does not repair a failed connector install: still reported (reinstall is manual)
    assert run.result("not403", "reset")["changed"] is True
    assert run.result("not403", "after")["ndes"]["setup_msi"]["success"] is False
    for host in ("gpo_right", "gpo_root", "no_proxy"):
        assert layout.state_digest(roots[host]) == digests[host], host
        assert task_calls(run, host, "Right") == 0 and task_calls(run, host, "Roots") == 0


def test_unusable_ra_certificates_and_policy_cert_fail_with_the_next_step(lab):
    roots = make(lab, {"ra": [{"id": "ra_cert_expired", "variant": "expired"}],
                       "policy": [{"id": "policy_cert_expired", "variant": "keyless"}]})
    digests = dict((host, layout.state_digest(root)) for host, root in roots.items())
    run = lab.run("""
- hosts: all
  gather_facts: false
  tasks:
    - name: Gather
      ndes.scep.info:
      register: info
    - name: RA
      ndes.scep.ra_certs:
        facts: "{{ info.ndes }}"
      register: ra
      ignore_errors: true
    - name: Policy
      ndes.scep.policy_cert:
        facts: "{{ info.ndes }}"
      register: policy
      ignore_errors: true
""" + save("ra") + save("policy"))
    assert run.rc == 0, run.stdout[-3000:]
    ra = run.result("ra", "ra")
    assert ra["failed"] and "ndes.scep.ra_renew" in ra["msg"] and ra["unusable_roles"] == ["encryption", "signing"]
    policy = run.result("policy", "policy")
    assert policy["failed"] and "has no private key" in policy["msg"]
    for host, root in roots.items():
        assert layout.state_digest(root) == digests[host]


# ------------------------------------------------------------------ done when: every fixable fault, one plain playbook
SECTION_A = ["impersonate_right", "app_pool_stopped", "root_intermediates", "crs_windows_auth", "policy_cert_expired",
             "proxy_connector_down", "request_limits", "httpsys_limits"]
SECTION_B = ["mscep_templates", "temp_acl", "ra_key_acl", {"id": "connector_health", "variant": "stopped"}]

REMEDIATE = """
- hosts: all
  gather_facts: false
  vars:
    fixes: [roots, crs, policy, right, limits, connector, ra, templates, temp, pool]
  tasks:
    - name: Gather
      ndes.scep.info:
      register: info
    - name: Intermediates out of Root
      ndes.scep.root_store:
        facts: "{{ info.ndes }}"
      register: roots
    - name: CertificateRegistrationSvc authentication
      ndes.scep.certreg_auth:
        facts: "{{ info.ndes }}"
      register: crs
    - name: Policy certificate
      ndes.scep.policy_cert:
        auto: true
        facts: "{{ info.ndes }}"
      register: policy
    - name: Impersonate right
      ndes.scep.user_right:
        facts: "{{ info.ndes }}"
      register: right
    - name: Request limits
      ndes.scep.request_limits:
        facts: "{{ info.ndes }}"
      register: limits
    - name: Connector services
      ndes.scep.connector_service:
        certificate_connector: true
        facts: "{{ info.ndes }}"
      register: connector
    - name: RA keys
      ndes.scep.ra_certs:
        facts: "{{ info.ndes }}"
      register: ra
    - name: MSCEP templates
      ndes.scep.mscep_templates:
        template: NDESIntune
        facts: "{{ info.ndes }}"
      register: templates
    - name: Temp folder
      ndes.scep.temp_acl:
        facts: "{{ info.ndes }}"
      register: temp
    - name: SCEP pool
      ndes.scep.app_pool:
        facts: "{{ info.ndes }}"
      register: pool
    - name: Reboot when a fix asked for it
      ndes.scep.reboot:
        only_if_required: true
        required: "{{ fixes | map('extract', vars) | selectattr('reboot_required') | list | length > 0 }}"
      register: reboot
    - name: Restart what the fixes asked for
      ndes.scep.iis_restart:
        reset: true
      when: fixes | map('extract', vars) | selectattr('restart_required') | list | length > 0
      register: restart
    - name: Gather after
      ndes.scep.info:
      register: after
    - name: Collect
      ansible.builtin.set_fact:
        results: "{{ dict(fixes | zip(fixes | map('extract', vars))) }}"
""" + save("results") + save("after") + save("reboot") + save("restart")


def test_every_fixable_fault_brought_to_healthy_by_a_plain_playbook(lab):
    assert faults.normalize(SECTION_A + SECTION_B)
    roots = make(lab, {"ndes": SECTION_A + SECTION_B})
    renewed = renewed_policy_cert(roots["ndes"])
    lab.hosts["ndes"]["ndes_run_id"] = "20261125T210000Z-done01"

    run = lab.run(REMEDIATE, diff=True)
    assert run.rc == 0, run.stdout[-5000:] + run.stderr[-2000:]
    results = run.result("ndes", "results")
    after = run.result("ndes", "after")["ndes"]

    # every fault fixed
    assert after["user_rights"]["impersonate"]["iis_iusrs_holds"] is True
    assert after["scep_pool"]["started"] is True and after["scep_pool"]["auto_start"] is True
    assert after["root_store"]["count"] == 0
    assert after["iis"]["certreg_auth"]["ok"] is True
    assert after["policy_cert"]["problem"] == "none" and after["policy_cert"]["value"] == renewed.lower()
    assert after["services"]["WAPCSvc"]["ok"] is True and after["services"]["PFXCertificateConnectorSvc"]["ok"] is True
    assert after["iis"]["request_limits"]["ok"] is True
    assert after["httpsys"]["ok"] is True and after["pending_reboot"] is False      # the lab booted
    assert after["mscep_templates"]["values_ok"] is True
    assert after["temp_acl"]["network_service_explicit"] is True
    assert after["ra_certs"]["acl_missing"] == []
    assert run.result("ndes", "reboot")["rebooted"] is True

    # every change backed up, all under the run id, and listed in the run's manifest
    manifest_path = os.path.join(roots["ndes"], "backups", "20261125T210000Z-done01", "manifest.json")
    with open(manifest_path, encoding="utf-8") as handle:
        manifest = json.load(handle)
    listed = set(os.path.join(os.path.dirname(manifest_path), item["file"]) for item in manifest["items"])
    for name, result in results.items():
        assert result["changed"] is True, name
        assert result["backup"]["run_id"] == "20261125T210000Z-done01", name
        for change in result["changes"]:
            assert change["backup"], (name, change)
            assert change["backup"] in listed, (name, change["backup"])

    # round trips: 1 for info, 1 per fix applied (+1 for app_pool: it re-reads the crash causes the
    # facts still show, since the fixes before it removed them), then the reboot, the iisreset, info after
    calls = run.counts["tasks"]["ndes"]
    assert calls["Gather"] == 1
    for task in ("Intermediates out of Root", "CertificateRegistrationSvc authentication", "Policy certificate",
                 "Impersonate right", "Request limits", "Connector services", "RA keys", "MSCEP templates",
                 "Temp folder"):
        assert calls[task] == 1, (task, calls)
    assert calls["SCEP pool"] == 2
    assert calls["Reboot when a fix asked for it"] == 1 and calls["Restart what the fixes asked for"] == 1

    # a second run finds nothing to do: no change, no agent call beyond the two info reads
    again = lab.run(REMEDIATE)
    assert again.rc == 0, again.stdout[-3000:]
    assert not [name for name, result in again.result("ndes", "results").items() if result["changed"]]
    assert again.result("ndes", "reboot")["rebooted"] is False
    assert again.result("ndes", "restart").get("skipped") is True
    calls = again.counts["tasks"]["ndes"]
    assert sum(n for task, n in calls.items() if not task.startswith("Save")) == 2, calls
