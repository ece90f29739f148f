# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab and lab_agent modules: idempotence, safety, check mode, documented options = argument spec."""
from __future__ import annotations

import json
import os

import pytest
import yaml

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.ndes.scep.plugins.module_utils._lab import faults, layout
from ansible_collections.ndes.scep.plugins.modules import lab as lab_module
from ansible_collections.ndes.scep.plugins.modules import lab_agent as agent_module


def run(module, args, capsys, check=False):
    args = dict(args)
    if check:
        args["_ansible_check_mode"] = True
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    if hasattr(basic, "_ANSIBLE_PROFILE"):  # ansible-core >= 2.19
        basic._ANSIBLE_PROFILE = "legacy"
    with pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


def test_lab_present_is_idempotent_and_a_new_fault_set_recreates(tmp_path, capsys):
    root = str(tmp_path / "lab")
    first = run(lab_module, {"root": root, "faults": ["request_limits"]}, capsys)
    assert first["changed"] is True and first["expected_findings"] == ["REQUEST_LIMITS"]
    assert first["lab"]["faults"] == [{"id": "request_limits", "variant": "apphost"}]
    digest = layout.state_digest(root)
    again = run(lab_module, {"root": root, "faults": [{"id": "REQUEST_LIMITS", "variant": "apphost"}]}, capsys)
    assert again["changed"] is False and layout.state_digest(root) == digest
    predicted = run(lab_module, {"root": root, "faults": []}, capsys, check=True)
    assert predicted["changed"] is True and layout.state_digest(root) == digest
    other = run(lab_module, {"root": root, "faults": [{"id": "request_limits", "variant": "webconfig"}]}, capsys)
    assert other["changed"] is True and faults.read_lab(root)["faults"][0]["variant"] == "webconfig"
    renamed = run(lab_module, {"root": root, "faults": [{"id": "request_limits", "variant": "webconfig"}],
                               "hostname": "ndes02", "fqdn": "NDES02.fabrikam.com"}, capsys)
    assert renamed["changed"] is True and renamed["lab"]["fqdn"] == "ndes02.fabrikam.com"
    assert renamed["lab"]["service_account"] == "FABRIKAM\\svc-ndes"


def test_lab_absent_and_safety(tmp_path, capsys):
    root = str(tmp_path / "lab")
    run(lab_module, {"root": root}, capsys)
    assert run(lab_module, {"root": root, "state": "absent"}, capsys, check=True)["changed"] is True
    assert os.path.isdir(root)
    assert run(lab_module, {"root": root, "state": "absent"}, capsys)["changed"] is True
    assert not os.path.exists(root)
    assert run(lab_module, {"root": root, "state": "absent"}, capsys)["changed"] is False
    other = tmp_path / "not-a-lab"
    other.mkdir()
    (other / "precious.txt").write_text("keep me")
    refused = run(lab_module, {"root": str(other), "state": "absent"}, capsys)
    assert refused["failed"] is True and "not a lab NDES" in refused["msg"]
    assert (other / "precious.txt").exists()


def test_lab_bad_fault_lists_valid_ones(tmp_path, capsys):
    out = run(lab_module, {"root": str(tmp_path / "lab"), "faults": ["nope"]}, capsys)
    assert out["failed"] is True and "valid ids: impersonate_right" in out["msg"]
    out = run(lab_module, {"root": str(tmp_path / "lab"), "faults": [{"id": "ie_esc", "variant": "x"}]}, capsys)
    assert "valid variants: admin, both" in out["msg"]


def test_lab_agent_module(healthy_lab, capsys):
    request = {"version": 1, "check_mode": False, "ops": [
        {"id": "s", "kind": "system", "args": {}},
        {"id": "set", "kind": "registry_value", "args": {
            "path": r"HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters", "name": "MaxFieldLength",
            "type": "REG_DWORD", "value": 100}}]}
    digest = layout.state_digest(healthy_lab)
    out = run(agent_module, {"root": healthy_lab, "request": request}, capsys, check=True)
    assert out["changed"] is True and out["response"]["results"][1]["changed"] is True
    assert layout.state_digest(healthy_lab) == digest          # module check mode forces request check mode
    out = run(agent_module, {"root": healthy_lab, "request": request}, capsys)
    assert out["changed"] is True and out["response"]["agent"] == "lab"
    reads_only = {"version": 1, "check_mode": False, "ops": request["ops"][:1]}
    assert run(agent_module, {"root": healthy_lab, "request": reads_only}, capsys)["changed"] is False
    bad = run(agent_module, {"root": healthy_lab, "request": {"version": 1, "ops": []}}, capsys)
    assert bad["failed"] is True and "check_mode" in bad["msg"]
    missing = run(agent_module, {"root": healthy_lab + "-nope", "request": reads_only}, capsys)
    assert missing["failed"] is True and "no lab NDES" in missing["msg"]


def test_lab_agent_module_reports_a_dropped_connection(healthy_lab, capsys):
    inject = {"version": 1, "check_mode": False, "ops": [{"id": "i", "kind": "lab_inject",
                                                          "args": {"fail_ensure": 1, "drop_connection": True}}]}
    run(agent_module, {"root": healthy_lab, "request": inject}, capsys)
    request = {"version": 1, "check_mode": False, "ops": [{"id": "r", "kind": "iis_reset", "args": {}}]}
    out = run(agent_module, {"root": healthy_lab, "request": request}, capsys)
    assert out["failed"] is True and out["dropped"] is True


@pytest.mark.parametrize("module", [lab_module, agent_module])
def test_documented_options_match_the_argument_spec(module, monkeypatch):
    docs = yaml.safe_load(module.DOCUMENTATION)
    yaml.safe_load(module.EXAMPLES)
    yaml.safe_load(module.RETURN)
    seen = {}

    class Capture(Exception):
        pass

    def fake(argument_spec, **kwargs):
        seen.update(argument_spec)
        raise Capture()
    monkeypatch.setattr(module, "AnsibleModule", fake)
    with pytest.raises(Capture):
        module.main()
    assert set(seen) == set(docs["options"])
    for name, spec in seen.items():
        doc = docs["options"][name]
        assert doc.get("type", "str") == spec.get("type", "str"), name
        assert doc.get("required", False) == spec.get("required", False), name
        assert doc.get("default") == spec.get("default"), name
        assert doc.get("choices") == spec.get("choices"), name
        assert doc.get("elements") == spec.get("elements"), name
