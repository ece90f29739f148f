# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every fault scenario of the lab catalogue: each fault and variant alone, and the combinations."""
from __future__ import annotations

from ansible_collections.ndes.scep.plugins.module_utils._lab import certs, certstore, faults, healthy

FQDN = faults.DEFAULT_FQDN


def single():
    """``[(name, [fault])]``: the healthy lab, then every fault of the catalogue in every variant."""
    out = [("healthy", [])]
    for fault in faults.CATALOGUE:
        for variant in fault.variants:
            out.append(("%s-%s" % (fault.id, variant), [{"id": fault.id, "variant": variant}]))
    return out


def section_a_together():
    """Section A at once (default variants), in the largest sets the lab accepts together.

    url_not_403 and crs_windows_auth cannot show together (the failed install never created the
    CertificateRegistrationSvc application): one lab without each.
    """
    ids = [f.id for f in faults.CATALOGUE if f.section == "A"]
    return [("section_a-without-%s" % left, [i for i in ids if i != left]) for left in ("url_not_403", "crs_windows_auth")]


def everything_together():
    """Sections A and B at once (the first variant that combines), without the pairs the lab refuses."""
    chosen = []
    for fault in faults.CATALOGUE:
        if fault.id in ("url_not_403",):
            continue
        for variant in fault.variants:
            try:
                faults.normalize(chosen + [{"id": fault.id, "variant": variant}])
            except faults.FaultError:
                continue
            chosen.append({"id": fault.id, "variant": variant})
            break
    return [("sections_a_b-together", chosen)]


def all_scenarios():
    return single() + section_a_together() + everything_together()


def renewed_policy_cert(root):
    """What an admin does before policy_cert can fix an expired one: a new Client Authentication certificate."""
    cert, key = certs.issue(root, certs.name(FQDN), "NDESPolicyClientAuth", [FQDN], key=certs.new_key())
    return certstore.add(root, "My", cert, key, {"key_acl": healthy.admin_key_acl()})


# Every fix module with the arguments the remediate role would give it.
FIX_MODULES = [
    ("request_limits", {}), ("user_right", {}), ("certreg_auth", {}), ("policy_cert", {"auto": True}),
    ("app_pool", {}), ("root_store", {}), ("connector_service", {"certificate_connector": True}), ("ra_certs", {}),
    ("capi2_log", {}), ("mscep_templates", {"template": healthy.SCEP_TEMPLATE}), ("temp_acl", {}),
    ("reboot", {"only_if_required": True}), ("iis_restart", {"reset": True}), ("iis_restart", {"pools": ["SCEP"]}),
]
