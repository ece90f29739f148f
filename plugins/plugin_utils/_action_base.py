# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The private base class every ndes.scep action plugin subclasses.

It validates arguments against the module's spec, picks the host agent
(Windows or lab), sends one contract request per call, counts remote calls,
and shapes the result (changed, diff, backups, restart/reboot needs).
"""
from __future__ import annotations

import datetime
import json
import os
import secrets

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
from ansible_collections.ndes.scep.plugins.module_utils._agent.validate import (
    ContractError,
    make_request,
    validate_response,
)

LAB_ROOT_VAR = "ndes_lab_root"
RUN_ID_VAR = "ndes_run_id"
REMOTE_CALLS_KEY = "ndes_remote_calls"
WINDOWS_AGENT_MODULE = "ansible.windows.win_powershell"
LAB_AGENT_MODULE = "ndes.scep.lab_agent"
WINDOWS_AGENT_DIR = os.path.join(os.path.dirname(__file__), "windows_agent")


class AgentError(AnsibleActionFail):
    """The agent call itself failed (transport, module failure, contract breach)."""


def shared_run_id(task_vars):
    """The run id the roles chose once on the controller (localhost's ``ndes_run_id``), if any.

    Reading it here spares every host a set_fact task (one forked worker per host and task).
    """
    try:
        return (task_vars.get("hostvars") or {})["localhost"][RUN_ID_VAR]
    except (KeyError, TypeError):
        return None


def new_run_id(now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return "%s-%s" % (now.strftime("%Y%m%dT%H%M%SZ"), secrets.token_hex(3))


def target_is_windows(connection):
    shell = getattr(connection, "_shell", None)
    return bool(getattr(shell, "_IS_WINDOWS", False))


class AgentSelection:
    """Which agent serves this host, decided once per task."""

    def __init__(self, kind, lab_root=None):
        self.kind = kind          # "windows" | "lab"
        self.lab_root = lab_root

    @classmethod
    def for_task(cls, connection, task_vars):
        if target_is_windows(connection):
            return cls("windows")
        lab_root = (task_vars or {}).get(LAB_ROOT_VAR)
        if not lab_root:
            raise AnsibleActionFail(
                "This host is not a Windows host (its shell is not PowerShell or cmd) and has no "
                "'%s' host variable. Point the inventory at a Windows NDES server "
                "(ansible_connection=winrm, psrp or ssh with ansible_shell_type=powershell), or set "
                "%s to the path of a lab NDES on this host (see ndes.scep.lab)." % (LAB_ROOT_VAR, LAB_ROOT_VAR))
        return cls("lab", to_text(lab_root))


class NdesAction(ActionBase):
    """Subclasses set ARGUMENT_SPEC (and the spec helpers) and implement ``act``."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset()
    ARGUMENT_SPEC = {}
    MUTUALLY_EXCLUSIVE = ()
    REQUIRED_IF = ()
    REQUIRED_ONE_OF = ()
    NEEDS_AGENT = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        self._remote_calls = 0
        self._task_vars = task_vars
        try:
            result.update(self._run_validated())
        except AnsibleActionFail as exc:
            result.update(failed=True, msg=to_text(exc.message))
        result[REMOTE_CALLS_KEY] = self._remote_calls
        result.setdefault("changed", False)
        if not self.diff_mode:
            result.pop("diff", None)
        return result

    def _run_validated(self):
        self.check_mode = bool(self._task.check_mode)
        self.diff_mode = bool(self._task.diff)
        _validation, args = self.validate_argument_spec(
            argument_spec=self.ARGUMENT_SPEC,
            mutually_exclusive=list(self.MUTUALLY_EXCLUSIVE),
            required_if=list(self.REQUIRED_IF),
            required_one_of=list(self.REQUIRED_ONE_OF),
        )
        self.agent = AgentSelection.for_task(self._connection, self._task_vars) if self.NEEDS_AGENT else None
        self.run_id = to_text(self._task_vars.get(RUN_ID_VAR) or shared_run_id(self._task_vars) or new_run_id())
        return self.act(args) or {}

    def act(self, args):  # pragma: no cover - abstract
        raise NotImplementedError

    # ----------------------------------------------------------- agent calls
    def call_agent(self, ops, lock=False):
        """Send one request (a list of ``(id, kind, args)``, an ensure optionally ``(id, kind, args, if_changed)``);
        return results by id."""
        try:
            request = make_request(ops, self.check_mode, run_id=self.run_id, lock=lock)
        except ContractError as exc:
            raise AgentError("Internal error: the request for the host agent is malformed: %s" % exc)
        response = self._execute_agent(request)
        try:
            validate_response(response, request)
        except ContractError as exc:
            raise AgentError("The %s agent answered outside the contract: %s" % (self.agent.kind, exc))
        return {item["id"]: item for item in response["results"]}

    def apply(self, ops, lock=True):
        """Send ensures (and any reads they need) in one call; return an EnsureOutcome."""
        results = self.call_agent(ops, lock=lock)
        ensure_ids = [op[0] for op in ops if not contract.is_read(op[1])]
        return EnsureOutcome({i: results[i] for i in ensure_ids}, ops, self.run_id), results

    def _execute_agent(self, request):
        self._remote_calls += 1
        if self.agent.kind == "windows":
            module_result = self._execute_module(
                module_name=WINDOWS_AGENT_MODULE,
                module_args={"script": windows_script(), "parameters": {"Request": json.dumps(request)}},
                task_vars=self._task_vars,
            )
            payload = _windows_payload(module_result)
        else:
            module_result = self._execute_module(
                module_name=LAB_AGENT_MODULE,
                module_args={"root": self.agent.lab_root, "request": request},
                task_vars=self._task_vars,
            )
            payload = module_result.get("response")
        if module_result.get("failed") and not payload:
            raise AgentError("The %s agent failed on the host: %s" % (
                self.agent.kind, module_result.get("msg") or module_result.get("exception") or "no message"))
        if not isinstance(payload, dict):
            raise AgentError("The %s agent returned no response document" % self.agent.kind)
        if self.agent.kind == "windows":
            from ansible_collections.ndes.scep.plugins.module_utils._agent.normalize import normalize_response
            payload = normalize_response(payload)
        return payload


def windows_script():
    """The Windows agent: its parts (one job each) joined in file-name order into one script."""
    parts = sorted(name for name in os.listdir(WINDOWS_AGENT_DIR) if name.endswith(".ps1"))
    texts = []
    for name in parts:
        with open(os.path.join(WINDOWS_AGENT_DIR, name), encoding="utf-8") as handle:
            texts.append(handle.read())
    return "\n".join(texts)


def _windows_payload(module_result):
    """win_powershell returns the script's output objects; the agent writes one JSON string."""
    output = module_result.get("output") or []
    for item in reversed(output):
        if isinstance(item, str) and item.lstrip().startswith("{"):
            try:
                return json.loads(item)
            except ValueError:
                continue
    result = module_result.get("result")
    if isinstance(result, dict) and "version" in result:
        return result
    return None


class EnsureOutcome:
    """What a batch of ensures did, shaped for a module result."""

    def __init__(self, results, ops, run_id):
        self.results = results
        self.ops = ops
        self.run_id = run_id

    @property
    def changed(self):
        return any(r.get("changed") for r in self.results.values())

    @property
    def failed(self):
        return next((r for r in self.results.values() if r["status"] == contract.STATUS_FAILED), None)

    @property
    def not_run(self):
        return [r["id"] for r in self.results.values() if r["status"] == contract.STATUS_NOT_RUN]

    def backups(self):
        return [r["backup"] for r in self.results.values() if r.get("backup")]

    def diff(self):
        before, after = {}, {}
        for op_id, result in self.results.items():
            if result.get("changed"):
                before[op_id] = result.get("before")
                after[op_id] = result.get("after")
        return {"before": before, "after": after}

    def changes(self):
        return [
            {"id": op_id, "kind": r["kind"], "before": r.get("before"), "after": r.get("after"),
             "backup": r.get("backup")}
            for op_id, r in self.results.items() if r.get("changed")
        ]

    def as_result(self):
        result = {
            "changed": self.changed,
            "diff": self.diff(),
            "changes": self.changes(),
            "backup": {"run_id": self.run_id, "items": self.backups()} if self.backups() else None,
        }
        warnings = [w for r in self.results.values() for w in (r.get("warnings") or [])]
        if warnings:
            result["warnings"] = warnings
        failed = self.failed
        if failed:
            result["failed"] = True
            result["msg"] = "%s failed (%s): %s. Nothing after it was attempted (%s). Changes made before it are " \
                            "backed up under run %s; rerun to converge or restore with playbooks/rollback.yml." % (
                                failed["id"], failed["error"]["code"], failed["error"]["message"],
                                ", ".join(self.not_run) or "none", self.run_id)
        return result


def ensure_failed(results):
    """The first failed ensure result and the ones not run after it."""
    failed = [r for r in results.values() if r["status"] == contract.STATUS_FAILED]
    not_run = [r["id"] for r in results.values() if r["status"] == contract.STATUS_NOT_RUN]
    return (failed[0] if failed else None), not_run
