# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate agent requests and responses against the contract tables."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract as c


class ContractError(ValueError):
    """A request or response that does not fit the contract; the message names the field."""


_SCALARS = {
    "str": str,
    "int": int,
    "bool": bool,
    "dict": dict,
    "list": list,
}


def _type_ok(value, spec):
    if spec == "any":
        return True
    if spec.startswith("enum:"):
        return isinstance(value, str) and value in spec[5:].split("|")
    if spec.startswith("list[") and spec.endswith("]"):
        inner = spec[5:-1]
        return isinstance(value, list) and all(_type_ok(v, inner) for v in value)
    expected = _SCALARS[spec]
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def check_fields(obj, spec, where, allow_extra=False):
    """Check ``obj`` against ``spec``; raise ContractError naming ``where.field``."""
    if not isinstance(obj, dict):
        raise ContractError("%s: expected an object, got %s" % (where, type(obj).__name__))
    for name, tspec in spec.items():
        optional = tspec.endswith("?")
        tspec = tspec.rstrip("?")
        if name not in obj or obj[name] is None:
            if optional:
                continue
            raise ContractError("%s.%s: required field is missing" % (where, name))
        if not _type_ok(obj[name], tspec):
            raise ContractError("%s.%s: expected %s, got %r" % (where, name, tspec, _short(obj[name])))
    if not allow_extra:
        extra = sorted(set(obj) - set(spec))
        if extra:
            raise ContractError("%s.%s: unknown field" % (where, extra[0]))


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_cert(cert, where):
    """A certificate record (``contract.CERT_FIELDS``); ``key_acl`` null = not read, and only then a ``key_acl_error``."""
    check_fields(cert, c.CERT_FIELDS, where, allow_extra=True)
    for number, ace in enumerate(cert.get("key_acl") or []):
        check_fields(ace, c.RECORDS["key_ace"], "%s.key_acl[%d]" % (where, number), allow_extra=True)
    if cert.get("key_acl") is not None and cert.get("key_acl_error") is not None:
        raise ContractError("%s.key_acl_error: only when key_acl is null (the key ACL could not be read)" % where)


def check_user_right(data, where):
    """A ``user_right`` read: ``gpo_defined`` is true, false or null (unknown: RSOP could not be read), never absent."""
    if "gpo_defined" not in data:
        raise ContractError("%s.gpo_defined: required field is missing (null = the GPO definition could not be read)"
                            % where)


def validate_request(request):
    check_fields(request, c.REQUEST_SPEC, "request")
    if request["version"] != c.CONTRACT_VERSION:
        raise ContractError("request.version: agent speaks version %d, got %d"
                            % (c.CONTRACT_VERSION, request["version"]))
    check_ops(request["ops"])
    for index, op in enumerate(request["ops"]):
        check_fields(op.get("args") or {}, c.KINDS[op["kind"]][1], "request.ops[%d].args" % index)
    return request


def check_ops(ops):
    """Op fields, known kinds, unique ids, and ``if_changed`` naming earlier ensures of the same request."""
    seen, ensures = set(), set()
    for index, op in enumerate(ops):
        where = "request.ops[%d]" % index
        check_fields(op, c.OP_SPEC, where)
        if op["kind"] not in c.KINDS:
            raise ContractError("%s.kind: unknown kind %r" % (where, op["kind"]))
        if op["id"] in seen:
            raise ContractError("%s.id: duplicate id %r" % (where, op["id"]))
        seen.add(op["id"])
        if op.get("if_changed") is not None:
            if c.is_read(op["kind"]):
                raise ContractError("%s.if_changed: only an ensure can be conditional (reads always run)" % where)
            if not op["if_changed"]:
                raise ContractError("%s.if_changed: name at least one earlier ensure" % where)
            for name in op["if_changed"]:
                if name not in ensures:
                    raise ContractError("%s.if_changed: %r is not an earlier ensure of this request" % (where, name))
        if not c.is_read(op["kind"]):
            ensures.add(op["id"])


def validate_response(response, request=None):
    check_fields(response, c.RESPONSE_SPEC, "response")
    if response["version"] != c.CONTRACT_VERSION:
        raise ContractError("response.version: expected %d, got %r" % (c.CONTRACT_VERSION, response["version"]))
    failed_ensure = False
    for index, result in enumerate(response["results"]):
        where = "response.results[%d]" % index
        check_fields(result, c.RESULT_SPEC, where)
        kind = result["kind"]
        if kind not in c.KINDS:
            raise ContractError("%s.kind: unknown kind %r" % (where, kind))
        category, _args, shape = c.KINDS[kind]
        status = result["status"]
        if status == c.STATUS_FAILED:
            check_fields(result.get("error"), c.ERROR_SPEC, where + ".error")
            if result["error"]["code"] not in c.ERROR_CODES:
                raise ContractError("%s.error.code: unknown code %r" % (where, result["error"]["code"]))
        elif status == c.STATUS_OK:
            if category == c.READ:
                check_fields(result.get("data"), shape, where + ".data", allow_extra=True)
                if kind == "cert_store":
                    for number, cert in enumerate(result["data"]["certs"]):
                        check_cert(cert, "%s.data.certs[%d]" % (where, number))
                if kind == "user_right":
                    check_user_right(result["data"], where + ".data")
            else:
                if not isinstance(result.get("changed"), bool):
                    raise ContractError("%s.changed: required for an ensure" % where)
                # a skipped (if_changed) ensure did not look at the host: its sides may be {}
                for side in ("before", "after"):
                    check_fields(result.get(side), {} if result.get("skipped") else shape,
                                 "%s.%s" % (where, side), allow_extra=True)
        if result.get("skipped") and (category == c.READ or status != c.STATUS_OK or result.get("changed")):
            raise ContractError("%s.skipped: only an ensure that is ok and changed nothing is skipped" % where)
        if category == c.ENSURE:
            if failed_ensure and status != c.STATUS_NOT_RUN:
                raise ContractError("%s.status: an ensure after a failed ensure must be not_run" % where)
            if status == c.STATUS_FAILED:
                failed_ensure = True
        elif status == c.STATUS_NOT_RUN:
            raise ContractError("%s.status: reads always run" % where)
    if request is not None:
        want = [op["id"] for op in request["ops"]]
        got = [r["id"] for r in response["results"]]
        if want != got:
            raise ContractError("response.results: ids %r do not match the request's %r" % (got, want))
        _check_if_changed(request["ops"], response["results"])
    return response


def _check_if_changed(ops, results):
    """An ok if_changed ensure is skipped exactly when none of the ensures it names changed."""
    by_id = {}
    for index, (op, result) in enumerate(zip(ops, results)):
        by_id[op["id"]] = result
        skipped = bool(result.get("skipped"))
        if op.get("if_changed") is None:
            if skipped:
                raise ContractError("response.results[%d].skipped: the op has no if_changed" % index)
        elif result["status"] == c.STATUS_OK and skipped == c.if_changed_met(op, by_id):
            raise ContractError("response.results[%d].skipped: %s, but %s of %s changed" % (
                index, skipped, "one" if skipped else "none", ", ".join(op["if_changed"])))


def make_request(ops, check_mode, run_id=None, lock=False):
    """Build and validate a request from ``[(id, kind, args)]`` (an ensure may add a 4th item: its ``if_changed`` ids)."""
    request = {
        "version": c.CONTRACT_VERSION,
        "check_mode": bool(check_mode),
        "ops": [_op(*op) for op in ops],
    }
    if run_id:
        request["run_id"] = run_id
    if lock:
        request["lock"] = True
    return validate_request(request)


def _op(op_id, kind, args, if_changed=None):
    op = {"id": op_id, "kind": kind, "args": dict(args or {})}
    if if_changed is not None:
        op["if_changed"] = list(if_changed)
    return op
