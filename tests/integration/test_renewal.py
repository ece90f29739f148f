# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 10: renew the NDES certificates without reinstalling NDES, through ansible-playbook against a lab.

The lab has RA_CERT_EXPIRED and POLICY_CERT_EXPIRED and no valid replacement; the remediate role with
renewal on enrols both RA certificates and a policy certificate from the lab CA, the lab's HTTP face
(with micromdm scepserver as its CA backend) answers again, ndes.scep.probe sees the new RA expiry dates
from outside, a real SCEP client (Debian's scepclient) enrols through mscep.dll, and a second run changes
nothing. Also: check mode, the prerequisite refusal and a failure injected in the middle of a renewal.
"""
from __future__ import annotations

import datetime
import glob
import json
import os
import subprocess

import pytest

from labrun import save

from ansible_collections.ndes.scep.plugins.module_utils._lab import (
    agent, boot, certs, certstore, fault_apply, faults, healthy, layout, server)

pytestmark = pytest.mark.integration

SCEPCLIENT = "/usr/bin/scepclient"
SCEPSERVER = "/usr/bin/scepserver"
HAVE_SCEP = os.path.exists(SCEPCLIENT) and os.path.exists(SCEPSERVER)
POLICY_TEMPLATE = "NDESPolicyClientAuth"
RA_TEMPLATES = {"signing": "EnrollmentAgentOffline", "encryption": "CEPEncryption"}
GATHER = "ndes.scep.remediate : Gather the NDES facts (one agent call)"

PROBE = """
- hosts: lab1
  gather_facts: false
  tasks:
    - name: Probe the lab's SCEP URL from outside, as a device does
      ndes.scep.probe:
        url: "{{ (lookup('ansible.builtin.file', ndes_lab_root ~ '/run/server.json') | from_json).scep_url }}"
      delegate_to: localhost
      register: probed
""" + save("probed")

RENEW = """
- hosts: lab1
  gather_facts: false
  tasks:
    - name: Renew the RA certificates
      ndes.scep.ra_renew:
        ca: "{{ ca }}"
        force: "{{ force | default(false) }}"
      register: renewal
      ignore_errors: true
""" + save("renewal")


@pytest.fixture
def renewal_lab(lab):
    root = lab.add_host("lab1")
    faults.create(root, ["ra_cert_expired", "policy_cert_expired"])
    yield root, faults.read_lab(root)["ca_config"]
    server.stop(root)


def role_vars(ca=None):
    """Renewal on; without ``ca`` the role takes the lab's own CA from its lab.json."""
    out = {"ndes_renew_ra": True, "ndes_policy_cert_template": POLICY_TEMPLATE}
    if ca:
        out["ndes_ca_config"] = ca
    return out


def probe(lab):
    run = lab.run(PROBE)
    assert run.rc == 0, run.stdout + run.stderr
    return run.result("lab1", "probed")


def run_scepclient(workdir, url, cn):
    os.makedirs(workdir)
    cmd = [SCEPCLIENT, "-server-url", url, "-private-key", os.path.join(workdir, "key.pem"),
           "-certificate", os.path.join(workdir, "cert.pem"), "-cn", cn]
    return subprocess.run(cmd, capture_output=True, timeout=60, cwd=workdir, check=False)


@pytest.mark.skipif(not HAVE_SCEP, reason="scepclient / scepserver missing: apt-get install scep")
def test_remediate_renews_everything_and_a_real_client_enrols(lab, renewal_lab, tmp_path):
    root, ca = renewal_lab
    face = server.start(root, ca_backend="scepserver")
    old = {role: fault_apply.ra_thumbprints(root)[template] for role, template in RA_TEMPLATES.items()}

    broken = probe(lab)
    assert broken["reached"] is True
    assert run_scepclient(str(tmp_path / "before"), face["scep_url"], "before-renewal").returncode != 0

    # check mode: the drift report says what would be renewed; the lab stays byte-identical
    digest = layout.state_digest(root)
    dry = lab.run("ndes.scep.remediate", check=True, extra_vars=role_vars())
    assert dry.rc == 0, dry.stdout + dry.stderr
    assert layout.state_digest(root) == digest
    assert "Renew the RA certificates from the CA (RA_CERT_EXPIRED)" in dry.stdout

    run = lab.run("ndes.scep.remediate", extra_vars=role_vars(ca))
    assert run.rc == 0, run.stdout + run.stderr
    assert int(run.recap("lab1")["changed"]) > 0
    # gather, templates read + renewal, template read + policy enrolment; the IIS reset and the connector
    # restart ride in the call of the last fix of the plan (no handler call)
    busy = dict((task, n) for task, n in run.counts["tasks"]["lab1"].items() if n)
    assert busy["ndes.scep.remediate : Renew the RA certificates from the CA (RA_CERT_EXPIRED)"] == 2
    assert busy["ndes.scep.remediate : Point NDESCertThumbprint at a valid certificate (POLICY_CERT_EXPIRED)"] == 2
    assert "ndes.scep.remediate : Reset IIS" not in busy
    assert boot.load(root).get("iis_resets") == 1
    host = _report(lab)["hosts"][0]
    assert host["status"] == "changed" and host["verify"]["reached"] is True and host["verify"]["unexplained"] == []
    assert {"RA_CERT_EXPIRED", "POLICY_CERT_EXPIRED"} <= set(host["verify"]["fixed"])
    modules = set(change["module"] for change in host["changes"])
    assert {"ndes.scep.ra_renew", "ndes.scep.policy_cert"} <= modules

    # the lab is healthy: new RA pair in use, old ones archived (not deleted), policy certificate valid
    now = datetime.datetime.now(datetime.timezone.utc)
    for role, tp in old.items():
        entry = certstore.get(root, "My", tp)
        assert entry is not None and entry["meta"]["archived"] is True, role
    live = [e for e in certstore.entries(root, "My", include_archived=False)
            if certs.OID_CERT_REQUEST_AGENT in [x.dotted_string for x in _ekus(e["cert"])]]
    assert len(live) == 2

    # from outside: GetCACert carries the two new RA certificates, valid for the templates' period
    seen = probe(lab)
    assert seen["checks"]["bare_url"]["status"] == 403
    ra_seen = dict((c["ra_kind"], c) for c in seen["ra_certs"])
    assert set(ra_seen) == {"signing", "encryption"}
    for role, cert in ra_seen.items():
        assert cert["thumbprint"] not in old.values()
        assert cert["expired"] is False
        period = _iso(cert["not_after"]) - _iso(cert["not_before"])
        assert period == datetime.timedelta(days=certs.TEMPLATES[RA_TEMPLATES[role]]["days"]), role
        assert _iso(cert["not_after"]) > now + datetime.timedelta(days=700)
        assert certstore.get(root, "My", cert["thumbprint"])["meta"]["archived"] is False
    assert not [e for e in seen["evidence"] if e["id"] in ("RA_CERT_EXPIRED", "POLICY_CERT_EXPIRED")
                and e["confidence"] != "warning"]

    # a real SCEP client enrols through mscep.dll (scepserver behind the lab face issues it)
    out = run_scepclient(str(tmp_path / "after"), face["scep_url"], "after-renewal")
    assert out.returncode == 0, out.stderr.decode()
    issued = certs.load_cert(open(os.path.join(str(tmp_path / "after"), "cert.pem"), "rb").read())
    assert issued.issuer == certs.load_ca(root)[0].subject

    # second run: nothing to change, one agent call (the facts)
    again = lab.run("ndes.scep.remediate", extra_vars=role_vars())
    assert again.rc == 0, again.stdout + again.stderr
    assert again.recap("lab1")["changed"] == "0"
    assert again.calls("lab1") == 1
    assert {t: n for t, n in again.counts["tasks"]["lab1"].items() if n} == {GATHER: 1}


def test_renewal_is_off_by_default_and_reported(lab, renewal_lab):
    root, _ca = renewal_lab
    server.start(root)
    run = lab.run("ndes.scep.remediate", extra_vars={"ndes_verify": False})
    assert run.rc == 0, run.stdout + run.stderr
    assert fault_apply.ra_thumbprints(root)                       # the expired pair is still the one there
    assert all(certstore.get(root, "My", tp)["meta"].get("archived") is False
               for tp in fault_apply.ra_thumbprints(root).values())


def test_missing_enroll_permission_is_refused_before_any_change(lab, renewal_lab):
    root, ca = renewal_lab
    for rid in (certs.DOMAIN_ADMINS_RID, certs.ENTERPRISE_ADMINS_RID):
        certs.set_template_rights(root, "EnrollmentAgentOffline", "%s-%d" % (healthy.DOMAIN_SID, rid), ["read"])
    digest = layout.state_digest(root)
    run = lab.run(RENEW, extra_vars={"ca": ca})
    result = run.result("lab1", "renewal")
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("Nothing was changed")
    assert "lacks Enroll on template EnrollmentAgentOffline" in result["msg"]
    assert layout.state_digest(root) == digest


def test_a_failure_in_the_middle_leaves_the_old_certificates_and_a_rerun_converges(lab, renewal_lab):
    root, ca = renewal_lab
    old = dict(fault_apply.ra_thumbprints(root))
    # ensure 3 of the renewal call (the encryption enrolment) fails
    agent.handle(root, {"version": 1, "check_mode": False, "ops": [
        {"id": "inject", "kind": "lab_inject", "args": {"fail_ensure": 3}}]})
    run = lab.run(RENEW, extra_vars={"ca": ca})
    failed = run.result("lab1", "renewal")
    assert failed["failed"] is True
    assert "stay in place and usable" in failed["msg"]
    for tp in old.values():
        assert certstore.get(root, "My", tp)["meta"]["archived"] is False
    agent.handle(root, {"version": 1, "check_mode": False, "ops": [
        {"id": "clear", "kind": "lab_inject", "args": {"clear": True}}]})
    rerun = lab.run(RENEW, extra_vars={"ca": ca})
    fixed = rerun.result("lab1", "renewal")
    assert not fixed.get("failed"), fixed.get("msg")
    assert [r["role"] for r in fixed["renewed"]] == ["encryption"]
    assert sorted(fixed["archived"]) == sorted(old.values())
    final = lab.run(RENEW, extra_vars={"ca": ca})
    assert final.result("lab1", "renewal")["changed"] is False


def _report(lab):
    paths = sorted(glob.glob(os.path.join(lab.base, "ndes-reports", "*", "report.json")), key=os.path.getmtime)
    with open(paths[-1], encoding="utf-8") as handle:
        return json.load(handle)


def _ekus(cert):
    from cryptography import x509
    try:
        return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return []


def _iso(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
