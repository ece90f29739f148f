# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IIS configuration of the lab with IIS inheritance: applicationHost.config, its <location> tags, web.config files.

Merge order for a location ``Site/a/b`` (later wins, attribute by attribute):
schema default -> apphost root section -> for each level ``Site``, ``Site/a``, ``Site/a/b``:
apphost ``<location path=level>``, then ``<location>`` tags of shallower web.configs aimed at
that level, then the web.config at that level's physical path.
"""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._lab import iisxml, layout

APPHOST = "MACHINE/WEBROOT/APPHOST"

# Schema defaults (IIS_schema.xml) for the attributes the project reads or writes.
SCHEMA = {
    "system.webServer/security/requestFiltering/requestLimits": {
        "maxUrl": ("uint", 4096), "maxQueryString": ("uint", 2048), "maxAllowedContentLength": ("uint", 30000000)},
    "system.webServer/security/requestFiltering": {
        "allowDoubleEscaping": ("bool", False), "allowHighBitCharacters": ("bool", True)},
    "system.webServer/security/authentication/anonymousAuthentication": {
        "enabled": ("bool", False), "userName": ("string", "IUSR"), "logonMethod": ("string", "ClearText")},
    "system.webServer/security/authentication/windowsAuthentication": {
        "enabled": ("bool", False), "authPersistNonNTLM": ("bool", True), "useKernelMode": ("bool", True)},
    "system.webServer/security/authentication/basicAuthentication": {"enabled": ("bool", False)},
    "system.webServer/security/access": {"sslFlags": ("string", "None")},
    "system.webServer/httpErrors": {"errorMode": ("string", "DetailedLocalOnly")},
    "system.webServer/directoryBrowse": {"enabled": ("bool", False)},
}


class IisError(Exception):
    """A configuration request IIS would refuse; ``code`` is a contract error code."""

    def __init__(self, code, message):
        super(IisError, self).__init__(message)
        self.code = code


# ------------------------------------------------------------------ values
def _type_of(section, attr):
    return SCHEMA.get(section, {}).get(attr, ("string", None))[0]


def from_xml(section, attr, text):
    kind = _type_of(section, attr)
    if kind == "bool":
        return text.strip().lower() == "true"
    if kind == "uint":
        try:
            return int(text.strip(), 0)
        except ValueError:
            return text
    return text


def to_xml(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ------------------------------------------------------------------ apphost model
def apphost(root, cached=True):
    return iisxml.load(layout.win_to_lab(root, layout.APPHOST_CONFIG), cached)


def split_location(location):
    """``Default Web Site/certsrv/mscep`` -> ["Default Web Site", "certsrv", "mscep"]."""
    return [p for p in location.replace("\\", "/").split("/") if p and p != "."]


def _norm(location):
    return "/".join(split_location(location)).lower()


def sections_declared(doc):
    """{section path: overrideModeDefault} from <configSections>."""
    out = {}

    def walk(node, prefix):
        for item in node:
            if item.tag == "sectionGroup":
                walk(item, prefix + item.get("name") + "/")
            elif item.tag == "section":
                out[prefix + item.get("name")] = item.get("overrideModeDefault", "Allow")
    sections = iisxml.child(doc.root, "configSections")
    if sections is not None:
        walk(sections, "")
    return out


def section_of(doc, element_path):
    """The declared section holding an element path (its longest declared prefix)."""
    declared = sections_declared(doc)
    parts = element_path.split("/")
    for cut in range(len(parts), 0, -1):
        candidate = "/".join(parts[:cut])
        if candidate in declared:
            return candidate, declared[candidate]
    return element_path, "Allow"


def sites(root):
    """Sites with bindings, applications (pool, physical path) and the log directory."""
    doc = apphost(root)
    ahost = iisxml.child(doc.root, "system.applicationHost")
    sites_el = iisxml.child(ahost, "sites")
    defaults = iisxml.child(sites_el, "siteDefaults")
    default_log = iisxml.child(defaults, "logFile") if defaults is not None else None
    app_defaults = iisxml.child(sites_el, "applicationDefaults")
    default_pool = app_defaults.get("applicationPool", "DefaultAppPool") if app_defaults is not None else "DefaultAppPool"
    out = []
    for site in iisxml.elements(sites_el, "site"):
        log = iisxml.child(site, "logFile")
        directory = (log.get("directory") if log is not None else None) or \
            (default_log.get("directory") if default_log is not None else None) or r"%SystemDrive%\inetpub\logs\LogFiles"
        log_format = (log.get("logFormat") if log is not None else None) or \
            (default_log.get("logFormat") if default_log is not None else None) or "W3C"
        apps = []
        for app in iisxml.elements(site, "application"):
            vdirs = [{"path": v.get("path", "/"), "physical_path": v.get("physicalPath", "")}
                     for v in iisxml.elements(app, "virtualDirectory")]
            root_vdir = next((v for v in vdirs if v["path"] == "/"), vdirs[0] if vdirs else {"physical_path": ""})
            apps.append({"path": app.get("path", "/"), "pool": app.get("applicationPool", default_pool),
                         "physical_path": root_vdir["physical_path"], "virtual_directories": vdirs})
        bindings_el = iisxml.child(site, "bindings")
        bindings = [{"protocol": b.get("protocol"), "binding_information": b.get("bindingInformation")}
                    for b in (iisxml.elements(bindings_el, "binding") if bindings_el is not None else [])]
        out.append({"id": int(site.get("id", "0")), "name": site.get("name"),
                    "state": "Started" if site.get("serverAutoStart", "true").lower() == "true" else "Stopped",
                    "log_directory": directory, "log_directory_expanded": layout.expand(directory),
                    "log_format": log_format, "bindings": bindings, "applications": apps})
    return out


def _site(root, site_name):
    for site in sites(root):
        if site["name"].lower() == site_name.lower():
            return site
    return None


def _under(prefix, path):
    prefix, path = prefix.rstrip("/").lower(), path.lower()
    return path == prefix or path.startswith(prefix + "/") or prefix == ""


def physical_path(root, location):
    """Windows physical path of ``Site/virtual/path`` (longest matching application, then vdir)."""
    parts = split_location(location)
    site = _site(root, parts[0]) if parts else None
    if site is None:
        return None
    vpath = "/" + "/".join(parts[1:])
    apps = sorted(site["applications"], key=lambda a: len(a["path"].rstrip("/")), reverse=True)
    for app in apps:
        if _under(app["path"], vpath):
            rest = vpath[len(app["path"].rstrip("/")):] or "/"
            vdirs = sorted(app["virtual_directories"], key=lambda v: len(v["path"].rstrip("/")), reverse=True)
            for vdir in vdirs:
                if _under(vdir["path"], rest):
                    tail = rest[len(vdir["path"].rstrip("/")):].strip("/")
                    base = layout.expand(vdir["physical_path"]).rstrip("\\")
                    return base + ("\\" + tail.replace("/", "\\") if tail else "")
    return None


def _web_config(root, level):
    """(lab file path, doc or None) of the web.config at a level's physical path."""
    phys = physical_path(root, level)
    if phys is None:
        return None, None
    try:
        filename = layout.win_to_lab(root, phys + "\\web.config")
    except ValueError:
        return None, None
    return filename, (iisxml.load(filename) if iisxml.exists(filename) else None)


def _config_path(parts):
    return APPHOST + "/" + "/".join(parts)


# ------------------------------------------------------------------ effective values
def layers(root, element_path, location):
    """Ordered [(origin, element)] contributing to an element at a location."""
    parts = split_location(location)
    el_parts = element_path.split("/")
    doc = apphost(root)
    found = []  # (target depth, source depth, order, origin, element)

    def add(target_depth, source_depth, origin, container):
        node = iisxml.find_path(container, el_parts)
        if node is not None:
            found.append((target_depth, source_depth, len(found), origin, node))

    add(0, 0, {"path": APPHOST, "is_default": False}, doc.root)
    wanted = dict((_norm("/".join(parts[:d])), d) for d in range(1, len(parts) + 1))
    for loc in iisxml.elements(doc.root, "location"):
        key = _norm(loc.get("path", ""))
        if key == "":
            add(0, 0, {"path": APPHOST, "is_default": False, "location": ""}, loc)
        elif key in wanted:
            add(wanted[key], 0, {"path": APPHOST, "is_default": False, "location": loc.get("path")}, loc)
    for depth in range(1, len(parts) + 1):
        _fname, wdoc = _web_config(root, "/".join(parts[:depth]))
        if wdoc is None:
            continue
        cpath = _config_path(parts[:depth])
        add(depth, depth, {"path": cpath, "is_default": False}, wdoc.root)
        for loc in iisxml.elements(wdoc.root, "location"):
            target = _norm("/".join(parts[:depth]) + "/" + loc.get("path", ""))
            if target in wanted and wanted[target] >= depth:
                add(wanted[target], depth, {"path": cpath, "is_default": False, "location": loc.get("path")}, loc)
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    return [(f[3], f[4]) for f in found]


def is_locked(root, element_path, location):
    """True when the section cannot be set in a web.config at ``location`` (overrideMode Deny)."""
    doc = apphost(root)
    _section, mode = section_of(doc, element_path)
    best = -1
    parts = split_location(location)
    for loc in iisxml.elements(doc.root, "location"):
        override = loc.get("overrideMode")
        key = _norm(loc.get("path", ""))
        depth = len(split_location(key))
        if override in ("Allow", "Deny") and depth <= len(parts) and key == _norm("/".join(parts[:depth])) and depth > best:
            best, mode = depth, override
    return mode == "Deny"


def effective(root, element_path, location, attributes=None):
    """The ``iis_config`` read: effective attributes, their origin, and whether the section is locked."""
    values, origin = {}, {}
    for attr, (_kind, default) in SCHEMA.get(element_path, {}).items():
        values[attr] = default
        origin[attr] = {"path": "default", "is_default": True}
    for org, node in layers(root, element_path, location):
        for attr, text in node.attrib.items():
            values[attr] = from_xml(element_path, attr, text)
            origin[attr] = dict(org)
    if attributes:
        values = dict((a, values.get(a)) for a in attributes)
        origin = dict((a, origin.get(a, {"path": "default", "is_default": True})) for a in attributes)
    return {"attributes": values, "origin": origin, "locked": is_locked(root, element_path, location)}


# ------------------------------------------------------------------ writes
def plan_write(root, element_path, location, commit_path, commit_location=None):
    """Where a write would go: (lab filename, container location path or None); raise IisError if refused.

    For ``MACHINE/WEBROOT/APPHOST`` the ``<location path>`` is ``commit_location`` ("" = the global
    section), by default ``location``.
    """
    commit = commit_path.strip().rstrip("/")
    if not commit.upper().startswith(APPHOST):
        raise IisError("invalid_request", "commit_path must be %s or %s/<site>[/<path>], got %r"
                       % (APPHOST, APPHOST, commit_path))
    rest = split_location(commit[len(APPHOST):])
    parts = split_location(location)
    if not rest:
        if commit_location is not None:
            parts = split_location(commit_location)
        return layout.win_to_lab(root, layout.APPHOST_CONFIG), ("/".join(parts) or None)
    if len(rest) > len(parts) or _norm("/".join(rest)) != _norm("/".join(parts[:len(rest)])):
        raise IisError("invalid_request", "commit_path %r is not %s or a parent of location %r"
                       % (commit_path, APPHOST, location))
    if is_locked(root, element_path, "/".join(rest)):
        section, _mode = section_of(apphost(root), element_path)
        raise IisError("precondition", "section %s is locked at %s (overrideModeDefault=\"Deny\" in "
                       "applicationHost.config): commit it to %s with a <location path=\"%s\">"
                       % (section, "/".join(rest), APPHOST, "/".join(parts)))
    filename, _doc = _web_config(root, "/".join(rest))
    if filename is None:
        raise IisError("not_found", "no site or application at %r" % "/".join(rest))
    sub = "/".join(parts[len(rest):])
    return filename, (sub or None)


def edit(root, element_path, location, commit_path, attributes, commit_location=None):
    """Apply a write to an in-memory copy; returns (ConfigDoc, {attr: value explicitly set there before})."""
    filename, loc_path = plan_write(root, element_path, location, commit_path, commit_location)
    doc = iisxml.load_or_empty(filename)
    container = doc.root
    if loc_path:
        container = next((loc for loc in iisxml.elements(doc.root, "location")
                          if _norm(loc.get("path", "")) == _norm(loc_path)), None)
        if container is None:
            container = iisxml.append(doc.root, doc.root, "location", {"path": loc_path})
    node = iisxml.ensure_path(doc.root, container, element_path.split("/"))
    explicit = dict((a, from_xml(element_path, a, node.get(a)) if node.get(a) is not None else None)
                    for a in attributes)
    for attr, value in attributes.items():
        node.set(attr, to_xml(value))
    return doc, explicit


def write(root, element_path, location, commit_path, attributes, commit_location=None):
    """Set attributes at the commit path; returns the lab file written. The rest of the file is kept."""
    doc, _explicit = edit(root, element_path, location, commit_path, attributes, commit_location)
    doc.save()
    return doc.filename
