#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.device_log (the action plugin does the work, on the controller)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: device_log
short_description: Triage a device's SCEP log (Android OMADM, iOS/iPadOS debug log, Windows event 36)
version_added: 0.1.0
description:
  - Reads a log a device wrote while it tried to get its SCEP certificate and says how far the device got,
    which NDES URL it used, whether that URL is on C(*.msappproxy.net), the last error, and which
    C(FAULTS.md) ids the log points at (RV(findings_hint)).
  - "Understands the Company Portal OMADM log of Android (C(Sending GetCACaps(ca) to ...),
    C(Received '200 OK' when sending ...)), the C(profiled) lines of an iOS/iPadOS debug log
    (C(Performing synchronous URL request)), and events of the Windows provider
    C(Microsoft-Windows-DeviceManagement-Enterprise-Diagnostics-Provider) exported as C(wevtutil qe /f:xml)
    XML or C(Get-WinEvent | ConvertTo-Json) JSON (event 36 carries the NDES URL; 32 and 308 failures)."
  - Windows events are read by id and insertion-string position, never by their localized message; network
    errors by their codes (NSURLError codes, WinHTTP and HTTP_E_STATUS HRESULTs, Java exception class names).
  - It runs on the controller and never contacts the host (no remote call); the log file is read on the
    controller.
options:
  path:
    description:
      - Path of the log file on the controller. A relative path is looked up like a C(files/) file of the
        role or playbook.
      - Exactly one of O(path) and O(content) is required.
    type: path
  content:
    description: The log itself (text, event XML or event JSON).
    type: str
  platform:
    description:
      - Which device wrote the log. V(auto) recognises Windows events by their format and Android and iOS
        logs by their key strings.
    type: str
    choices: [auto, android, ios, windows]
    default: auto
extends_documentation_fragment:
  - ndes.scep.attributes.read
author:
  - ndes.scep contributors (@ndes-scep)
notes:
  - "Hints are leads, not findings: C(NETWORK_BLOCKED) means the device tried and the log shows no answer
    (or a network error); confirm it with the IIS log window of M(ndes.scep.iis_log), where the request is
    then missing. C(APP_PROXY_URL) is a warning when the URL is not under C(.msappproxy.net); a custom App
    Proxy domain is legitimate."
seealso:
  - module: ndes.scep.iis_log
  - module: ndes.scep.probe
"""

EXAMPLES = r"""
- name: Triage the OMADM log a user sent from Company Portal
  ndes.scep.device_log:
    path: /tmp/omadmlog.log
  delegate_to: localhost
  run_once: true
  register: android

- name: Triage Windows events exported on the device
  ndes.scep.device_log:
    path: files/dmedp-events.xml
    platform: windows

- name: Triage a pasted iOS excerpt
  ndes.scep.device_log:
    content: "{{ ios_excerpt }}"
    platform: ios
  register: ios

- name: Say where enrolment stopped
  ansible.builtin.debug:
    msg: "{{ ios.stage_reached }} at {{ ios.ndes_url }}; look at {{ ios.findings_hint | join(', ') }}"
"""

RETURN = r"""
platform:
  description: The platform the log was read as (C(android), C(ios), C(windows) or C(unknown)).
  returned: success
  type: str
  sample: android
stage_reached:
  description:
    - The furthest step the log shows the device attempting, in order C(none), C(request_queued),
      C(getcacaps), C(getcacert), C(csr_sent_get), C(pkioperation), C(certificate_installed).
  returned: success
  type: str
  sample: getcacaps
ndes_url:
  description: The last SCEP URL the log shows (scheme, host, port and path; no query).
  returned: success
  type: str
  sample: https://ndes-contoso.msappproxy.net/certsrv/mscep/mscep.dll
url_host:
  description: Host of RV(ndes_url), lower case.
  returned: success
  type: str
  sample: ndes-contoso.msappproxy.net
uses_msappproxy:
  description: The host is under C(.msappproxy.net) (the App Proxy default domain).
  returned: success
  type: bool
  sample: true
last_error:
  description: The last error line of the log (cut at 300 characters), or a line made from the failure event.
  returned: success
  type: str
  sample: "Received '503 Service Unavailable' when sending GetCACaps(ca) to https://..."
attempted:
  description: The device sent a request to the NDES URL.
  returned: success
  type: bool
responded:
  description: The log shows an answer from the server (null when nothing was attempted).
  returned: success
  type: bool
last_status:
  description: HTTP status of the last answer the log shows, when it shows one.
  returned: success
  type: int
  sample: 503
network_error:
  description: C(timeout), C(connect), C(connection_lost), C(dns) or C(tls), from the error codes in the log.
  returned: success
  type: str
findings_hint:
  description: The C(FAULTS.md) ids the log points at, in catalogue order.
  returned: success
  type: list
  elements: str
  sample: [APP_POOL_STOPPED]
hints:
  description: Why each id is hinted, with its confidence (C(observed), C(candidate) or C(warning)).
  returned: success
  type: list
  elements: dict
  sample:
    - {id: APP_POOL_STOPPED, confidence: observed, detail: the server answered 503 to GetCACaps}
events:
  description: The SCEP lines or events recognised (at most 1000, the last ones), with line or event number.
  returned: success
  type: list
  elements: dict
  sample:
    - {n: 4, time: "2025-06-12T07:16:09.5530000", kind: request, stage: getcacaps, operation: GetCACaps,
       url: "https://ndes-contoso.msappproxy.net/certsrv/mscep/mscep.dll", status: null, error: false}
source:
  description: The file read (on the controller), or C(content).
  returned: success
  type: str
  sample: /tmp/omadmlog.log
ndes_remote_calls:
  description: Remote module executions this task made on the host (always 0).
  returned: always
  type: int
  sample: 0
"""
