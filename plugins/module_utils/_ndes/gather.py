# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read ops that gather every NDES fact in ONE agent request, and the settings they depend on.

``info_ops(settings, logs=False, sections=None) -> [(id, kind, args)]``

Reads that depend on another read of the same request (the policy
certificate's chain, the SCEP pool's account, the site's log folder) use the
contract's placeholders (``contract.PLACEHOLDERS``): the agent resolves them
on the host, so ``info`` and ``diagnose`` stay one round trip. The log-window
reads (``logs=True``) are ``log_window.log_ops``.
"""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._agent import contract
from ansible_collections.ndes.scep.plugins.module_utils._ndes import log_window

DEFAULT_SETTINGS = {
    "site": "Default Web Site",
    "scep_app_path": "/certsrv/mscep",
    "certreg_app_path": "/CertificateRegistrationSvc",
    "scep_pool": "SCEP",
    "service_account": None,          # DOMAIN\user; None = the SCEP pool identity
    "warn_days": 30,
    "event_hours": 72,                # window of the event-log reads
    "scep_template": None,            # expected MSCEP *Template values (template name); None = not checked
    "external_names": [],             # names the policy certificate must cover besides the host's
    "expect_proxy_connector": False,  # the inventory says the App Proxy connector runs on this host
    "connector_stale_hours": 24,      # ConnectionStatus\LastConnectionTime older than this: unhealthy
    "setup_msi_dir": "C:\\NDESConnectorSetup",
    "temp_dir": "C:\\Windows\\Temp",
    "httperr_dir": log_window.HTTPERR_DIR,
    "log_max_bytes": log_window.DEFAULT_MAX_BYTES,
    "log_max_files": 2,
    "log_since": None,                # ISO-8601; None = the newest files, whatever their age
}

HTTP_PARAMETERS = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters"
MSCEP_KEY = "HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MSCEP"
NDES_POLICY_KEY = MSCEP_KEY + "\\Modules\\NDESPolicy"
POLICY_THUMBPRINT_VALUE = "NDESCertThumbprint"
UNINSTALL_KEYS = (
    ("uninstall", "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall"),
    ("uninstall_wow64", "HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall"),
)
CONNECTION_STATUS_KEY = "HKLM\\SOFTWARE\\Microsoft\\MicrosoftIntune\\NDESConnector\\ConnectionStatus"
IE_ESC_KEYS = (
    ("ie_esc_admin", "HKLM\\SOFTWARE\\Microsoft\\Active Setup\\Installed Components\\"
                     "{A509B1A7-37EF-4b3f-8CFC-4F3A74704073}"),
    ("ie_esc_user", "HKLM\\SOFTWARE\\Microsoft\\Active Setup\\Installed Components\\"
                    "{A509B1A8-37EF-4b3f-8CFC-4F3A74704073}"),
)
SERVICES = ("WAPCSvc", "WAPCUpdaterSvc", "W3SVC", "WAS",
            "PFXCertificateConnectorSvc", "PKICertificateConnectorSvc", "NDESConnectorSvc")
REQUEST_LIMITS_SECTION = "system.webServer/security/requestFiltering/requestLimits"
ANONYMOUS_AUTH_SECTION = "system.webServer/security/authentication/anonymousAuthentication"
WINDOWS_AUTH_SECTION = "system.webServer/security/authentication/windowsAuthentication"
CAPI2_LOG = "Microsoft-Windows-CAPI2/Operational"
CONNECTOR_ADMIN_LOG = "Microsoft-Intune-CertificateConnectors/Admin"
CONNECTOR_ERROR_IDS = [1001, 1201, 2001, 3001, 4001, 4002]

# facts section -> op ids it is built from ("system" is always read: it gives the host's clock).
SECTION_OPS = {
    "settings": (),
    "host": (),
    "iis.sites": ("iis_sites",),
    "iis.scep_app": ("iis_sites",),
    "iis.request_limits": ("request_limits",),
    "iis.certreg_auth": ("iis_sites", "certreg_anonymous", "certreg_windows"),
    "app_pools": ("app_pools",),
    "scep_pool": ("app_pools",),
    "httpsys": ("httpsys",),
    "user_rights": ("impersonate",),
    "policy_cert": ("mscep", "store_my"),
    "ra_certs": ("store_my", "app_pools", "service_account", "service_principal"),
    "root_store": ("store_root", "store_ca"),
    "mscep_templates": ("mscep",),
    "services": ("services",),
    "proxy_connector": ("services",),
    "crashes": ("app_errors", "was_events"),
    "setup_msi": ("setup_msi",),
    "connector": ("uninstall", "uninstall_wow64", "services", "connector_events", "connector_status"),
    "service_account": ("app_pools", "service_account", "service_principal"),
    "chain": ("policy_chain",),
    "capi2": ("capi2",),
    "temp_acl": ("temp_acl",),
    "ie_esc": ("ie_esc_admin", "ie_esc_user"),
    "pending_reboot": ("httpsys",),
}


def _app_path(value):
    value = "/" + (value or "").strip().strip("/")
    return value if value != "/" else ""


def normalize_settings(settings=None):
    """Settings with defaults filled in; unknown keys raise ValueError naming them."""
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(DEFAULT_SETTINGS))
    if unknown:
        raise ValueError("unknown NDES setting(s): %s (known: %s)" % (
            ", ".join(unknown), ", ".join(sorted(DEFAULT_SETTINGS))))
    out = dict(DEFAULT_SETTINGS)
    out.update((k, v) for k, v in settings.items() if v is not None)
    out["site"] = out["site"].strip().strip("/")
    out["scep_app_path"] = _app_path(out["scep_app_path"])
    out["certreg_app_path"] = _app_path(out["certreg_app_path"])
    out["external_names"] = list(out["external_names"] or [])
    for key in ("warn_days", "event_hours", "log_max_bytes", "log_max_files", "connector_stale_hours"):
        out[key] = int(out[key])
    return out


def location(settings, app_path):
    """IIS configuration location of an application: ``Default Web Site/certsrv/mscep``."""
    return settings["site"] + app_path


def service_account_arg(settings):
    """The ``ad_account`` account: the configured one, else the SCEP pool's user (placeholder)."""
    return settings["service_account"] or contract.placeholder("pool_user", settings["scep_pool"])


def _all_ops(s):
    hours = s["event_hours"]
    ops = [
        ("system", "system", {}),
        ("iis_sites", "iis_sites", {}),
        ("app_pools", "app_pools", {}),
        ("request_limits", "iis_config", {
            "section": REQUEST_LIMITS_SECTION, "location": location(s, s["scep_app_path"]),
            "attributes": ["maxUrl", "maxQueryString"]}),
        ("certreg_anonymous", "iis_config", {
            "section": ANONYMOUS_AUTH_SECTION, "location": location(s, s["certreg_app_path"]),
            "attributes": ["enabled"]}),
        ("certreg_windows", "iis_config", {
            "section": WINDOWS_AUTH_SECTION, "location": location(s, s["certreg_app_path"]),
            "attributes": ["enabled"]}),
        ("httpsys", "registry_key", {"path": HTTP_PARAMETERS,
                                     "names": ["MaxFieldLength", "MaxRequestBytes"]}),
        ("impersonate", "user_right", {"right": "SeImpersonatePrivilege"}),
        ("mscep", "registry_key", {"path": MSCEP_KEY, "recurse": True}),
        ("store_my", "cert_store", {"store": "My", "location": "LocalMachine", "include_acl": True}),
        ("store_root", "cert_store", {"store": "Root", "location": "LocalMachine"}),
        ("store_ca", "cert_store", {"store": "CA", "location": "LocalMachine"}),
        ("policy_chain", "cert_chain", {
            "thumbprint": contract.placeholder("registry", NDES_POLICY_KEY + "\\" + POLICY_THUMBPRINT_VALUE),
            "store": "My", "online": True}),
        ("services", "services", {"names": list(SERVICES)}),
        ("app_errors", "events", {"log": "Application", "provider": "Application Error", "ids": [1000],
                                  "since_hours": hours, "max": 50}),
        ("was_events", "events", {"log": "System", "provider": "Microsoft-Windows-WAS", "ids": [5002, 5009],
                                  "since_hours": hours, "max": 50}),
        ("connector_events", "events", {"log": CONNECTOR_ADMIN_LOG, "ids": list(CONNECTOR_ERROR_IDS),
                                        "since_hours": hours, "max": 50}),
        ("capi2", "events", {"log": CAPI2_LOG, "since_hours": hours, "max": 50}),
        ("setup_msi", "file_tail", {"directory": s["setup_msi_dir"], "pattern": "SetupMsi.log",
                                    "max_bytes": 65536, "max_files": 1}),
    ]
    for op_id, path in UNINSTALL_KEYS:
        ops.append((op_id, "registry_key", {"path": path, "recurse": True}))
    ops.append(("connector_status", "registry_key", {"path": CONNECTION_STATUS_KEY, "names": ["LastConnectionTime"]}))
    ops += [
        ("service_account", "ad_account", {"account": service_account_arg(s)}),
        ("service_principal", "resolve_principal", {"names": [service_account_arg(s)]}),
        ("temp_acl", "folder_acl", {"path": s["temp_dir"]}),
    ]
    for op_id, path in IE_ESC_KEYS:
        ops.append((op_id, "registry_key", {"path": path, "names": ["IsInstalled"]}))
    return ops


def ops_for_sections(sections):
    """Op ids needed to build the given facts sections (prefix match: ``iis`` = every ``iis.*``)."""
    wanted = {"system"}
    for section in sections:
        hits = [key for key in SECTION_OPS if key == section or key.startswith(section + ".")
                or section.startswith(key + ".")]
        if not hits:
            raise ValueError("unknown facts section %r (known: %s)" % (section, ", ".join(sorted(SECTION_OPS))))
        for key in hits:
            wanted.update(SECTION_OPS[key])
    return wanted


def info_ops(settings=None, logs=False, sections=None):
    """Every read op the facts need, as ``[(id, kind, args)]`` for ONE request.

    ``logs``: add the log-window reads (``log_window.log_ops`` with the
    ``log_*`` and ``httperr_dir`` settings; ``log_since`` unset = the newest
    files, whatever their age). ``sections``: only the ops these facts sections
    need (a fix that got no facts); ``system`` always.
    """
    s = normalize_settings(settings)
    ops = _all_ops(s)
    if sections is not None:
        wanted = ops_for_sections(sections)
        ops = [op for op in ops if op[0] in wanted]
    if logs:
        since = log_window.window(since=s["log_since"])[0] if s["log_since"] else None
        ops = log_window.add_log_ops(ops, s["site"], since, s["log_max_bytes"], s["log_max_files"], s["httperr_dir"])
    return ops


def log_files(results_by_id):
    """The raw file records of the log-window reads: ``{"w3c": [file], "httperr": [file]}`` (for log_summary)."""
    out = {}
    for key, op_id in (("w3c", "w3c_log"), ("httperr", "httperr_log")):
        result = (results_by_id or {}).get(op_id) or {}
        if result.get("status") == contract.STATUS_OK:
            out[key] = list((result.get("data") or {}).get("files") or [])
        else:
            out[key] = None
    return out
