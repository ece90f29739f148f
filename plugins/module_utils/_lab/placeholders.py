# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resolve the contract's placeholders on the lab: ``@registry:``, ``@pool_user:``, ``@site_log_folder:`` (reads)
and ``@result:`` (a field of an earlier op of the same request)."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract as c
from ansible_collections.ndes.scep.plugins.module_utils._lab import certstore, iis, pools, registry
from ansible_collections.ndes.scep.plugins.module_utils._lab.errors import AgentError, PendingValue


def _fail(name, parameter, why):
    raise AgentError("not_found", "placeholder @%s:%s: %s" % (name, parameter, why))


def _registry(root, parameter, arg):
    key, _sep, value_name = parameter.rpartition("\\")
    try:
        value = registry.get_value(registry.load(root), key, value_name) if key else None
    except ValueError:
        value = None
    if value is None or not isinstance(value["value"], str):
        _fail("registry", parameter, "the registry value is absent or not a string")
    return certstore.normalize_thumbprint(value["value"]) if arg == "thumbprint" else value["value"]


def _pool_user(root, parameter):
    name = pools.find(root, parameter)
    if name is None:
        _fail("pool_user", parameter, "no application pool of that name")
    cfg = pools.configured(root)[name]
    if cfg["identity_type"] != "SpecificUser" or not cfg["user_name"]:
        _fail("pool_user", parameter, "the pool runs as %s, not a SpecificUser account" % cfg["identity_type"])
    return cfg["user_name"]


def _site_log_folder(root, parameter):
    for site in iis.sites(root):
        if site["name"].lower() == parameter.lower():
            return site["log_directory_expanded"].rstrip("\\") + "\\W3SVC%d" % site["id"]
    return _fail("site_log_folder", parameter, "no IIS site of that name")


def _result(parameter, results, check):
    try:
        op_id, field, modifier = c.split_result_ref(parameter)
    except ValueError as exc:
        raise AgentError("invalid_request", "placeholder %s" % exc)
    prior = (results or {}).get(op_id)
    if prior is None:
        _fail("result", parameter, "no op %r before this one in the request" % op_id)
    if prior["status"] != c.STATUS_OK:
        _fail("result", parameter, "op %s is %s" % (op_id, prior["status"]))
    source = prior.get("data") if c.is_read(prior["kind"]) else prior.get("after")
    value = (source or {}).get(field)
    if value is None:
        if check and not c.is_read(prior["kind"]):
            raise PendingValue("placeholder @result:%s: op %s gives %s only in a real run" % (parameter, op_id, field))
        _fail("result", parameter, "op %s gave no %s" % (op_id, field))
    return str(value).lower() if modifier == "lower" else value


def _one(root, kind, arg, value, results=None, check=False):
    found = c.split_placeholder(kind, arg, value)
    if found is None:
        return value, False
    name, parameter = found
    if name == "result":
        return _result(parameter, results, check), True
    if name == "registry":
        return _registry(root, parameter, arg), True
    if name == "pool_user":
        return _pool_user(root, parameter), True
    return _site_log_folder(root, parameter), True


def resolve(root, kind, args, results=None, check=False):
    """(args with placeholders substituted, ``resolved`` dict or None when none was used).

    ``results``: the results so far by op id (for ``@result:``); a check-mode reference to a value
    only a real run produces raises PendingValue.
    """
    out, resolved = dict(args), {}
    for (pkind, arg), _names in c.PLACEHOLDER_ARGS.items():
        if pkind != kind or arg not in args:
            continue
        value = args[arg]
        if isinstance(value, list):
            pairs = [_one(root, kind, arg, v, results, check) for v in value]
            if any(used for _v, used in pairs):
                out[arg] = [v for v, _used in pairs]
                resolved[arg] = out[arg]
        else:
            new, used = _one(root, kind, arg, value, results, check)
            if used:
                out[arg] = resolved[arg] = new
    return out, (resolved or None)
