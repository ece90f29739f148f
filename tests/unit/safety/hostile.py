# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hostile values and the table of every string-like module option they are tried in.

Expectations per option:

* ``reject``: the task fails with a message, nothing on the host changes;
* ``read``: a read-only option; the task may succeed or fail cleanly, nothing changes;
* ``store``: the value is written to the host as it is (checked byte for byte by the test);
* ``either``: rejected, or accepted and, when it changes the host, reported as a change with a
  backup that restores the host exactly.
"""
from __future__ import annotations

HOSTILE = {
    "quotes": "O'Brien \"quoted\" '' \"\" \u2018smart\u2019",
    "subexpression": "$(Remove-Item -Recurse -Force C:\\)",
    "backticks": "`whoami` `$env:PATH` `n`r",
    "semicolon": "SCEP; Stop-Service W3SVC; # ;",
    "newlines": "SCEP\r\nStop-Service W3SVC\nRestart-Computer",
    "nul": "SCEP\x00Stop-Service W3SVC",
    "long": "N" * 70000,
    "non_ascii": "Servizio NDES \u00e8 \u0160\u010d\u0107 \u65e5\u672c \U0001f512",
    "shell_operators": "a | b & c && d || e > f < g 2>&1",
    "env_and_dots": "%SystemRoot%\\..\\..\\Windows\\System32",
    "xml_markup": "<x a=\"1\"/>]]>&amp;--><!--",
    "placeholder": "@registry:HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MSCEP\\SignatureTemplate",
    "jinja": "{{ lookup('pipe', 'id') }}{% raw %}",
    "format_string": "%s%n%x {0} ${IFS}",
}

# (module, option, is_list, expectation, extra args)
OPTIONS = [
    ("app_pool", "name", False, "reject", {}),
    ("certreg_auth", "site", False, "reject", {}),
    ("certreg_auth", "app_path", False, "either", {}),
    ("connector_service", "state", False, "reject", {}),
    ("device_log", "content", False, "read", {}),
    ("device_log", "path", False, "reject", {}),
    ("device_log", "platform", False, "reject", {"content": "x"}),
    ("diagnose", "site", False, "read", {"probe": False}),
    ("diagnose", "scep_app_path", False, "read", {"probe": False}),
    ("diagnose", "certreg_app_path", False, "read", {"probe": False}),
    ("diagnose", "scep_pool", False, "read", {"probe": False}),
    ("diagnose", "service_account", False, "read", {"probe": False}),
    ("diagnose", "scep_template", False, "read", {"probe": False}),
    ("diagnose", "external_names", True, "read", {"probe": False}),
    ("diagnose", "probe_url", False, "read", {}),
    ("diagnose", "rules_files", True, "reject", {"probe": False}),
    ("diagnose", "device_logs", True, "reject", {"probe": False}),
    ("diagnose", "fail_on", False, "reject", {"probe": False}),
    ("iis_log", "site", False, "reject", {}),
    ("iis_log", "scep_pool", False, "read", {}),
    ("iis_log", "since", False, "reject", {}),
    ("iis_log", "until", False, "reject", {}),
    ("iis_log", "httperr_dir", False, "read", {}),
    ("iis_restart", "pools", True, "reject", {}),
    ("info", "site", False, "read", {}),
    ("info", "scep_app_path", False, "read", {}),
    ("info", "certreg_app_path", False, "read", {}),
    ("info", "scep_pool", False, "read", {}),
    ("info", "service_account", False, "read", {}),
    ("info", "scep_template", False, "read", {}),
    ("info", "external_names", True, "read", {}),
    ("mscep_templates", "template", False, "store", {}),
    ("policy_cert", "thumbprint", False, "reject", {}),
    ("policy_cert", "names", True, "read", {}),
    ("probe", "url", False, "reject", {}),
    ("probe", "ca_bundle", False, "reject", {"url": "http://127.0.0.1:9/certsrv/mscep/mscep.dll"}),
    ("probe", "platforms", True, "reject", {"url": "http://127.0.0.1:9/certsrv/mscep/mscep.dll"}),
    ("ra_certs", "service_account", False, "reject", {}),
    ("reboot", "msg", False, "read", {"required": False}),
    ("report", "title", False, "read", {}),
    ("report", "run_id", False, "read", {}),
    ("report", "hosts", True, "read", {}),
    ("report", "lang", False, "reject", {}),
    ("request_limits", "site", False, "reject", {}),
    ("request_limits", "app_path", False, "either", {}),
    ("request_limits", "scope", True, "reject", {}),
    ("rollback", "run_id", False, "reject", {}),
    ("rollback", "items", True, "reject", {"run_id": "20260101T000000Z-000000"}),
    ("root_store", "exclude", True, "reject", {}),
    ("temp_acl", "path", False, "reject", {}),
    ("temp_acl", "sid", False, "reject", {}),
    ("temp_acl", "rights", False, "reject", {}),
    ("user_right", "right", False, "reject", {}),
    ("user_right", "principals", True, "reject", {}),
    ("user_right", "pool", False, "read", {}),
]

# A part of each value that shows it reached the host: when it is in a request, the whole value must be too.
TOKENS = {
    "quotes": "O'Brien", "subexpression": "Remove-Item", "backticks": "whoami", "semicolon": "; Stop-Service",
    "newlines": "Restart-Computer", "nul": "\x00Stop", "long": "N" * 1000, "non_ascii": "Servizio NDES",
    "shell_operators": "2>&1", "env_and_dots": "%SystemRoot%\\..\\..\\Windows", "xml_markup": "<x a=", "placeholder": HOSTILE["placeholder"],
    "jinja": "lookup('pipe'", "format_string": "${IFS}",
}
