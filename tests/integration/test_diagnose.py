# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ndes.scep.diagnose against lab hosts: exactly the expected findings, one remote call per host."""
from __future__ import annotations

import pytest

from labrun import save

from ansible_collections.ndes.scep.plugins.module_utils._lab import faults as lab_faults

DIAGNOSE = """
- hosts: all
  gather_facts: false
  tasks:
    - name: Lab with its faults and its HTTP face
      ndes.scep.lab:
        faults: "{{ lab_faults }}"
        server: started
      register: lab
    - name: Diagnose
      ndes.scep.diagnose:
      register: diag
    - name: Stop the face
      ndes.scep.lab:
        faults: "{{ lab_faults }}"
        server: stopped
""" + save("lab") + save("diag")


def _cases():
    cases = [("healthy", [])]
    for fault in lab_faults.CATALOGUE:
        for variant in fault.variants:
            cases.append(("%s-%s" % (fault.id, variant), [{"id": fault.id, "variant": variant}]))
    return cases


def section_a(without):
    """Every section-A fault (default variant) but one of a pair that cannot show together."""
    return [f.id for f in lab_faults.CATALOGUE if f.section == "A" and f.id != without]


def test_each_fault_alone_and_healthy(lab):
    cases = _cases()
    for name, faults in cases:
        lab.add_host(name, lab_faults=faults)
    run = lab.run(DIAGNOSE)
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    problems = []
    for name, faults in cases:
        expected = sorted(run.result(name, "lab")["expected_findings"])
        diag = run.result(name, "diag")
        got = sorted(diag["summary"]["ids"])
        if got != expected:
            problems.append("%s: expected %s, got %s" % (name, expected, got))
        # lab create + face start, diagnose, face stop: the diagnose task itself is one call
        assert run.counts["tasks"][name]["Diagnose"] == 1, name
        assert diag["probe"] is not None, name
    assert not problems, "\n".join(problems)
    assert run.result("healthy", "diag")["findings"] == []


@pytest.mark.smoke
def test_all_section_a_faults_together(lab):
    # url_not_403 never creates the CertificateRegistrationSvc app that crs_windows_auth breaks: two labs.
    lab.add_host("all-but-url", lab_faults=section_a(without="url_not_403"))
    lab.add_host("all-but-crs", lab_faults=section_a(without="crs_windows_auth"))
    run = lab.run(DIAGNOSE)
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    for host in ("all-but-url", "all-but-crs"):
        expected = sorted(run.result(host, "lab")["expected_findings"])
        assert len(expected) >= 11
        assert sorted(run.result(host, "diag")["summary"]["ids"]) == expected, host
        assert run.counts["tasks"][host]["Diagnose"] == 1
