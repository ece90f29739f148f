# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 9.7: a user right a GPO defines is reported, never fought.

A lab with ``impersonate_right`` variant ``gpo`` (the GPO "NDES Server Baseline" defines
SeImpersonatePrivilege without IIS_IUSRS) and a fixable fault beside it. The remediate playbook
fixes the other fault and leaves the right alone: the rights INF and the RSOP record are byte for
byte the same, no user_right change and no user_right backup exist, the host still passes (the right
is not something this run claims to have fixed), and the report keeps the finding with its
``gpo_source``. Asking explicitly for a local grant per host (``ndes_user_right_override_gpo``) is
the only way to touch it, and is not done here.
"""
from __future__ import annotations

import pytest
from safety_lab import failure_text, make, manifest, reports, safety_figures

from ansible_collections.ndes.scep.plugins.module_utils._lab import layout, rights, server, store

pytestmark = pytest.mark.integration
GPO = "NDES Server Baseline"


def test_a_gpo_defined_right_is_reported_not_fought(lab):
    roots = make(lab, {"gpo": [{"id": "impersonate_right", "variant": "gpo"}, "request_limits"]},
                 ndes_verify_certs=False, ndes_run_id="20260101T000000Z-gpo001")
    root = roots["gpo"]
    rights_before = store.read_bytes(layout.path(root, layout.RIGHTS_INF))
    rsop_before = store.read_bytes(layout.path(root, layout.RSOP))
    holders_before = rights.user_right(root, "SeImpersonatePrivilege")
    server.start(root)
    try:
        run = lab.run("ndes.scep.remediate")
    finally:
        server.stop(root)
    assert run.rc == 0, failure_text(run)
    host = reports(lab)[-1]["hosts"][0]
    finding = [f for f in host["findings"] if f["id"] == "IMPERSONATE_RIGHT"]
    items = (manifest(root, "20260101T000000Z-gpo001") or {}).get("items", [])
    checks = {
        "rights INF byte-identical": store.read_bytes(layout.path(root, layout.RIGHTS_INF)) == rights_before,
        "RSOP record byte-identical": store.read_bytes(layout.path(root, layout.RSOP)) == rsop_before,
        "holders unchanged": rights.user_right(root, "SeImpersonatePrivilege") == holders_before,
        "no user_right change in the report": not [c for c in host["changes"] if c["module"] == "ndes.scep.user_right"],
        "no user_right backup": not [i for i in items if i["kind"] == "user_right"],
        "the other fault was fixed": [c["module"] for c in host["changes"]] == ["ndes.scep.request_limits"],
        "the host passed": host["status"] in ("changed", "ok"),
        "the finding stays": len(finding) == 1,
        "with its gpo_source": bool(finding) and finding[0]["evidence"].get("gpo_source") == GPO
        and finding[0]["evidence"].get("gpo_defined") is True,
        "no agent call for user_right": not any(n for t, n in run.counts["tasks"]["gpo"].items() if "IMPERSONATE" in t),
    }
    failed = [name for name, ok in checks.items() if not ok]
    safety_figures.record(
        "7-gpo", "7", "A user right defined by a GPO (impersonate_right variant gpo) under the remediate playbook",
        "%d checks: the right, the INF and RSOP untouched, no change or backup for it, the finding kept with "
        "gpo_source %r, the other fault fixed" % (len(checks), GPO),
        len(failed), {}, lost_what="checks that failed")
    assert not failed, "%s\n%s" % (failed, host)
