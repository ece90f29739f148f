# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End to end on the host side: a lab with one fault, read by the lab agent, turned into facts and
findings by the project's own gather/facts/rules, must give exactly the findings docs/lab-faults.md lists."""
from __future__ import annotations

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._lab import agent, faults

gather = pytest.importorskip("ansible_collections.ndes.scep.plugins.module_utils._ndes.gather")
facts_mod = pytest.importorskip("ansible_collections.ndes.scep.plugins.module_utils._ndes.facts")
diagnose_mod = pytest.importorskip("ansible_collections.ndes.scep.plugins.module_utils._ndes.diagnose")

# Rows the rules/facts do not detect yet (reported to the lead); xfail until they do.
KNOWN_GAPS = {
}
ALL = [(None, None)] + [(f.id, v) for f in faults.CATALOGUE for v in f.variants]


def findings(root):
    settings = gather.normalize_settings({})
    ops = [{"id": i, "kind": k, "args": a} for i, k, a in gather.info_ops(settings)]
    response = agent.handle(root, {"version": 1, "check_mode": True, "ops": ops})
    facts = facts_mod.build_facts(dict((r["id"], r) for r in response["results"]), settings)
    return sorted(set(f["id"] for f in diagnose_mod.diagnose(facts)["findings"]))


@pytest.mark.parametrize("fid,variant", [
    pytest.param(f, v, marks=pytest.mark.xfail(reason=KNOWN_GAPS[(f, v)], strict=False))
    if (f, v) in KNOWN_GAPS else (f, v) for f, v in ALL], ids=["%s-%s" % p for p in ALL])
def test_diagnosis_of_each_fault_is_exactly_the_matrix(make_lab, fid, variant):
    chosen = [] if fid is None else [{"id": fid, "variant": variant}]
    assert findings(make_lab(chosen)) == faults.expected_findings(chosen)


def test_every_compatible_fault_at_once(make_lab):
    chosen = [{"id": f.id, "variant": "expiring" if f.id == "ra_cert_expired" else f.variants[0]}
              for f in faults.CATALOGUE if f.id != "url_not_403"]
    assert findings(make_lab(chosen)) == faults.expected_findings(chosen)
