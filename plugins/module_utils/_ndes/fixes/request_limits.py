# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""REQUEST_LIMITS / HTTPSYS_LIMITS: IIS maxUrl/maxQueryString where they come from; HTTP.sys DWORDs."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

SECTIONS = ("settings", "iis.request_limits", "httpsys", "host")

IIS_SECTION = "system.webServer/security/requestFiltering/requestLimits"
HTTP_PARAMETERS = r"HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters"
APPHOST = "MACHINE/WEBROOT/APPHOST"
HTTPSYS_DEFAULTS = {"MaxFieldLength": 16384, "MaxRequestBytes": 16384}

# (IIS attribute, facts key, option)
IIS_ATTRS = (("maxUrl", "max_url", "max_url"), ("maxQueryString", "max_query_string", "max_query_string"))
# (registry value, facts key, option)
HTTPSYS_VALUES = (("MaxFieldLength", "max_field_length", "max_field_length"),
                  ("MaxRequestBytes", "max_request_bytes", "max_request_bytes"))


def location_of(args):
    return "%s/%s" % (args["site"].strip("/"), args["app_path"].strip("/"))


def settings(args):
    """Gather settings that make the facts describe this task's location."""
    return {"site": args["site"], "scep_app_path": args["app_path"]}


def reads(args, facts):
    """An iis_config read when the facts handed in describe another location than the one asked for."""
    if "iis" not in args["scope"] or facts is None:
        return []
    if c.dig(facts, "iis.request_limits.location", "").lower() == location_of(args).lower():
        return []
    return [("iis", "iis_config", {"section": IIS_SECTION, "location": location_of(args),
                                   "attributes": [a for a, _k, _o in IIS_ATTRS]})]


def _iis_state(args, facts, reads):
    """{attr: (effective value or None, origin path or None, origin location or None, is_default)}."""
    if reads and "iis" in reads:
        data = c.read_data(reads, "iis", "the IIS request limits at %s" % location_of(args))
        state = {}
        for attr, _key, _opt in IIS_ATTRS:
            origin = (data.get("origin") or {}).get(attr) or {}
            state[attr] = (data.get("attributes", {}).get(attr), origin.get("path"), origin.get("location"),
                           bool(origin.get("is_default")))
        return state
    limits = c.dig(facts, "iis.request_limits", {})
    state = {}
    for attr, key, _opt in IIS_ATTRS:
        origin = limits.get(key + "_origin")
        location = limits.get(key + "_origin_location")
        if isinstance(origin, dict):
            origin, location, is_default = origin.get("path"), origin.get("location", location), origin.get("is_default")
        else:
            is_default = origin in (None, "default")
        state[attr] = (limits.get(key), None if is_default else origin, location, bool(is_default))
    return state


def commit_target(args, origin_path, origin_location, is_default):
    """Where to write so the effective value changes: (commit_path, commit_location or None)."""
    if is_default or not origin_path:
        # Not set anywhere: write it for the site in applicationHost.config, as IIS Manager's
        # "Edit Feature Settings" on Default Web Site does with /commit:apphost.
        return APPHOST, args["site"]
    if origin_path.rstrip("/").upper() == APPHOST:
        return APPHOST, origin_location or ""
    return origin_path, None


def _plan_iis(args, facts, reads, plan):
    state = _iis_state(args, facts, reads)
    groups = {}
    report = {}
    for attr, _key, opt in IIS_ATTRS:
        value, origin_path, origin_location, is_default = state[attr]
        required = args[opt]
        report[attr] = {"effective": value, "required": required,
                        "origin": "default" if is_default else origin_path,
                        "origin_location": origin_location}
        if isinstance(value, int) and value >= required:
            continue
        target = commit_target(args, origin_path, origin_location, is_default)
        groups.setdefault(target, {})[attr] = required
    for index, ((commit_path, commit_location), attributes) in enumerate(sorted(groups.items(), key=str)):
        op_args = {"section": IIS_SECTION, "location": location_of(args),
                   "commit_path": commit_path, "attributes": attributes}
        if commit_location is not None:
            op_args["commit_location"] = commit_location
        plan.ensure("iis_limits" if index == 0 else "iis_limits_%d" % index, "iis_property", op_args)
        for attr in attributes:
            report[attr]["written_to"] = commit_path + ("" if commit_location is None else
                                                        " <location path=%r>" % commit_location)
    plan.fields["iis"] = report
    if groups:
        plan.restarts.append(c.restart("app_pool", c.dig(facts, "settings.scep_pool", "SCEP"), "recycle",
                                       "request filtering limits are read when the application starts"))


def _plan_httpsys(args, facts, plan):
    httpsys = c.dig(facts, "httpsys", {})
    report = {}
    for name, key, opt in HTTPSYS_VALUES:
        entry = httpsys.get(key) or {}
        current, in_effect, required = entry.get("set"), entry.get("in_effect"), args[opt]
        report[name] = {"set": current, "in_effect": in_effect, "required": required}
        if isinstance(current, int) and current >= required:
            if in_effect is not None and in_effect != current:
                plan.reboot_pending.append("HTTP.sys %s is set to %d but %d is in effect until the next reboot "
                                           "(inferred from the key's last write and the last boot)" %
                                           (name, current, in_effect))
            continue
        plan.ensure("httpsys_" + key, "registry_value",
                    {"path": HTTP_PARAMETERS, "name": name, "type": "REG_DWORD", "value": required})
        plan.reboot_if_changed.append("HTTP.sys reads %s only at boot; restarting the HTTP service instead would "
                                      "also cut WinRM" % name)
    plan.fields["httpsys"] = report


# The ranges HTTP.sys documents for its two values (outside them it is undefined what HTTP.sys uses).
HTTPSYS_RANGES = (("max_field_length", 64, 65534), ("max_request_bytes", 256, 16777216))


def plan(args, facts, reads):
    result = c.Plan()
    for opt in ("max_url", "max_query_string", "max_field_length", "max_request_bytes"):
        if not 1 <= args[opt] <= 4294967295:
            raise c.FixError("%s must be between 1 and 4294967295 (a DWORD); 65534 is what Microsoft's article "
                             "asks for." % opt)
    for opt, low, high in HTTPSYS_RANGES:
        if not low <= args[opt] <= high:
            raise c.FixError("%s must be between %d and %d, the range HTTP.sys accepts (Microsoft, \"Http.sys "
                             "registry settings for Windows\"); 65534 is what Microsoft's NDES article asks for." % (
                                 opt, low, high))
    if "iis" in args["scope"]:
        _plan_iis(args, facts, reads, result)
    if "httpsys" in args["scope"]:
        _plan_httpsys(args, facts, result)
    if any(kind == "iis_property" for _id, kind, _a in result.ops):
        # Same call, after the ensures: where the effective values come from now (names the overriding level).
        result.read("iis_verify", "iis_config", {"section": IIS_SECTION, "location": location_of(args),
                                                 "attributes": [a for a, _k, _o in IIS_ATTRS]})
    return result


def finish(args, plan, results):
    """Verify the effective values the ensures report; name the level that still overrides them."""
    errors = []
    fields = {}
    pending = []
    verify = (results.get("iis_verify") or {}).get("data") or {}
    for op_id, kind, op_args in plan.ops:
        if kind == "iis_property":
            after = c.ensure_after(results, op_id).get("attributes") or {}
            for attr, required in op_args["attributes"].items():
                value = after.get(attr)
                plan.fields["iis"][attr]["effective_after"] = value
                if not isinstance(value, int) or value < required:
                    origin = (verify.get("origin") or {}).get(attr) or {}
                    where = origin.get("path") or "an unknown level"
                    if origin.get("location") is not None:
                        where += " <location path=%r>" % origin["location"]
                    errors.append("%s is still %s at %s after writing %d to %s: %s overrides it. Remove or raise "
                                  "%s there (a web.config under the site or the application, or an "
                                  "applicationHost.config <location>), then rerun." % (
                                      attr, value, op_args["location"], required, op_args["commit_path"], where, attr))
        elif kind == "registry_value":
            value = c.ensure_after(results, op_id).get("value")
            name = op_args["name"]
            plan.fields["httpsys"][name]["set_after"] = value
            if not isinstance(value, int) or value < op_args["value"]:
                errors.append("HTTP.sys %s reads %s after writing %d under %s; check the agent's access to the key "
                              "and rerun." % (name, value, op_args["value"], HTTP_PARAMETERS))
            in_effect = plan.fields["httpsys"][name].get("in_effect")
            if not (results.get(op_id) or {}).get("changed") and value == op_args["value"] and \
                    in_effect is not None and in_effect != value:
                # set meanwhile by another run (the facts predate it): still not in effect until a reboot
                pending.append("HTTP.sys %s is set to %d but %d is in effect until the next reboot (it was set "
                               "after these facts were read)" % (name, value, in_effect))
    if pending:
        changed = any((results.get(op_id) or {}).get("changed") for op_id, kind, _a in plan.ops
                      if kind in ("iis_property", "registry_value"))
        fields["reboot_required"] = True
        fields["reboot_reasons"] = c.shape(plan, changed)["reboot_reasons"] + pending
    fields.update({"iis": plan.fields.get("iis"), "httpsys": plan.fields.get("httpsys")})
    return {k: v for k, v in fields.items() if v is not None}, (" ".join(errors) or None)
