# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fix helpers: thumbprints, principals, fact lookups, result shaping."""
from __future__ import annotations

import pytest

from fixes_helpers import healthy, read_ok

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

THUMB = "3B4A1F0C9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A"


@pytest.mark.parametrize("text", [
    THUMB, THUMB.lower(), " ".join(THUMB[i:i + 2] for i in range(0, 40, 2)),
    "\u200e" + THUMB.lower() + "\u200f", ":".join(THUMB[i:i + 2] for i in range(0, 40, 2)), "\ufeff" + THUMB + "\n",
])
def test_thumbprint_forms_normalize(text):
    assert c.normalize_thumbprint(text) == THUMB


@pytest.mark.parametrize("text", ["", THUMB[:-1], THUMB + "00", "G" + THUMB[1:], "thumb: " + THUMB, None])
def test_bad_thumbprints_are_refused_with_a_hint(text):
    with pytest.raises(c.FixError, match="40 hexadecimal"):
        c.normalize_thumbprint(text)


def test_principals_split_into_sids_and_names():
    assert c.split_principals(["s-1-5-32-568", "S-1-5-32-568", "CONTOSO\\svc", " ", "CONTOSO\\svc", "IIS_IUSRS"]) == (
        ["S-1-5-32-568"], ["CONTOSO\\svc", "IIS_IUSRS"])


def test_resolved_names_and_failures():
    reads = {"resolve": read_ok("resolve_principal", {"principals": {"a": "s-1-5-21-1", "b": None}})}
    assert c.resolved(reads, ["a"]) == ["S-1-5-21-1"]
    with pytest.raises(c.FixError, match="b. Check the spelling"):
        c.resolved(reads, ["a", "b"])
    failed = {"resolve": {"kind": "resolve_principal", "status": "failed",
                          "error": {"code": "access_denied", "message": "no LSA"}}}
    with pytest.raises(c.FixError, match="access_denied: no LSA"):
        c.resolved(failed, ["a"])


def test_dig_and_unwrap():
    facts = healthy()
    assert c.dig(facts, "iis.request_limits.max_url") == 65534
    assert c.dig(facts, "iis.nothing.here", "x") == "x"
    assert c.dig(None, "a") is None
    assert c.unwrap_facts({"ndes": facts}) is facts
    assert c.unwrap_facts(facts) is facts


def test_shape_restarts_only_when_changed_and_pending_reboot_always():
    plan = c.Plan()
    plan.restarts.append(c.restart("app_pool", "SCEP", "recycle", "why"))
    plan.reboot_if_changed.append("set now")
    assert c.shape(plan, False) == {"restart_required": False, "restarts": [], "reboot_required": False,
                                    "reboot_reasons": []}
    plan.reboot_pending.append("set earlier")
    shaped = c.shape(plan, True)
    assert shaped["restart_required"] is True and shaped["reboot_reasons"] == ["set earlier", "set now"]


def test_refuse_drops_ops():
    plan = c.Plan()
    plan.ensure("x", "registry_value", {})
    assert plan.has_ensures
    plan.refuse("no")
    assert plan.ops == [] and plan.error == "no" and not plan.has_ensures
