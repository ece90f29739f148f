# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 9.6 (static): every option that can carry a secret is ``no_log``.

Today no module takes a secret (no password, challenge, token or key option). This keeps it so:
an option whose name says it is secret must be ``no_log: true`` in the action plugin's ARGUMENT_SPEC
(docs-only modules) or ``no_log=True`` in the module's own argument_spec (lab, lab_agent).
"""
from __future__ import annotations

import glob
import importlib
import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SENSITIVE = re.compile(r"(passw|passphrase|secret|token|challenge|private_key|_key$|^key$|pin$|credential)", re.I)


def _documented_options(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    match = re.search(r'DOCUMENTATION = r?"""(.*?)"""', text, re.S)
    doc = yaml.safe_load(match.group(1)) if match else {}
    out = []

    def walk(options, prefix):
        for name, spec in (options or {}).items():
            out.append((prefix + name, spec or {}))
            walk((spec or {}).get("suboptions"), prefix + name + ".")
    walk(doc.get("options"), "")
    return text, out


def _spec_no_log(spec, dotted):
    node = {"options": spec}
    for part in dotted.split("."):
        node = (node.get("options") or {}).get(part) or {}
    return bool(node.get("no_log"))


def sensitive_options():
    """[(module, option, no_log)] for every option of every module whose name looks secret."""
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))):
        module = os.path.basename(path)[:-3]
        text, options = _documented_options(path)
        action_path = os.path.join(ROOT, "plugins", "action", module + ".py")
        spec = None
        if os.path.exists(action_path):
            spec = importlib.import_module("ansible_collections.ndes.scep.plugins.action." + module).ActionModule
            spec = spec.ARGUMENT_SPEC
        for dotted, doc in options:
            if not SENSITIVE.search(dotted.rsplit(".", 1)[-1]):
                continue
            in_module = re.search(r"%s\s*=\s*dict\([^)]*no_log\s*=\s*True" % re.escape(dotted.rsplit(".", 1)[-1]),
                                  text) is not None
            out.append((module, dotted, (spec is not None and _spec_no_log(spec, dotted)) or in_module))
    return out


def test_the_name_check_recognises_secret_options():
    for name in ("password", "challenge_password", "client_secret", "pfx_passphrase", "private_key", "api_token",
                 "winrm_password", "key", "pin", "credential"):
        assert SENSITIVE.search(name), name
    for name in ("run_id", "site", "template", "thumbprint", "principals", "hostname", "key_usage", "warn_days"):
        assert not SENSITIVE.search(name), name


def test_every_secret_option_is_no_log():
    found = sensitive_options()
    assert [f for f in found if not f[2]] == [], "options that carry secrets without no_log: %s" % found
    assert len(glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))) >= 20
