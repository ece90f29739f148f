# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab agent: ordering, failure injection, the host lock, backups and restore, reboot semantics, file tails."""
from __future__ import annotations

import fcntl
import os
import time

import pytest

from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import ContractError, make_request
from ansible_collections.ndes.scep.plugins.module_utils._lab import (
    accounts, agent, backup, boot, certinfo, certstore, faults, layout, rights, runctl, store)
from ansible_collections.ndes.scep.plugins.module_utils._lab.errors import LabNotFound

HTTP = r"HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"
LIMITS = "system.webServer/security/requestFiltering/requestLimits"
SVC_SID = "S-1-5-21-3623811015-3361044348-30300820-1105"


def send(root, ops, check=False, run_id=None, lock=False, **kwargs):
    return agent.handle(root, make_request(ops, check, run_id=run_id, lock=lock), **kwargs)["results"]


def set_dword(op_id, name, value):
    return (op_id, "registry_value", {"path": HTTP, "name": name, "type": "REG_DWORD", "value": value})


def http_values(root):
    return send(root, [("r", "registry_key", {"path": HTTP})])[0]["data"]["values"]


# ------------------------------------------------------------------ ordering
def test_first_failed_ensure_stops_the_rest_and_reads_still_run(healthy_lab):
    results = send(healthy_lab, [
        set_dword("a", "MaxFieldLength", 1),
        ("bad", "app_pool_state", {"name": "NoSuchPool", "state": "started"}),
        set_dword("c", "MaxRequestBytes", 2),
        ("read", "registry_key", {"path": HTTP}),
    ])
    assert [r["status"] for r in results] == ["ok", "failed", "not_run", "ok"]
    assert results[1]["error"]["code"] == "not_found"
    assert results[3]["data"]["values"]["MaxFieldLength"]["value"] == 1
    assert results[3]["data"]["values"]["MaxRequestBytes"]["value"] == 65534


def test_envelope_errors_raise_and_a_missing_lab_is_named(healthy_lab, tmp_path):
    with pytest.raises(ContractError, match="unknown kind"):
        agent.handle(healthy_lab, {"version": 1, "check_mode": False, "ops": [{"id": "x", "kind": "nope"}]})
    with pytest.raises(ContractError, match="version"):
        agent.handle(healthy_lab, {"version": 2, "check_mode": False, "ops": []})
    with pytest.raises(LabNotFound, match="ndes.scep.lab"):
        agent.handle(str(tmp_path / "nothing"), make_request([("s", "system", {})], False))


# ------------------------------------------------------------------ failure injection
def test_fail_ensure_counts_ensures_of_later_requests(healthy_lab):
    assert send(healthy_lab, [("inj", "lab_inject", {"fail_ensure": 2})])[0]["changed"] is True
    results = send(healthy_lab, [set_dword("a", "MaxFieldLength", 1), ("r", "system", {}),
                                 set_dword("b", "MaxRequestBytes", 2), set_dword("c", "MaxFieldLength", 3)])
    assert [r["status"] for r in results] == ["ok", "ok", "failed", "not_run"]
    assert results[2]["error"]["code"] == "injected"
    # still armed for the next request; lab_inject itself is never counted nor failed
    assert send(healthy_lab, [("clear", "lab_inject", {"clear": True}), set_dword("a", "MaxFieldLength", 5),
                              set_dword("b", "MaxFieldLength", 6)])[2]["status"] == "failed"
    assert send(healthy_lab, [set_dword("a", "MaxFieldLength", 7), set_dword("b", "MaxFieldLength", 8)])[1]["status"] == "ok"
    assert not os.path.exists(layout.path(healthy_lab, layout.INJECT))


def test_drop_connection_after_k_minus_one_ensures(healthy_lab):
    send(healthy_lab, [("inj", "lab_inject", {"fail_ensure": 2, "drop_connection": True})])
    with pytest.raises(runctl.DroppedConnection):
        send(healthy_lab, [set_dword("a", "MaxFieldLength", 111), set_dword("b", "MaxRequestBytes", 222)])
    values = http_values(healthy_lab)
    assert values["MaxFieldLength"]["value"] == 111 and values["MaxRequestBytes"]["value"] == 65534
    send(healthy_lab, [("inj", "lab_inject", {"clear": True})])


def test_latency_sleeps_per_call(healthy_lab):
    send(healthy_lab, [("inj", "lab_inject", {"latency": 0.2})])
    started = time.monotonic()
    send(healthy_lab, [("s", "system", {})])
    assert time.monotonic() - started >= 0.2
    bad = send(healthy_lab, [("inj", "lab_inject", {"latency": "slow"})])[0]
    assert bad["error"]["code"] == "invalid_request"


# ------------------------------------------------------------------ the host lock
def test_lock_waits_then_fails_ensures_with_locked(healthy_lab):
    os.makedirs(layout.path(healthy_lab, layout.RUN), exist_ok=True)
    with open(layout.path(healthy_lab, layout.AGENT_LOCK), "a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        started = time.monotonic()
        results = send(healthy_lab, [("r", "system", {}), set_dword("a", "MaxFieldLength", 1),
                                     set_dword("b", "MaxFieldLength", 2)], lock=True, lock_timeout=0.3)
        assert time.monotonic() - started >= 0.3
        assert [r["status"] for r in results] == ["ok", "failed", "not_run"]
        assert results[1]["error"]["code"] == "locked"
        # without lock: true the request does not wait
        assert send(healthy_lab, [set_dword("a", "MaxFieldLength", 3)])[0]["status"] == "ok"
    assert send(healthy_lab, [set_dword("a", "MaxFieldLength", 4)], lock=True, lock_timeout=0.3)[0]["status"] == "ok"


# ------------------------------------------------------------------ backups and restore
def snapshot(root):
    """What the restore must bring back (reads, without timestamps that a write refreshes)."""
    results = send(root, [
        ("reg", "registry_key", {"path": HTTP}),
        ("limits", "iis_config", {"section": LIMITS, "location": "Default Web Site/certsrv/mscep"}),
        ("right", "user_right", {"right": "SeImpersonatePrivilege"}),
        ("pools", "app_pools", {}),
        ("svc", "services", {"names": ["WAPCSvc"]}),
        ("root", "cert_store", {"store": "Root"}),
        ("ca", "cert_store", {"store": "CA"}),
        ("my", "cert_store", {"store": "My"}),
        ("acl", "folder_acl", {"path": r"C:\Windows\Temp"}),
        ("capi2", "events", {"log": "Microsoft-Windows-CAPI2/Operational"}),
    ])
    out = dict((r["id"], r["data"]) for r in results)
    out["reg"].pop("last_write")
    return out


def test_backups_then_restore_round_trip(healthy_lab):
    root = healthy_lab
    apphost = store.read_bytes(layout.win_to_lab(root, layout.APPHOST_CONFIG))
    before = snapshot(root)
    ca_root = certstore.entries(root, "Root")[0]["thumbprint"]
    web = [e for e in certstore.entries(root, "My") if certinfo.template(e["cert"])[1] == "WebServer"][0]["thumbprint"]
    lab = faults.read_lab(root)
    results = send(root, [
        set_dword("http", "MaxFieldLength", 4096),
        ("new_value", "registry_value", {"path": HTTP, "name": "EnableNonSSL", "type": "REG_DWORD", "value": 1}),
        ("limits", "iis_property", {"section": LIMITS, "location": "Default Web Site", "commit_path":
                                    "MACHINE/WEBROOT/APPHOST", "attributes": {"maxUrl": 4096}}),
        ("webconfig", "iis_property", {"section": LIMITS, "location": "Default Web Site/certsrv/mscep", "commit_path":
                                       "MACHINE/WEBROOT/APPHOST/Default Web Site/certsrv/mscep",
                                       "attributes": {"maxQueryString": 100}}),
        ("right", "user_right_grant", {"right": "SeImpersonatePrivilege", "remove": ["S-1-5-32-568"]}),
        ("pool", "app_pool_state", {"name": "SCEP", "state": "stopped", "auto_start": False}),
        ("svc", "service_state", {"name": "WAPCSvc", "state": "stopped", "start_mode": "disabled"}),
        ("move", "cert_move", {"thumbprint": ca_root, "from_store": "Root", "to_store": "CA"}),
        ("key", "key_acl_grant", {"thumbprint": web, "store": "My", "sid": SVC_SID, "rights": "read"}),
        ("folder", "folder_acl_grant", {"path": r"C:\Windows\Temp", "sid": "S-1-5-32-545", "rights": "full_control"}),
        ("capi2", "event_log_state", {"log": "Microsoft-Windows-CAPI2/Operational", "enabled": True}),
        ("archive", "cert_archive", {"thumbprint": web, "store": "My"}),
        ("enroll", "cert_enroll", {"ca": lab["ca_config"], "template": "WebServer", "subject": "CN=x",
                                   "context": "machine", "replaces": web}),
    ], run_id="change-1")
    assert all(r["status"] == "ok" and r["changed"] for r in results), results
    assert all(os.path.isfile(r["backup"]) for r in results)
    manifest = backup.manifest(root, "change-1")
    assert [i["id"] for i in manifest["items"]] == ["%03d-%s" % (n + 1, r["id"]) for n, r in enumerate(results)]
    assert manifest["items"][0]["restore"] == {"kind": "registry_value", "args": {
        "path": HTTP, "name": "MaxFieldLength", "type": "REG_DWORD", "value": 65534}}
    assert snapshot(root) != before
    assert os.path.isfile(layout.win_to_lab(root, r"C:\Windows\System32\CertSrv\mscep\web.config"))

    listed = send(root, [("b", "backups", {"run_id": "change-1"})])[0]["data"]["runs"]
    assert listed[0]["run_id"] == "change-1" and len(listed[0]["items"]) == len(results)

    predicted = send(root, [("undo", "restore", {"run_id": "change-1"})], check=True)[0]
    assert predicted["changed"] is True
    undo = send(root, [("undo", "restore", {"run_id": "change-1"})], run_id="undo-1")[0]
    assert undo["status"] == "ok" and undo["changed"] is True
    assert undo["after"]["restored"] == [i["id"] for i in reversed(manifest["items"])]
    after = snapshot(root)
    # the enrolled certificate stays, archived (never deleted); everything else is back
    new_tp = results[-1]["after"]["thumbprint"]
    assert certstore.get(root, "My", new_tp)["meta"]["archived"] is True
    assert after == before
    assert store.read_bytes(layout.win_to_lab(root, layout.APPHOST_CONFIG)) == apphost
    assert not os.path.exists(layout.win_to_lab(root, r"C:\Windows\System32\CertSrv\mscep\web.config"))
    assert send(root, [("again", "restore", {"run_id": "change-1"})])[0]["changed"] is False
    assert not os.path.exists(os.path.join(layout.path(root, layout.BACKUPS), "undo-1"))


def test_restore_selected_items_and_unknown_runs(healthy_lab):
    send(healthy_lab, [set_dword("a", "MaxFieldLength", 1), set_dword("b", "MaxRequestBytes", 2)], run_id="r2")
    result = send(healthy_lab, [("u", "restore", {"run_id": "r2", "items": ["002-b"]})])[0]
    assert result["after"]["restored"] == ["002-b"]
    values = http_values(healthy_lab)
    assert (values["MaxFieldLength"]["value"], values["MaxRequestBytes"]["value"]) == (1, 65534)
    assert send(healthy_lab, [("u", "restore", {"run_id": "nope"})])[0]["error"]["code"] == "not_found"
    assert send(healthy_lab, [("u", "restore", {"run_id": "r2", "items": ["9"]})])[0]["error"]["code"] == "not_found"


def test_restore_twice_changes_nothing_the_second_time(healthy_lab):
    """Two items of one run on the same value: the older one holds the state before the run, the newer one
    (an intermediate state) is superseded; a second restore finds everything as backed up."""
    before = http_values(healthy_lab)["MaxFieldLength"]
    send(healthy_lab, [set_dword("a", "MaxFieldLength", 100), set_dword("b", "MaxFieldLength", 200),
                       set_dword("c", "MaxRequestBytes", 300)], run_id="twice")
    predicted = send(healthy_lab, [("u", "restore", {"run_id": "twice"})], check=True)[0]
    assert predicted["changed"] is True and predicted["after"]["unchanged"] == ["002-b"]
    first = send(healthy_lab, [("u", "restore", {"run_id": "twice"})])[0]
    assert first["changed"] is True
    assert first["after"] == {"restored": ["003-c", "002-b", "001-a"], "unchanged": ["002-b"]}
    assert http_values(healthy_lab)["MaxFieldLength"] == before
    digest = layout.state_digest(healthy_lab)
    second = send(healthy_lab, [("u", "restore", {"run_id": "twice"})])[0]
    assert second["changed"] is False
    assert second["after"]["unchanged"] == second["after"]["restored"] == ["003-c", "002-b", "001-a"]
    assert layout.state_digest(healthy_lab) == digest
    # restoring only the newer item of a target still puts back what that item holds
    only = send(healthy_lab, [("u", "restore", {"run_id": "twice", "items": ["002-b"]})])[0]
    assert only["changed"] is True and http_values(healthy_lab)["MaxFieldLength"]["value"] == 100


UNMAPPED = "S-1-5-21-1111-2222-3333-4444"


@pytest.mark.parametrize("check", [False, True])
def test_a_grant_to_a_sid_that_names_no_account_fails_and_changes_nothing(healthy_lab, check):
    digest = layout.state_digest(healthy_lab)
    results = send(healthy_lab, [
        ("grant", "user_right_grant", {"right": "SeServiceLogonRight", "add": [UNMAPPED]}),
        ("acl", "folder_acl_grant", {"path": layout.WINDOWS_TEMP, "sid": UNMAPPED, "rights": "full_control"}),
    ], check=check, run_id="unmapped")
    assert results[0]["status"] == "failed" and results[0]["error"]["code"] == "not_found"
    assert "names no account" in results[0]["error"]["message"] and UNMAPPED in results[0]["error"]["message"]
    assert results[1]["status"] == "not_run"
    alone = send(healthy_lab, [("acl", "folder_acl_grant", {"path": layout.WINDOWS_TEMP, "sid": UNMAPPED,
                                                            "rights": "full_control"})], check=check, run_id="unmapped")
    assert alone[0]["status"] == "failed" and "names no account" in alone[0]["error"]["message"]
    assert layout.state_digest(healthy_lab) == digest
    assert backup.manifest(healthy_lab, "unmapped") is None          # no backup either


def test_sids_that_name_an_account_are_granted(healthy_lab):
    """Well-known SIDs, BUILTIN aliases, IIS APPPOOL\\<pool>, NT SERVICE\\<service>, the domain's accounts."""
    sids = ["S-1-5-32-568", "S-1-5-20", "S-1-5-32-580", accounts.app_pool_sid("SCEP"), accounts.service_sid("W3SVC"),
            SVC_SID, "S-1-5-21-3623811015-3361044348-30300820-513"]
    results = send(healthy_lab, [("grant", "user_right_grant", {"right": "SeBatchLogonRight", "add": sids})])
    assert results[0]["status"] == "ok" and results[0]["changed"] is True, results
    assert set(sids) <= set(results[0]["after"]["holders"])
    assert accounts.account_of_sid(healthy_lab, accounts.app_pool_sid("NoSuchPool")) is None
    assert accounts.account_of_sid(healthy_lab, accounts.service_sid("NoSuchService")) is None
    assert accounts.account_of_sid(healthy_lab, "S-1-5-32-999") is None


def test_restore_puts_back_a_holder_whose_account_is_gone(healthy_lab):
    """A restore replay re-adds what the run removed, even a SID that names no account (any more)."""
    rights.set_holders(healthy_lab, "SeBatchLogonRight", [UNMAPPED, accounts.ADMINISTRATORS])
    out = send(healthy_lab, [("rm", "user_right_grant", {"right": "SeBatchLogonRight", "remove": [UNMAPPED]})],
               run_id="gone")[0]
    assert out["changed"] is True and UNMAPPED not in out["after"]["holders"]
    undo = send(healthy_lab, [("u", "restore", {"run_id": "gone"})])[0]
    assert undo["status"] == "ok" and undo["changed"] is True
    assert UNMAPPED in rights.holders(healthy_lab, "SeBatchLogonRight")


def test_a_run_id_is_generated_when_none_is_given(healthy_lab):
    result = send(healthy_lab, [set_dword("a", "MaxFieldLength", 1)])[0]
    run_id = os.path.basename(os.path.dirname(result["backup"]))
    assert backup.manifest(healthy_lab, run_id)["items"][0]["source"] == HTTP


def test_gpo_guards(make_lab):
    root = make_lab([{"id": "impersonate_right", "variant": "gpo"}, {"id": "root_intermediates", "variant": "gpo"}])
    grant = send(root, [("g", "user_right_grant", {"right": "SeImpersonatePrivilege", "add": ["S-1-5-32-568"]})])[0]
    assert grant["error"]["code"] == "precondition" and "GPO" in grant["error"]["message"]
    forced = send(root, [("g", "user_right_grant", {"right": "SeImpersonatePrivilege", "add": ["S-1-5-32-568"],
                                                    "override_gpo": True})])[0]
    assert forced["changed"] is True and "S-1-5-32-568" in forced["after"]["holders"]
    inter = [e for e in certstore.entries(root, "Root") if e["meta"]["gpo_placed"]][0]
    move = send(root, [("m", "cert_move", {"thumbprint": inter["thumbprint"], "from_store": "Root", "to_store": "CA"})])[0]
    assert move["error"]["code"] == "precondition"


@pytest.mark.parametrize("check", [False, True])
def test_a_cert_move_to_a_store_that_does_not_exist_fails_before_any_change(make_lab, check):
    root = make_lab(["root_intermediates"])
    inter = [e for e in certstore.entries(root, "Root") if not e["meta"].get("gpo_placed")][-1]
    before = layout.state_digest(root)
    move = send(root, [("m", "cert_move", {"thumbprint": inter["thumbprint"], "from_store": "Root",
                                           "to_store": "Intermediate"})], check=check)[0]
    assert move["status"] == "failed" and move["error"]["code"] == "not_found"
    assert "LocalMachine\\Intermediate does not exist" in move["error"]["message"] and "backup" not in move
    assert layout.state_digest(root) == before


@pytest.mark.parametrize("check", [False, True])
def test_unreadable_rsop_read_is_valid_and_the_grant_is_refused(make_lab, check):
    root = make_lab(["impersonate_right"])
    rights.set_rsop_readable(root, False)
    read, grant = send(root, [("r", "user_right", {"right": "SeImpersonatePrivilege"}),
                              ("g", "user_right_grant", {"right": "SeImpersonatePrivilege", "add": ["S-1-5-32-568"]})],
                       check=check)
    assert read["status"] == "ok" and read["data"]["gpo_defined"] is None
    assert grant["status"] == "failed" and grant["error"]["code"] == "precondition"
    assert "RSOP" in grant["error"]["message"] and "S-1-5-32-568" not in rights.holders(root, "SeImpersonatePrivilege")
    forced = send(root, [("g", "user_right_grant", {"right": "SeImpersonatePrivilege", "add": ["S-1-5-32-568"],
                                                    "override_gpo": True})], check=check)[0]
    assert forced["changed"] is True


# ------------------------------------------------------------------ reboot
def test_reboot_puts_set_values_in_effect(make_lab):
    root = make_lab([{"id": "httpsys_limits", "variant": "pending"}, "impersonate_right", "proxy_connector_down",
                     "app_pool_stopped"])
    old_boot = boot.load(root)["last_boot"]
    assert boot.in_effect(root)["httpsys"]["MaxFieldLength"] == 16384
    send(root, [("grant", "user_right_grant", {"right": "SeImpersonatePrivilege", "add": ["S-1-5-32-568"]}),
                ("auto", "service_state", {"name": "WAPCSvc", "start_mode": "auto"})])
    assert "S-1-5-32-568" not in boot.in_effect(root)["rights"]["SeImpersonatePrivilege"]
    result = send(root, [("boot", "reboot", {"reason": "apply HTTP.sys limits"})])[0]
    assert result["changed"] is True and result["before"]["last_boot"] == old_boot
    state = boot.in_effect(root)
    assert state["last_boot"] == result["after"]["last_boot"] > old_boot
    assert state["httpsys"] == {"MaxFieldLength": 65534, "MaxRequestBytes": 65534}
    assert "S-1-5-32-568" in state["rights"]["SeImpersonatePrivilege"]
    svc = send(root, [("s", "services", {"names": ["WAPCSvc"]})])[0]["data"]["services"]["WAPCSvc"]
    assert (svc["status"], svc["start_mode"]) == ("Running", "Auto")
    pools = dict((p["name"], p["state"]) for p in send(root, [("p", "app_pools", {})])[0]["data"]["pools"])
    assert pools == {"DefaultAppPool": "Started", "SCEP": "Stopped"}   # autoStart false stays stopped
    events = send(root, [("e", "events", {"log": "System", "ids": [6005], "max": 1})])[0]["data"]["events"]
    assert events[0]["time"] == state["last_boot"]


def test_pool_recycle_and_iis_reset_refresh_worker_rights(make_lab):
    root = make_lab(["impersonate_right"])
    send(root, [("grant", "user_right_grant", {"right": "SeImpersonatePrivilege", "add": ["S-1-5-32-568"]})])
    assert "S-1-5-32-568" not in boot.in_effect(root)["rights"]["SeImpersonatePrivilege"]
    recycle = send(root, [("r", "app_pool_state", {"name": "SCEP", "state": "recycled"})])[0]
    assert recycle["changed"] is True
    assert "S-1-5-32-568" in boot.in_effect(root)["rights"]["SeImpersonatePrivilege"]
    reset = send(root, [("r", "iis_reset", {})])[0]
    assert reset["after"]["reset_at"] and boot.load(root)["iis_reset_at"] == reset["after"]["reset_at"]


# ------------------------------------------------------------------ reads
def test_file_tail_cuts_at_a_line_start_and_decodes_utf16(healthy_lab):
    data = send(healthy_lab, [("t", "file_tail", {"directory": r"C:\NDESConnectorSetup", "pattern": "setupmsi.LOG",
                                                  "max_bytes": 301})])[0]["data"]["files"][0]
    assert data["path"] == r"C:\NDESConnectorSetup\SetupMsi.log"
    assert data["truncated"] is True and data["encoding"] == "utf-16-le"
    assert data["offset"] % 2 == 0 and data["content"].startswith("MSI (c)") or data["content"].startswith("===")
    raw = store.read_bytes(layout.win_to_lab(healthy_lab, r"C:\NDESConnectorSetup\SetupMsi.log"))
    assert raw[data["offset"]:].decode("utf-16-le") == data["content"]
    assert raw[data["offset"] - 2:data["offset"]] == "\n".encode("utf-16-le")
    missing = send(healthy_lab, [("t", "file_tail", {"directory": r"D:\nowhere", "pattern": "*"})])[0]
    assert missing["error"]["code"] == "not_found"


def test_full_read_is_fast(healthy_lab):
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import contract_cases
    request = make_request(contract_cases.ALL_READS, False)
    agent.handle(healthy_lab, request)
    started = time.monotonic()
    for _round in range(5):
        agent.handle(healthy_lab, request)
    assert (time.monotonic() - started) / 5 < 0.1
