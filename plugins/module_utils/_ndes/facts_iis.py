# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts about IIS (sites, the SCEP app, request limits, CRP authentication, pools) and HTTP.sys limits."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes import values as v
from ansible_collections.ndes.scep.plugins.module_utils._ndes.facts_reads import NOT_FOUND, OK

REQUIRED_LIMIT = 65534
HTTPSYS_DEFAULT = 16384       # MaxFieldLength / MaxRequestBytes when the value is absent (KB 820129)
HTTPSYS_VALUES = (("max_field_length", "MaxFieldLength"), ("max_request_bytes", "MaxRequestBytes"))


def _site_entry(site):
    folder = site.get("log_directory_expanded") or site.get("log_directory")
    return {
        "id": site.get("id"),
        "name": site.get("name"),
        "state": site.get("state"),
        "log_directory": site.get("log_directory"),
        "log_folder": ("%s\\W3SVC%s" % (folder.rstrip("\\/"), site.get("id"))) if folder else None,
        "log_format": site.get("log_format"),
        "bindings": [{"protocol": b.get("protocol"), "binding": b.get("binding_information")}
                     for b in site.get("bindings") or []],
        "applications": [{"path": a.get("path"), "pool": a.get("pool"), "physical_path": a.get("physical_path")}
                         for a in site.get("applications") or []],
    }


def find_app(sites, site_name, app_path):
    """``(site, app)`` entries for an application path (case-insensitive), or (site|None, None)."""
    site = next((s for s in sites if (s["name"] or "").lower() == site_name.lower()), None)
    if site is None:
        return None, None
    app = next((a for a in site["applications"] if (a["path"] or "").rstrip("/").lower() == app_path.lower()), None)
    return site, app


def sites(reads):
    """``(sites list | None)``."""
    state, data = reads.get("iis_sites", "iis.sites")
    if state != OK:
        return None
    return [_site_entry(s) for s in data.get("sites") or []]


def scep_app(site_list, settings):
    if site_list is None:
        return {"found": None, "site": settings["site"], "path": settings["scep_app_path"], "pool": None}
    site, app = find_app(site_list, settings["site"], settings["scep_app_path"])
    return {"found": app is not None, "site": site["name"] if site else settings["site"],
            "path": app["path"] if app else settings["scep_app_path"], "pool": app["pool"] if app else None}


def _origin(origin):
    origin = origin or {}
    if not origin:
        return None, None
    if origin.get("is_default"):
        return "default", None
    return origin.get("path"), origin.get("location")


def request_limits(reads, settings):
    loc = settings["site"] + settings["scep_app_path"]
    out = {"location": loc, "max_url": None, "max_url_origin": None, "max_url_origin_location": None,
           "max_query_string": None, "max_query_string_origin": None, "max_query_string_origin_location": None,
           "required": REQUIRED_LIMIT, "ok": None}
    state, data = reads.get("request_limits", "iis.request_limits")
    if state != OK:
        return out
    attributes, origins = data.get("attributes") or {}, data.get("origin") or {}
    for key, attr in (("max_url", "maxUrl"), ("max_query_string", "maxQueryString")):
        out[key] = v.as_int(attributes.get(attr))
        out[key + "_origin"], out[key + "_origin_location"] = _origin(origins.get(attr))
        if out[key] is None:
            reads.note("iis.request_limits." + key, "read request_limits did not return %s" % attr)
    if out["max_url"] is not None and out["max_query_string"] is not None:
        out["ok"] = out["max_url"] >= REQUIRED_LIMIT and out["max_query_string"] >= REQUIRED_LIMIT
    return out


def certreg_auth(reads, settings, site_list):
    loc = settings["site"] + settings["certreg_app_path"]
    present = None
    if site_list is not None:
        present = find_app(site_list, settings["site"], settings["certreg_app_path"])[1] is not None
    out = {"location": loc, "present": present, "anonymous_enabled": None, "windows_enabled": None, "ok": None}
    if present is False:
        return out
    for key, op_id in (("anonymous_enabled", "certreg_anonymous"), ("windows_enabled", "certreg_windows")):
        state, data = reads.get(op_id, "iis.certreg_auth", not_found_ok=True)
        if state == NOT_FOUND:
            reads.note("iis.certreg_auth", "read %s: location %s not found" % (op_id, loc))
        if state == OK:
            out[key] = v.as_bool((data.get("attributes") or {}).get("enabled"))
    if out["anonymous_enabled"] is not None and out["windows_enabled"] is not None:
        out["ok"] = out["anonymous_enabled"] and not out["windows_enabled"]
    return out


def app_pools(reads):
    state, data = reads.get("app_pools", "app_pools")
    if state != OK:
        return None
    return [{"name": p.get("name"), "state": p.get("state"), "auto_start": p.get("auto_start"),
             "start_mode": p.get("start_mode"), "identity_type": p.get("identity_type"),
             "user_name": p.get("user_name") or None, "rapid_fail_protection": p.get("rapid_fail_protection")}
            for p in data.get("pools") or []]


def scep_pool(pools, settings, reads):
    name = settings["scep_pool"]
    empty = {"exists": None, "name": name, "state": None, "auto_start": None, "start_mode": None,
             "identity_type": None, "user_name": None, "user": None, "started": None,
             "rapid_fail_protection": None}
    if pools is None:
        reads.note("scep_pool", "the application pools could not be read")
        return empty
    pool = next((p for p in pools if (p["name"] or "").lower() == name.lower()), None)
    if pool is None:
        empty.update(exists=False, started=False)
        return empty
    out = dict(pool)
    out.update(exists=True, user=v.account_user(pool["user_name"]), started=pool["state"] == "Started")
    return out


def httpsys(reads, last_boot):
    """HTTP.sys limits: values set now and values in effect (inferred: key last-write vs last boot).

    HTTP.sys reads MaxFieldLength / MaxRequestBytes when it starts (at boot).
    Windows cannot report the values in use, so they are inferred:
    * key last written before the last boot: what is set now was set at boot,
      so in effect = the set value, or the default 16384 when absent;
    * key written after the last boot: the current values are not in effect
      yet; what was there at boot is unknown, assume the default 16384 (the
      value was absent at boot, the usual case before a fix). This can only
      over-report a pending reboot, never hide a limit that is too small;
    * last write or last boot unknown: in effect unknown (null, listed in unknown).
    """
    out = {"max_field_length": None, "max_request_bytes": None, "required": REQUIRED_LIMIT,
           "default": HTTPSYS_DEFAULT, "key_last_write": None, "last_boot": v.iso(last_boot),
           "written_since_boot": None, "in_effect_inferred": True, "set_ok": None, "ok": None,
           "pending_reboot": None}
    state, data = reads.get("httpsys", "httpsys")
    if state != OK:
        return out
    exists = bool(data.get("exists"))
    last_write = v.parse_time(data.get("last_write")) if exists else None
    out["key_last_write"] = v.iso(last_write)
    if not exists:
        written = False
    elif last_write is None or last_boot is None:
        written = None
        reads.note("httpsys.in_effect", "cannot infer the values in effect: key last write %s, last boot %s" % (
            data.get("last_write"), out["last_boot"]))
    else:
        written = last_write > last_boot
    out["written_since_boot"] = written
    pending = []
    for key, name in HTTPSYS_VALUES:
        vtype, value = v.reg_value(data.get("values") if exists else {}, name)
        current = v.as_int(value) if vtype in (None, "REG_DWORD") else None
        effective = current if current is not None else HTTPSYS_DEFAULT
        in_effect = None if written is None else (HTTPSYS_DEFAULT if written else effective)
        set_ok = current is not None and current >= REQUIRED_LIMIT
        entry = {"set": current, "in_effect": in_effect, "set_ok": set_ok,
                 "ok": None if in_effect is None else (set_ok and in_effect >= REQUIRED_LIMIT)}
        if vtype not in (None, "REG_DWORD"):
            entry["ignored_type"] = vtype          # HTTP.sys reads DWORDs only
        out[key] = entry
        pending.append(None if in_effect is None else effective != in_effect)
    out["set_ok"] = all(out[k]["set_ok"] for k, _n in HTTPSYS_VALUES)
    oks = [out[k]["ok"] for k, _n in HTTPSYS_VALUES]
    out["ok"] = None if None in oks else all(oks)
    out["pending_reboot"] = None if None in pending else any(pending)
    return out
