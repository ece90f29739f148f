# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab agent: ``handle(root, request) -> response`` for every read and ensure kind of the contract.

Reads always run. Ensures run in order; the first failed ensure makes every later one ``not_run``; an
ensure with ``if_changed`` runs only when one of the earlier ensures it names changed (else ``skipped``).
Check mode predicts and writes nothing (state_digest unchanged). A changing ensure writes its backup
item before it changes anything. ``lock: true`` holds run/agent.lock for the request.
"""
from __future__ import annotations

import os
import time

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract as c
from ansible_collections.ndes.scep.plugins.module_utils._agent import validate as v
from ansible_collections.ndes.scep.plugins.module_utils._lab import backup, layout, placeholders, runctl, store
from ansible_collections.ndes.scep.plugins.module_utils._lab.ensures import ENSURES, RESTORE_ONLY
from ansible_collections.ndes.scep.plugins.module_utils._lab.errors import AgentError, LabNotFound, PendingValue
from ansible_collections.ndes.scep.plugins.module_utils._lab.iis import IisError
from ansible_collections.ndes.scep.plugins.module_utils._lab.reads import READS

LOCK_TIMEOUT = 60.0
AGENT = "lab"


class Ctx(object):
    """What a handler sees: lab root and record, the clock, check mode, and the run's backup writer."""

    def __init__(self, root, lab, now, check, backups):
        self.root, self.lab, self.now, self.check = root, lab, now, check
        self.backups = backups      # None: do not back up (restore replays)
        self.op_id = None
        self.item_file = None       # restore replays: the backup item being put back
        self.results = {}           # results so far by op id (``@result:`` placeholders)

    def backup_bytes(self, kind, source, suffix, data, restore):
        if self.backups is None:
            return None
        return self.backups.add(self.op_id, kind, source, suffix, data, restore)

    def backup_json(self, kind, source, data, restore, suffix=".json"):
        return self.backup_bytes(kind, source, suffix, store.dumps(data).encode("ascii"), restore)


# Restore kinds that put back an absolute state (the whole file, the value, the pool's state, the ACL):
# when several items of one run restore the same target, the oldest one holds what was there before
# the run, and the newer ones only intermediate states. Keyed by the args that name the target.
ABSOLUTE_RESTORES = {
    "file_restore": ("path",),
    "registry_value": ("path", "name"),
    "app_pool_state": ("name",),
    "service_state": ("name",),
    "event_log_state": ("log",),
    "key_acl_set": ("store", "thumbprint"),
    "folder_acl_set": ("path",),
}


def restore_target(op):
    """The target an absolute-state restore op puts back (case-insensitive, as Windows names are), or None."""
    names = ABSOLUTE_RESTORES.get(op.get("kind"))
    if not names:
        return None
    op_args = op.get("args") or {}
    return (op["kind"],) + tuple(str(op_args.get(n) or "").replace("/", "\\").lower() for n in names)


def superseded(items):
    """Ids of items whose target an OLDER item of the same list restores too (its state wins at the end)."""
    seen, out = set(), set()
    for item in items:                 # oldest first
        target = restore_target(item["restore"])
        if target is None:
            continue
        if target in seen:
            out.add(item["id"])
        seen.add(target)
    return out


def restore(ctx, args):
    """Replay a run's manifest ``restore`` ops, newest first (backups of the replay itself are not taken).

    An item is skipped (reported in ``unchanged``) when the target it restores is already as it was
    backed up, or when an older item of the same replay restores the same target to its state before
    the run (the newer item would only write an intermediate state that the older one overwrites). So
    rolling back the same run twice changes nothing the second time.
    """
    doc = backup.manifest(ctx.root, args["run_id"])
    if doc is None:
        raise AgentError("not_found", "no backup run %r under %s" % (args["run_id"], layout.BACKUPS))
    items = doc["items"]
    if args.get("items"):
        known = set(i["id"] for i in items)
        missing = [i for i in args["items"] if i not in known]
        if missing:
            raise AgentError("not_found", "run %s has no items %s" % (args["run_id"], ", ".join(missing)))
        items = [i for i in items if i["id"] in set(args["items"])]
    replay = Ctx(ctx.root, ctx.lab, ctx.now, ctx.check, None)
    skip = superseded(items)
    done, unchanged, changed = [], [], False
    for item in reversed(items):
        op = item["restore"]
        handler = ENSURES.get(op["kind"]) or RESTORE_ONLY.get(op["kind"])
        if handler is None or op["kind"] in ("restore", "lab_inject"):
            raise AgentError("internal", "manifest item %s has an unknown restore kind %r" % (item["id"], op["kind"]))
        done.append(item["id"])
        if item["id"] in skip:
            unchanged.append(item["id"])
            continue
        replay.op_id = item["id"]
        replay.item_file = os.path.join(backup.run_dir(ctx.root, args["run_id"]), item["file"])
        if handler(replay, dict(op["args"]))["changed"]:
            changed = True
        else:
            unchanged.append(item["id"])
    return {"changed": changed, "before": {"restored": []}, "after": {"restored": done, "unchanged": unchanged}}


def _error(exc):
    if isinstance(exc, AgentError):
        return exc.code, exc.message
    if isinstance(exc, IisError):
        return exc.code, str(exc)
    if isinstance(exc, (KeyError, FileNotFoundError)):
        return "not_found", "not found: %s" % (exc.args[0] if exc.args else exc)
    if isinstance(exc, ValueError):
        return "invalid_request", str(exc)
    if isinstance(exc, PermissionError):
        return "access_denied", str(exc)
    if isinstance(exc, OSError):
        return "io_error", str(exc)
    return "internal", "%s: %s" % (type(exc).__name__, exc)


def _failed(op, code, message):
    return {"id": op["id"], "kind": op["kind"], "status": c.STATUS_FAILED, "error": {"code": code, "message": message}}


def _run(op, handler, ctx):
    args = op.get("args") or {}
    try:
        v.check_fields(args, c.KINDS[op["kind"]][1], "args")
    except v.ContractError as exc:
        return _failed(op, "invalid_request", str(exc))
    ctx.op_id = op["id"]
    try:
        if c.is_read(op["kind"]):
            out = _read(ctx, op["kind"], handler, args)
        else:
            args, _resolved = placeholders.resolve(ctx.root, op["kind"], args, ctx.results, ctx.check)
            out = handler(ctx, args)
    except runctl.DroppedConnection:
        raise
    except PendingValue:  # check mode: the value comes from an ensure that only predicts
        return {"id": op["id"], "kind": op["kind"], "status": c.STATUS_NOT_RUN}
    except Exception as exc:  # every failure becomes a contract error, never a traceback
        return _failed(op, *_error(exc))
    result = {"id": op["id"], "kind": op["kind"], "status": c.STATUS_OK}
    if c.is_read(op["kind"]):
        result["data"] = out
    else:
        result.update(out)
    return result


def _read(ctx, kind, handler, sent):
    args, resolved = placeholders.resolve(ctx.root, kind, sent, ctx.results, ctx.check)
    out = handler(ctx, args)
    if resolved:
        if kind == "resolve_principal":  # keyed by the names as sent
            out["principals"] = dict((name, out["principals"].get(new)) for name, new in zip(sent["names"], args["names"]))
        out["resolved"] = resolved
    return out


def _check_envelope(request):
    v.check_fields(request, c.REQUEST_SPEC, "request")
    if request["version"] != c.CONTRACT_VERSION:
        raise v.ContractError("request.version: agent speaks version %d, got %r" % (c.CONTRACT_VERSION, request["version"]))
    v.check_ops(request["ops"])   # fields, kinds, unique ids, if_changed naming earlier ensures


def handle(root, request, lock_timeout=LOCK_TIMEOUT):
    """Answer one request over the lab at ``root``; raise ContractError / LabNotFound / DroppedConnection."""
    started = time.monotonic()
    _check_envelope(request)
    lab = store.read_json(layout.path(root, layout.LAB_JSON), {})
    if not lab:
        raise LabNotFound("no lab NDES at %s: create one with ndes.scep.lab (state: present)" % root)
    inject = runctl.load_inject(root)
    if inject.get("latency"):
        time.sleep(float(inject["latency"]))
    now = store.utcnow()
    check = request["check_mode"]
    try:
        backups = backup.Backups(root, request.get("run_id"), now)
    except ValueError as exc:
        raise v.ContractError("request.run_id: %s" % exc)
    ctx = Ctx(root, lab, now, check, backups)
    results, failed, count, lock, locked_out = [], False, 0, None, False
    # scope "run" (run/inject.json, set by tests): count ensures across requests, not within each one
    seen = int(inject.get("seen") or 0) if inject.get("scope") == "run" else 0

    def add(result):
        results.append(result)
        ctx.results[result["id"]] = result

    try:
        for op in request["ops"]:
            kind = op["kind"]
            if c.is_read(kind):
                add(_run(op, READS[kind], ctx))
                continue
            if failed:
                add({"id": op["id"], "kind": kind, "status": c.STATUS_NOT_RUN})
                continue
            if not c.if_changed_met(op, ctx.results):   # none of the ensures it names changed
                add(c.skipped_result(op))
                continue
            if request.get("lock") and lock is None and not locked_out:
                lock = runctl.HostLock(root)
                if not lock.acquire(lock_timeout):
                    lock, locked_out = None, True
            if locked_out:
                add(_failed(op, "locked", "another run holds the lab's host lock (%s) for more than %gs; "
                            "retry when it ends" % (layout.AGENT_LOCK, lock_timeout)))
                failed = True
                continue
            if kind != "lab_inject":
                count += 1
                if inject.get("fail_ensure") == seen + count:
                    if inject.get("drop_connection"):
                        raise runctl.DroppedConnection("injected: connection dropped before ensure %d (%s)" % (count, op["id"]))
                    add(_failed(op, "injected", "injected failure of ensure %d (lab_inject fail_ensure)" % count))
                    failed = True
                    continue
            result = _run(op, restore if kind == "restore" else ENSURES[kind], ctx)
            failed = result["status"] == c.STATUS_FAILED
            add(result)
        if inject.get("drop_connection") and not inject.get("fail_ensure") and count:
            raise runctl.DroppedConnection("injected: connection dropped after %d ensures, before the answer" % count)
    finally:
        if lock is not None:
            lock.release()
        if count and inject.get("scope") == "run":
            runctl.note_seen(root, seen + count)
    response = {"version": c.CONTRACT_VERSION, "agent": AGENT,
                "elapsed_ms": int((time.monotonic() - started) * 1000), "results": results}
    return v.validate_response(response, request)
