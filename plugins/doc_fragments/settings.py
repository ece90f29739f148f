# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options that say where NDES lives on a host (shared by info and diagnose)."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  site:
    description: IIS site that hosts NDES.
    type: str
    default: Default Web Site
  scep_app_path:
    description: Path of the IIS application that serves C(mscep.dll), inside O(site).
    type: str
    default: /certsrv/mscep
  certreg_app_path:
    description: Path of the Intune connector's CertificateRegistrationSvc application, inside O(site).
    type: str
    default: /CertificateRegistrationSvc
  scep_pool:
    description: Name of the IIS application pool that runs the SCEP application.
    type: str
    default: SCEP
  service_account:
    description:
      - NDES service account as C(DOMAIN\\user).
      - When not set, the identity of O(scep_pool) is used (when it is a specific user).
    type: str
  warn_days:
    description: Certificates that expire within this many days are reported as expiring soon.
    type: int
    default: 30
  event_hours:
    description: How many hours of event-log history to read (crash events, connector errors).
    type: int
    default: 72
  scep_template:
    description:
      - Certificate template name the MSCEP C(*Template) registry values must name.
      - When not set, only the Windows default C(IPSECIntermediateOffline) is reported.
    type: str
  external_names:
    description: Host names (for example the App Proxy external name) the NDES policy certificate must also cover.
    type: list
    elements: str
    default: []
  expect_proxy_connector:
    description: The Microsoft Entra application proxy connector (C(WAPCSvc)) is expected to run on this host.
    type: bool
    default: false
"""
