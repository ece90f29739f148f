# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CRS_WINDOWS_AUTH: anonymous on, Windows authentication off at CertificateRegistrationSvc, in applicationHost.config."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

SECTIONS = ("settings", "iis.certreg_auth")

APPHOST = "MACHINE/WEBROOT/APPHOST"
AUTH = "system.webServer/security/authentication/"
# (section, facts key, wanted)
WANTED = (("anonymousAuthentication", "anonymous_enabled", True),
          ("windowsAuthentication", "windows_enabled", False))


def location_of(args):
    return "%s/%s" % (args["site"].strip("/"), args["app_path"].strip("/"))


def _facts_apply(args, facts):
    return c.dig(facts, "iis.certreg_auth.location", "").lower() == location_of(args).lower()


def settings(args):
    return {"site": args["site"], "certreg_app_path": args["app_path"]}


def reads(args, facts):
    if facts is None or _facts_apply(args, facts):
        return []
    return [(section, "iis_config", {"section": AUTH + section, "location": location_of(args),
                                     "attributes": ["enabled"]}) for section, _k, _w in WANTED]


def plan(args, facts, reads):
    result = c.Plan()
    location = location_of(args)
    report = {}
    for section, key, wanted in WANTED:
        if not (reads and section in reads):
            current = c.dig(facts, "iis.certreg_auth." + key)
        else:
            current = c.read_data(reads, section, "%s at %s" % (section, location)).get("attributes", {}).get("enabled")
        report[section] = {"enabled": current, "wanted": wanted}
        if current is not wanted:
            # The authentication sections are locked (overrideModeDefault=Deny): they can only be
            # written in applicationHost.config, inside <location path="site/app">.
            result.ensure(section, "iis_property", {
                "section": AUTH + section, "location": location, "commit_path": APPHOST,
                "commit_location": location, "attributes": {"enabled": wanted}})
    result.fields.update({"location": location, "authentication": report})
    if result.ops:
        result.restarts.append(c.restart(
            "iis", None, "reset", "the SCEP pool crashed with Windows authentication on CertificateRegistrationSvc; "
            "iisreset (or recycle the pools and start the SCEP pool) so it starts with the new settings"))
    return result


def finish(args, plan, results):
    errors = []
    for op_id, _kind, op_args in plan.ops:
        value = c.ensure_after(results, op_id).get("attributes", {}).get("enabled")
        plan.fields["authentication"][op_id]["enabled_after"] = value
        if value is not op_args["attributes"]["enabled"]:
            errors.append("%s is still enabled=%s at %s after writing it to applicationHost.config: a web.config "
                          "under the application may set it (remove it there), then rerun." % (
                              op_id, value, op_args["location"]))
    return {"authentication": plan.fields["authentication"]}, (" ".join(errors) or None)
