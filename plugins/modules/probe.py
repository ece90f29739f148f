#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.probe (the action plugin does the work, on the controller)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: probe
short_description: Probe an NDES SCEP URL from the network, as devices do
version_added: 0.1.0
description:
  - Sends the requests a device sends to the SCEP URL and reads the answers by status code, C(Server) header and
    locale-free page markers, one stage at a time, the bare URL (403.0 expected), GetCACaps, GetCACert for each
    platform of O(platforms) (the RA and CA certificates it returns, with days left) and a long PKIOperation GET
    of O(long_get_bytes) as iOS sends, which catches HTTP.sys and IIS request-filtering limits before devices do.
  - Maps what it sees to C(FAULTS.md) ids (RV(signals)) with the evidence of each; for example a 503 from
    HTTP.sys is C(APP_POOL_STOPPED), a 414 from HTTP.sys C(HTTPSYS_LIMITS), a 404 from IIS on the long request
    C(REQUEST_LIMITS), a 504 at the App Proxy C(PROXY_CONNECTOR_DOWN), no connection C(NETWORK_BLOCKED).
  - An unhealthy NDES is a result, not a module failure. The task fails only when the probe cannot run (no URL,
    a malformed URL, a missing O(ca_bundle)), or when O(fail_on_signals) says so.
  - The probe runs in the action plugin, on the controller, and never contacts the inventory host through its
    connection (no remote call). With C(delegate_to) it still runs on the controller, so the network view is
    always the controller's; to probe from elsewhere, run the play on a controller there.
options:
  url:
    description:
      - The SCEP URL of the Intune profile, for example C(https://ndes.contoso.com/certsrv/mscep/mscep.dll)
        or the App Proxy external URL.
      - When not set, the URL of a lab's HTTP face is read from C(<lab>/run/server.json) of O(lab_root).
    type: str
  lab_root:
    description:
      - Path of a lab NDES on the controller whose running HTTP face is probed when O(url) is not set.
      - Defaults to the host variable C(ndes_lab_root).
    type: path
  validate_certs:
    description: Verify the server's TLS certificate and host name.
    type: bool
    default: true
  ca_bundle:
    description: PEM file of the CA certificates to trust instead of the controller's default store.
    type: path
  timeout:
    description: Seconds to wait for the connection and for each answer.
    type: float
    default: 10.0
  long_get_bytes:
    description:
      - Length in bytes of the long PKIOperation request target (iOS sends tens of kilobytes in the URL).
      - V(0) skips that stage.
    type: int
    default: 40000
  platforms:
    description: Platforms whose GetCACert request is sent (each sends its own C(message) value).
    type: list
    elements: str
    choices: [windows, android, ios]
    default: [windows, android, ios]
  warn_days:
    description: RA certificates that expire within this many days are a warning.
    type: int
    default: 30
  expect_app_proxy:
    description:
      - The URL is the Microsoft Entra application proxy external URL devices use from the internet. A 504 is
        then C(PROXY_CONNECTOR_DOWN), and a host outside C(*.msappproxy.net) an C(APP_PROXY_URL) warning.
      - Without O(url), the lab's App Proxy front (C(app_proxy_url)) is probed.
    type: bool
    default: false
  fail_on_signals:
    description:
      - Fail the task when one of these C(FAULTS.md) ids is among RV(signals), or on any signal with V(any),
        for verification after remediation (a rolling run stops at the first host that fails).
      - Signals whose only evidence is a warning (an RA certificate expiring within O(warn_days), a URL outside
        C(*.msappproxy.net)) never fail the task.
      - When it is set, a URL that gives no HTTP answer at all fails the task too (nothing could be verified).
    type: list
    elements: str
    choices: [any, IMPERSONATE_RIGHT, URL_NOT_403, APP_POOL_STOPPED, ROOT_INTERMEDIATES, CRL_UNREACHABLE,
              CRS_WINDOWS_AUTH, POLICY_CERT_EXPIRED, PROXY_CONNECTOR_DOWN, REQUEST_LIMITS, HTTPSYS_LIMITS,
              APP_PROXY_URL, SERVICE_ACCOUNT, NETWORK_BLOCKED, RA_CERT_EXPIRED, POLICY_CERT_CN]
    default: []
extends_documentation_fragment:
  - ndes.scep.attributes.read
author:
  - ndes.scep contributors (@ndes-scep)
notes:
  - The probe sends only GET requests that NDES answers without issuing anything; its PKIOperation message is not
    a real request. It also runs in check mode.
  - O(lab_root) is read on the controller, so the lab must be on the controller (a lab inventory with
    C(ansible_connection=local)); for a lab elsewhere give O(url).
seealso:
  - module: ndes.scep.iis_log
  - module: ndes.scep.device_log
"""

EXAMPLES = r"""
- name: Probe the internal SCEP URL
  ndes.scep.probe:
    url: https://ndes.contoso.com/certsrv/mscep/mscep.dll
  register: scep

- name: Probe the external App Proxy URL, trusting a private CA
  ndes.scep.probe:
    url: https://ndes-contoso.msappproxy.net/certsrv/mscep/mscep.dll
    expect_app_proxy: true
    ca_bundle: /etc/pki/contoso-root.pem

- name: Verify after remediation; stop a rolling run at the first host that still shows these faults
  ndes.scep.probe:
    url: "https://{{ ansible_host }}/certsrv/mscep/mscep.dll"
    fail_on_signals: [APP_POOL_STOPPED, REQUEST_LIMITS, HTTPSYS_LIMITS, IMPERSONATE_RIGHT]
  delegate_to: localhost

- name: Probe a lab's HTTP face (ndes_lab_root names the lab)
  ndes.scep.probe:
    validate_certs: false
"""

RETURN = r"""
url:
  description: The URL probed.
  returned: success
  type: str
  sample: https://ndes.contoso.com/certsrv/mscep/mscep.dll
host:
  description: Host of the URL.
  returned: success
  type: str
  sample: ndes.contoso.com
app_proxy:
  description: The URL was probed as an App Proxy URL.
  returned: success
  type: bool
checks:
  description:
    - One entry per stage (C(bare_url), C(getcacaps), C(long_get), and C(getcacert) per platform) with
      C(status), C(substatus), C(layer) (C(httpsys), C(iis), C(app_proxy), C(other), C(none)), C(page),
      C(verdict) (C(ok), C(fault), C(unexpected), C(error), C(skipped)) and C(detail).
  returned: success
  type: dict
  sample:
    bare_url: {status: 403, layer: iis, verdict: ok, detail: "403: mscep.dll intercepts the request"}
ca_certs:
  description: CA certificates GetCACert returned.
  returned: success
  type: list
  elements: dict
ra_certs:
  description: RA certificates GetCACert returned (with C(ra_kind), C(not_after), C(days_left), C(expired)).
  returned: success
  type: list
  elements: dict
other_certs:
  description: Other certificates GetCACert returned.
  returned: success
  type: list
  elements: dict
signals:
  description: The C(FAULTS.md) ids the answers point at, in catalogue order.
  returned: success
  type: list
  elements: str
  sample: [REQUEST_LIMITS]
signal_levels:
  description: The strongest confidence of each signal, C(observed), C(candidate) (one possible cause of what
    was seen) or C(warning).
  returned: success
  type: dict
  sample: {REQUEST_LIMITS: observed}
evidence:
  description: Why each id was signalled, per stage, with C(confidence) and C(detail).
  returned: success
  type: list
  elements: dict
  sample:
    - {id: REQUEST_LIMITS, stage: long_get, confidence: observed, detail: IIS request filtering 404.15}
failures:
  description: Stages that got no usable answer, with a class (C(dns), C(connect_refused), C(tls_verify), ...).
  returned: success
  type: list
  elements: dict
reached:
  description: The bare URL got an HTTP answer.
  returned: success
  type: bool
  sample: true
healthy:
  description: The URL answered and nothing but warnings was signalled, and no stage failed.
  returned: success
  type: bool
  sample: true
matched:
  description: The signals that matched O(fail_on_signals) (the reason the task failed).
  returned: success
  type: list
  elements: str
  sample: []
elapsed_ms:
  description: Time the probe took.
  returned: success
  type: int
ndes_remote_calls:
  description: Remote module executions this task made on the host (always 0).
  returned: always
  type: int
  sample: 0
"""
