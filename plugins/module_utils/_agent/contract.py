# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host-agent contract: the one shape both agents (Windows, lab) speak.

Request:  {version, check_mode, run_id, ops: [{id, kind, args}]}
Response: {version, results: [{id, kind, status, ...}]}

* reads always run, also in check mode;
* ensures run in request order; after the first failed ensure every later
  ensure is reported with status ``not_run``;
* an ensure result carries ``changed``, ``before``, ``after`` and, when it
  changed (or would change) something, ``backup`` (a path under the run's
  backup root, written before the change);
* an ensure with ``if_changed: [op ids]`` runs only when one of those earlier
  ensures changed (would change); else it is ``ok`` with ``skipped: true``.

Types are written as small strings so that the same table serves the
validator, the docs and the PowerShell-side contract test:
``str``, ``int``, ``bool``, ``dict``, ``list``, ``any``, ``list[str]``,
``list[dict]``, ``list[int]``; a trailing ``?`` marks an optional field;
``enum:a|b|c`` a string from a fixed set.
"""
from __future__ import annotations

CONTRACT_VERSION = 1

READ = "read"
ENSURE = "ensure"

STATUS_OK = "ok"
STATUS_FAILED = "failed"
STATUS_NOT_RUN = "not_run"

# Error codes an agent may return; anything else is an agent bug.
ERROR_CODES = (
    "invalid_request",   # the op's args do not fit the contract
    "not_found",         # the object the op names does not exist
    "access_denied",     # the agent identity lacks a permission
    "unsupported",       # this agent cannot do this kind here
    "precondition",      # a safety check refused the change
    "io_error",          # reading or writing failed
    "locked",            # another run holds the host lock
    "injected",          # lab failure injection
    "internal",          # unexpected agent error
)

_CERT = "dict"  # certificate record, see CERT_FIELDS

# Why a certificate's ``key_acl`` is null (could not be read). Codes, never localized text.
KEY_ACL_ERRORS = (
    "access_denied",      # the key or its file's DACL may not be read by the agent identity
    "no_key_file",        # the key is known but no key file exists where the provider keeps it
    "cng_key_not_found",  # the provider does not find the key (HSM / smart card KSP, removed key set)
    "not_requested",      # the read asked for include_acl: false
    "io_error",           # any other failure reading the key file's DACL
)

CERT_FIELDS = {
    "thumbprint": "str",          # upper-case hex, no spaces
    "subject": "str",             # RFC 4514 string (informational only)
    "issuer": "str",
    "subject_der_b64": "str",     # raw DER name, compared byte for byte
    "issuer_der_b64": "str",
    "serial": "str",
    "not_before": "str",          # ISO-8601 UTC
    "not_after": "str",
    "has_private_key": "bool",
    "key_provider": "str?",       # CSP/KSP name (not localized)
    "ekus": "list[str]",          # OIDs
    "key_usage": "list[str]",     # RFC 5280 names: digital_signature, key_encipherment, ...
    "template_oid": "str?",       # from extension 1.3.6.1.4.1.311.21.7
    "template_name": "str?",      # from extension 1.3.6.1.4.1.311.20.2 (v1 template name)
    "san_dns": "list[str]",
    "key_acl": "list[dict]?",     # [{sid, rights: [read|full_control|...]}]; [] without a private key;
                                  # null = the key ACL could not be read (key_acl_error says why)
    "key_acl_error": "enum:" + "|".join(KEY_ACL_ERRORS) + "?",   # only with key_acl null
    "archived": "bool",
    "gpo_placed": "bool?",        # Root store only: present in the group-policy physical store
    "der_b64": "str",
}

# Records that appear inside read data, field by field. Both agents emit
# exactly these names; Python code never sees agent-specific shapes.
RECORDS = {
    "cert": CERT_FIELDS,
    "key_ace": {"sid": "str", "rights": "list[str]"},          # rights: read|full_control|...
    "site": {"id": "int", "name": "str", "state": "str",
             "log_directory": "str",                            # as configured (may hold %vars%)
             "log_directory_expanded": "str",                   # expanded
             "log_format": "str",
             "bindings": "list[dict]",                          # {protocol, binding_information}
             "applications": "list[dict]"},                     # {path, pool, physical_path}
    "pool": {"name": "str", "state": "str",                     # Started|Stopped|Starting|Stopping|Unknown
             "auto_start": "bool", "start_mode": "str",         # OnDemand|AlwaysRunning
             "identity_type": "str",                            # ApplicationPoolIdentity|NetworkService|LocalSystem|LocalService|SpecificUser
             "user_name": "str?", "rapid_fail_protection": "bool?"},
    "service": {"exists": "bool", "status": "str?",             # Running|Stopped|StartPending|StopPending|Paused|...
                "start_mode": "str?",                           # Auto|Manual|Disabled|Boot|System
                "image_path": "str?", "account": "str?"},
    "registry_value": {"type": "str", "value": "any"},          # REG_DWORD -> int, REG_MULTI_SZ -> list[str], REG_BINARY -> base64 str
    "iis_origin": {"path": "str", "is_default": "bool"},        # config path the effective value comes from
    "event": {"id": "int", "provider": "str", "log": "str", "time": "str",
              "record_id": "int", "level": "int", "properties": "list"},
    "file": {"path": "str", "size": "int", "modified": "str", "offset": "int",
             "content": "str", "truncated": "bool", "encoding": "str",
             "head": "str?"},                                   # with head_bytes, when truncated
    "ace": {"sid": "str", "rights": "list[str]", "type": "str", "inherited": "bool"},
    "backup_run": {"run_id": "str", "created": "str", "items": "list[dict]"},
    # backup item: {id, kind, source, file, restore: {kind, args}}
}

# kind -> (category, args spec, result spec). For reads the result spec
# describes ``data``; for ensures it describes ``before`` / ``after``.
KINDS = {
    # ---------------------------------------------------------------- reads
    "system": (READ, {}, {
        "hostname": "str", "fqdn": "str", "domain_role": "int",
        "os_version": "str", "last_boot": "str", "now": "str",
        "installed_roles": "list[str]", "agent": "str"}),
    "registry_key": (READ, {"path": "str", "names": "list[str]?", "recurse": "bool?"}, {
        "exists": "bool", "last_write": "str?", "values": "dict", "subkeys": "list[str]",
        "tree": "dict?"}),    # recurse: {subkey: {values, last_write, subkeys: {..same..}}}
    "iis_sites": (READ, {}, {"sites": "list[dict]"}),
    "iis_config": (READ, {"section": "str", "location": "str", "attributes": "list[str]?"}, {
        "attributes": "dict", "origin": "dict", "locked": "bool?"}),
    "app_pools": (READ, {"names": "list[str]?"}, {"pools": "list[dict]"}),
    "services": (READ, {"names": "list[str]"}, {"services": "dict"}),
    "cert_store": (READ, {"store": "str", "location": "enum:LocalMachine|CurrentUser?",
                          "include_archived": "bool?", "include_acl": "bool?"}, {
        "certs": "list[dict]"}),
    "cert_chain": (READ, {"thumbprint": "str", "store": "str", "online": "bool?"}, {
        "status": "list[str]", "elements": "list[dict]", "urls": "list[str]",
        "resolved": "dict?"}),
    "user_right": (READ, {"right": "str"}, {
        # gpo_defined: true / false, or null = unknown (RSOP could not be read): always present
        "holders": "list[str]", "gpo_defined": "bool?", "gpo_holders": "list[str]",
        "gpo_source": "str?"}),
    "events": (READ, {"log": "str", "provider": "str?", "ids": "list[int]?",
                      "since_hours": "int?", "max": "int?"}, {
        "events": "list[dict]", "log_exists": "bool", "log_enabled": "bool?"}),
    # head_bytes: also return each file's first bytes as ``head`` when the tail does not start at
    # the beginning (a W3C tail cut after the file's #Fields header needs that header).
    "file_tail": (READ, {"directory": "str", "pattern": "str", "max_bytes": "int?",
                         "since": "str?", "max_files": "int?", "head_bytes": "int?"}, {
        "files": "list[dict]", "resolved": "dict?"}),
    "folder_acl": (READ, {"path": "str"}, {"owner_sid": "str", "aces": "list[dict]"}),
    "ad_account": (READ, {"account": "str"}, {
        "status": "enum:known|unknown", "reason": "str?", "locked": "bool?",
        "password_expired": "bool?", "disabled": "bool?", "sid": "str?", "resolved": "dict?"}),
    "resolve_principal": (READ, {"names": "list[str]"}, {"principals": "dict", "resolved": "dict?"}),
    "backups": (READ, {"run_id": "str?"}, {"runs": "list[dict]"}),
    # Certificate templates as the CA's Active Directory publishes them, and whether the identity
    # that would enrol (machine: the host's computer account; user: the account the agent runs
    # as) may Read and Enroll (MS-CRTD 2.5.1). ``ca``: also say whether that CA offers each one.
    # status unknown (+ reason) when AD cannot be asked (the WinRM double hop).
    "template_access": (READ, {"templates": "list[str]", "ca": "str?"}, {
        "status": "enum:known|unknown", "reason": "str?", "identities": "dict",
        "templates": "dict"}),
    # -------------------------------------------------------------- ensures
    "registry_value": (ENSURE, {"path": "str", "name": "str",
                                "type": "enum:REG_DWORD|REG_SZ|REG_EXPAND_SZ|REG_MULTI_SZ|REG_QWORD",
                                "value": "any", "state": "enum:present|absent?"}, {"value": "any?"}),  # before/after value null = absent
    # location: where before/after effective values are read; commit_path: the config
    # file written (MACHINE/WEBROOT/APPHOST or a site/app config path's web.config);
    # commit_location: for APPHOST, the <location path> written ("" = global section,
    # default = location).
    "iis_property": (ENSURE, {"section": "str", "location": "str", "commit_path": "str",
                              "commit_location": "str?", "attributes": "dict"}, {"attributes": "dict"}),
    "user_right_grant": (ENSURE, {"right": "str", "add": "list[str]?", "remove": "list[str]?",
                                  "override_gpo": "bool?"}, {"holders": "list[str]"}),
    "app_pool_state": (ENSURE, {"name": "str", "state": "enum:started|stopped|recycled?",
                                "auto_start": "bool?"}, {"state": "str", "auto_start": "bool"}),
    "service_state": (ENSURE, {"name": "str", "state": "enum:running|stopped|restarted?",
                               "start_mode": "enum:auto|manual|disabled?"}, {
        "status": "str", "start_mode": "str"}),
    "cert_move": (ENSURE, {"thumbprint": "str", "from_store": "str", "to_store": "str"}, {
        "stores": "list[str]"}),
    "key_acl_grant": (ENSURE, {"thumbprint": "str", "store": "str", "sid": "str",
                               "rights": "enum:read|full_control"}, {"key_acl": "list[dict]"}),
    "folder_acl_grant": (ENSURE, {"path": "str", "sid": "str",
                                  "rights": "enum:read|modify|full_control"}, {"aces": "list[dict]"}),
    "event_log_state": (ENSURE, {"log": "str", "enabled": "bool"}, {"enabled": "bool"}),
    "iis_reset": (ENSURE, {}, {"reset_at": "str?"}),
    "cert_enroll": (ENSURE, {"ca": "str", "template": "str", "subject": "str",
                             "san_dns": "list[str]?", "context": "enum:machine|user",
                             "provider": "str?", "replaces": "str?",
                             "exportable": "bool?"}, {
        "thumbprint": "str?", "not_after": "str?", "provider": "str?"}),
    "cert_archive": (ENSURE, {"thumbprint": "str", "store": "str"}, {"archived": "bool"}),
    # restored: every item handled, in replay order; unchanged (additive): those found already as backed
    # up, or superseded by an older item of the same target, and so left alone (none changed = changed false)
    "restore": (ENSURE, {"run_id": "str", "items": "list[str]?"}, {"restored": "list[str]", "unchanged": "list[str]?"}),
    "reboot": (ENSURE, {"reason": "str?"}, {"last_boot": "str"}),
    "lab_inject": (ENSURE, {"fail_ensure": "int?", "drop_connection": "bool?",
                            "latency": "any?", "clear": "bool?"}, {"inject": "dict"}),
}

# ------------------------------------------------------------ placeholders
# A read whose argument depends on another read of the same request (the
# certificate a registry value names, the account an app pool runs as, the
# folder a site logs to) carries a placeholder instead of the value, so that
# gathering stays ONE request. The agent resolves it on the host before it
# runs the op; the op's data then carries ``resolved: {arg: value}``. A
# placeholder that cannot be resolved fails the op with ``not_found`` and a
# message that starts with ``placeholder``. A placeholder is a string
# ``@<name>:<parameter>``; only the (kind, arg) pairs below accept one
# (list args: any element); anywhere else the string is taken literally.
#
# ``@result:`` is the one placeholder for ensures: an ensure that needs what an
# earlier op of the same request produced (the thumbprint cert_enroll issued)
# names that op and field, so enrol -> grant its key ACL -> point a registry
# value at it stays ONE request whose order the contract keeps (the first
# failed ensure stops the rest). The referenced op must come earlier and be
# ``ok``; a missing field or op fails with ``not_found`` (message starting
# with ``placeholder``). In check mode an ensure whose reference has no value
# yet (cert_enroll predicts ``thumbprint: null``) is reported ``not_run``: it
# would run on the value a real run produces. The op's result then carries no
# ``resolved`` field (ensure results have none).
PLACEHOLDERS = {
    # name: what the agent substitutes
    "registry": "@registry:<HKLM\\key path>\\<value name> -> the value's data (REG_SZ); "
                "for a thumbprint arg every non-hex character is dropped and the rest upper-cased",
    "pool_user": "@pool_user:<app pool name> -> the pool's processModel userName when its "
                 "identityType is SpecificUser (else not_found)",
    "site_log_folder": "@site_log_folder:<site name> -> the site's W3C log folder: its expanded "
                       "logFile directory + \\W3SVC<site id>",
    "result": "@result:<op id>.<field>[|lower] -> a field of an EARLIER op of the same request: an "
              "ensure's after.<field> (a read's data.<field>), lower-cased with |lower",
}
PLACEHOLDER_ARGS = {
    ("cert_chain", "thumbprint"): ("registry",),
    ("ad_account", "account"): ("pool_user",),
    ("resolve_principal", "names"): ("pool_user",),
    ("file_tail", "directory"): ("site_log_folder",),
    # an ensure that needs what an earlier ensure of the same request produced (the thumbprint
    # cert_enroll issued): grant Read on its key, point a registry value at it.
    ("key_acl_grant", "thumbprint"): ("result",),
    ("registry_value", "value"): ("result",),
}
PLACEHOLDER_PREFIX = "@"
# ``@result:`` modifiers, after the field: ``@result:enroll.thumbprint|lower``.
RESULT_MODIFIERS = ("lower",)


def placeholder(name, parameter):
    """The placeholder string ``@name:parameter`` (name from PLACEHOLDERS)."""
    if name not in PLACEHOLDERS:
        raise ValueError("unknown placeholder %r (known: %s)" % (name, ", ".join(sorted(PLACEHOLDERS))))
    return "%s%s:%s" % (PLACEHOLDER_PREFIX, name, parameter)


def result_ref(op_id, field, modifier=None):
    """The placeholder ``@result:<op id>.<field>[|modifier]`` (the value an earlier op produced)."""
    if modifier is not None and modifier not in RESULT_MODIFIERS:
        raise ValueError("unknown @result modifier %r (known: %s)" % (modifier, ", ".join(RESULT_MODIFIERS)))
    return placeholder("result", "%s.%s%s" % (op_id, field, "|" + modifier if modifier else ""))


def split_result_ref(parameter):
    """``(op id, field, modifier or None)`` of a ``result`` placeholder's parameter; ValueError if malformed."""
    ref, _bar, modifier = parameter.partition("|")
    op_id, dot, field = ref.rpartition(".")
    if not dot or not op_id or not field or (modifier and modifier not in RESULT_MODIFIERS):
        raise ValueError("@result:%s: write @result:<op id>.<field>[|lower]" % parameter)
    return op_id, field, modifier or None


def split_placeholder(kind, arg, value):
    """``(name, parameter)`` when ``value`` is a placeholder this (kind, arg) accepts, else None."""
    if not isinstance(value, str) or not value.startswith(PLACEHOLDER_PREFIX):
        return None
    name, sep, parameter = value[len(PLACEHOLDER_PREFIX):].partition(":")
    if not sep or name not in PLACEHOLDER_ARGS.get((kind, arg), ()):
        return None
    return name, parameter


REQUEST_SPEC = {"version": "int", "check_mode": "bool", "run_id": "str?",
                "lock": "bool?", "ops": "list[dict]"}
# ``if_changed`` (ensures only): run this ensure only when at least one of the named EARLIER
# ensures of the same request reported ``changed`` (in check mode: would change); otherwise its
# result is ``ok``, ``changed: false``, ``before``/``after`` ``{}`` and ``skipped: true``. It lets
# a fix carry the restart its changes need (``iis_reset``, a pool recycle, a service restart) in
# the same call, run only when something actually changed.
OP_SPEC = {"id": "str", "kind": "str", "args": "dict?", "if_changed": "list[str]?"}
RESPONSE_SPEC = {"version": "int", "results": "list[dict]", "agent": "str?",
                 "elapsed_ms": "int?"}
RESULT_SPEC = {"id": "str", "kind": "str", "status": "enum:ok|failed|not_run",
               "data": "dict?", "changed": "bool?", "before": "dict?", "after": "dict?",
               "backup": "str?", "error": "dict?", "warnings": "list[str]?",
               "skipped": "bool?"}   # an if_changed ensure none of whose named ensures changed
ERROR_SPEC = {"code": "str", "message": "str"}


def if_changed_met(op, results):
    """Whether ensure ``op`` runs: it names no ``if_changed``, or one of the ensures it names (in
    ``results``, by id) reported ``changed`` (in check mode: would change)."""
    names = op.get("if_changed")
    if names is None:
        return True
    return any((results.get(name) or {}).get("changed") is True for name in names)


def skipped_result(op):
    """The result of an ``if_changed`` ensure that does not run."""
    return {"id": op["id"], "kind": op["kind"], "status": STATUS_OK, "changed": False,
            "before": {}, "after": {}, "skipped": True}


def is_read(kind):
    return KINDS[kind][0] == READ


def kinds_of(category):
    return sorted(k for k, v in KINDS.items() if v[0] == category)
