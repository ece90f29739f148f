# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""MSCEP_TEMPLATES: SignatureTemplate, EncryptionTemplate, GeneralPurposeTemplate set to the template name."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._ndes.fixes import _common as c

SECTIONS = ("mscep_templates",)
MSCEP_KEY = r"HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP"
# (registry value, facts key)
VALUES = (("SignatureTemplate", "signature_template"), ("EncryptionTemplate", "encryption_template"),
          ("GeneralPurposeTemplate", "general_purpose_template"))
DEFAULT_TEMPLATE = "IPSECIntermediateOffline"


def reads(args, facts):
    del args, facts
    return []


def plan(args, facts, reads):
    del reads
    result = c.Plan()
    template = (args["template"] or "").strip()
    if not template:
        raise c.FixError("template is empty: give the certificate template *name* (not its display name) that the "
                         "Intune SCEP profile uses, e.g. NDESIntune.")
    if " " in template:
        result.warnings.append("%r contains a space: template names usually do not (display names do). NDES needs the "
                               "template name, as certutil -template lists it." % template)
    report = {}
    for name, key in VALUES:
        current = c.dig(facts, "mscep_templates." + key)
        report[name] = current
        if current != template:
            result.ensure(name, "registry_value", {"path": MSCEP_KEY, "name": name, "type": "REG_SZ",
                                                   "value": template})
    result.fields.update({"template": template, "before": report})
    if result.ops:
        result.restarts.append(c.restart("iis", None, "reset", "NDES reads the MSCEP template values at start"))
    return result


def finish(args, plan, results):
    wrong = [op_id for op_id, _k, op_args in plan.ops if c.ensure_after(results, op_id).get("value") != op_args["value"]]
    if wrong:
        return {}, "%s did not take the value %r; check the agent's access to %s and rerun." % (
            ", ".join(wrong), plan.fields["template"], MSCEP_KEY)
    return {}, None
