# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow every ndes.scep fix module shares: facts -> plan -> one ensure call -> verified result.

* with ``facts`` (the ``ndes`` facts of ``ndes.scep.info``): decide locally and send
  only the ensures needed, in ONE agent call; nothing to do = no call at all;
* without: one read call (the gather ops of the facts sections the fix uses, plus
  any extra reads it names), then, only if something must change, one ensure call.

The decisions live in ``plugins/module_utils/_ndes/fixes/<name>.py`` (pure Python).
"""
from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common, _restarts
from ansible_collections.ndes.scep.plugins.plugin_utils._action_base import EnsureOutcome, NdesAction

# The options every fix module documents the same way (restarts: doc fragment ndes.scep.fix_restarts).
FACTS_OPTION = {"type": "dict"}
RESTARTS_OPTION = {"type": "list", "elements": "dict", "options": {
    "kind": {"type": "str", "required": True, "choices": list(_restarts.KINDS)},
    "name": {"type": "str"},
    "when": {"type": "str", "choices": list(_restarts.WHEN), "default": "if_changed"},
}}


class FixAction(NdesAction):
    """Subclasses set ``FIX`` (a module of ``_ndes/fixes``) and ``ARGUMENT_SPEC``."""

    FIX = None

    def act(self, args):
        fix = self.FIX
        facts = _common.unwrap_facts(args.get("facts"))
        try:
            facts, reads = self._state(fix, args, facts)
            plan = fix.plan(args, facts or {}, reads)
            # check mode: restarts are predicted (the fix's ``restarts``), never sent
            self._restarts = [] if self.check_mode else _restarts.merge(args.get("restarts"))
        except _common.FixError as exc:
            return {"failed": True, "msg": str(exc), "changed": False}
        self._facts = facts or {}
        if plan.error:
            result = _common.shape(plan, changed=False)
            result.update(failed=True, msg=plan.error, changed=False)
            return _with_warnings(result, plan.warnings)
        if not plan.has_ensures and not any(e["when"] == "always" for e in self._restarts):
            result = _common.shape(plan, changed=False)
            result.update(changed=False, diff={"before": {}, "after": {}}, changes=[], backup=None)
            if args.get("restarts") is not None:
                result["restarts_done"] = []
            return self._fail_after(_with_warnings(result, plan.warnings), plan)
        return self._fail_after(self.execute(args, plan), plan)

    def execute(self, args, plan):
        """Send the plan's ops (and the restarts asked for) in ONE call; shape the verified result
        (reboot overrides it on Windows)."""
        own_ops = plan.ops if plan.has_ensures else []
        own_ids = [op_id for op_id, kind, _a in own_ops if not contract.is_read(kind)]
        planned, restart_warnings = _restarts.plan_ops(getattr(self, "_restarts", []), getattr(self, "_facts", {}),
                                                       own_ids, taken=[op[0] for op in own_ops])
        _all, results = self.apply(own_ops + _restarts.ops_of(planned))
        outcome = EnsureOutcome({i: results[i] for i in own_ids}, own_ops, self.run_id)
        result = outcome.as_result()
        agent_warnings = result.pop("warnings", [])
        result.update(_common.shape(plan, changed=outcome.changed))
        if own_ops and not result.get("failed"):
            fields, error = self.FIX.finish(args, plan, results)
            result.update(fields)
            if error:
                result.update(failed=True, msg=error)
        elif result.get("failed") and hasattr(self.FIX, "explain_failure"):  # what the failed call left behind
            result["msg"] = "%s %s" % (result.get("msg") or "", self.FIX.explain_failure(args, plan, results))
        if args.get("restarts") is not None:
            self._restarts_result(result, planned, results, outcome.changed)
        return _with_warnings(result, plan.warnings + agent_warnings + restart_warnings)

    def _restarts_result(self, result, planned, results, own_changed):
        """``restarts_done``; what they cover leaves ``restarts``; a failed restart fails the task."""
        done = _restarts.done(planned, results, own_changed)
        result["restarts_done"] = done
        result["restarts"] = _restarts.uncovered(result.get("restarts"), done)
        result["restart_required"] = bool(result["restarts"])
        if any(results[op[0]].get("changed") for op in _restarts.ops_of(planned) if op[0] in results):
            result["changed"] = True
        broken = _restarts.failed(planned, results)
        if broken and not result.get("failed"):
            result.update(failed=True, msg="The changes are made, but the restart %s failed (%s): %s. Restart it by "
                          "hand (iisreset, the application pool, the connector services) or rerun." % (
                              broken["id"], broken["error"]["code"], broken["error"]["message"]))

    def _state(self, fix, args, facts):
        """(facts, extra read results): gather once when no facts came in (or the fix asks to refresh them)."""
        needs_facts = getattr(fix, "needs_facts", lambda a: bool(fix.SECTIONS))(args)
        refresh = facts is not None and getattr(fix, "refresh", lambda a, f: False)(args, facts)
        if needs_facts and (facts is None or refresh):
            settings = getattr(fix, "settings", lambda a: {})(args)
            extra = fix.reads(args, None)
            gather_ops = _gather_ops(settings, fix.SECTIONS)
            taken = {op_id for op_id, _k, _a in gather_ops}
            results = self.call_agent(gather_ops + [op for op in extra if op[0] not in taken])
            return _build_facts(results, settings), results
        extra = fix.reads(args, facts)
        return facts, (self.call_agent(extra) if extra else {})

    @staticmethod
    def _fail_after(result, plan):
        if plan.fail_after and not result.get("failed"):
            result.update(failed=True, msg=plan.fail_after)
        return result


def _with_warnings(result, warnings):
    if warnings:
        result["warnings"] = list(warnings)
    return result


def _gather_ops(settings, sections):
    from ansible_collections.ndes.scep.plugins.module_utils._ndes import gather
    try:
        return gather.info_ops(settings, sections=list(sections))
    except ValueError as exc:
        raise AnsibleActionFail("Internal error: %s" % exc)


def _build_facts(results, settings):
    from ansible_collections.ndes.scep.plugins.module_utils._ndes import facts as facts_builder
    return facts_builder.build_facts(results, settings)
