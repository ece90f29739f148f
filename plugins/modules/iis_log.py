#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of ndes.scep.iis_log (the action plugin does the work)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: iis_log
short_description: Summarise the SCEP traffic in an NDES server's IIS and HTTP.sys logs
version_added: 0.1.0
description:
  - Reads, in ONE call of the host agent, only the part of the logs the time window needs, the site's W3C
    log files and the HTTP.sys HTTPERR files modified since the window starts (at most O(max_files) of each,
    the last O(max_bytes) of each file), and summarises them on the controller.
  - The site's log folder is resolved on the host from the site's id and its configured log directory
    (C(<logFile directory>\W3SVC<site id>)); nothing assumes C(W3SVC1).
  - Records are read by the C(#Fields) header in force at their line (IIS writes a new header each time
    logging restarts, and the field list may change). When only the tail of a file was read, the agent also
    sends the first bytes of the file, whose header then applies; without it the field list of the previous
    file, else of the next header in the tail, is assumed and RV(files) says so.
  - "Summarises requests to C(mscep.dll) and to C(CertificateRegistrationSvc) by operation (GetCACaps,
    GetCACert, PKIOperation), by C(sc-status.sc-substatus.sc-win32-status), by platform (from the user agent)
    and per hour, and the HTTP.sys rejections by reason and queue."
  - "Signals are mapped to C(FAULTS.md) ids: C(500 0 1346) on mscep.dll is C(IMPERSONATE_RIGHT); 404.14 and
    404.15 are C(REQUEST_LIMITS); HTTPERR C(AppOffline), C(Disabled), C(AppPoolTimer) or C(QueueFull) for the
    O(scep_pool) queue is C(APP_POOL_STOPPED); HTTPERR C(URL_Length), C(FieldLength) or C(RequestLength) is
    C(HTTPSYS_LIMITS); no mscep.dll request at all in the window is evidence for C(NETWORK_BLOCKED) when
    devices report attempts (see M(ndes.scep.device_log) and M(ndes.scep.probe))."
  - The controller never holds more than the agent's answer; files are parsed as they stream, each file's text
    is dropped once parsed, and no list of records is built.
  - Nothing is changed on the host; the module runs in check mode too.
options:
  site:
    description: IIS site that hosts NDES; its W3C log is read.
    type: str
    default: Default Web Site
  scep_pool:
    description: Application pool of the SCEP application; its HTTP.sys queue name is looked for in HTTPERR lines.
    type: str
    default: SCEP
  hours:
    description:
      - Length of the window in hours, ending at O(until) (or now, by the controller's clock).
      - Ignored when O(since) is set.
    type: int
    default: 24
  since:
    description:
      - Start of the window, ISO-8601 (for example C(2026-11-25T08:00:00Z)); without a zone the time is UTC, as
        IIS and HTTP.sys log in UTC.
      - Only files modified at or after it are read.
    type: str
  until:
    description: End of the window, ISO-8601 (UTC without a zone). Not set means up to now.
    type: str
  max_bytes:
    description:
      - At most this many bytes are read from the end of each file (cut forward to a line start).
      - A file cut this way is reported with C(truncated=true), and with a warning when the part read starts after
        the window does.
    type: int
    default: 4194304
  max_files:
    description:
      - At most this many files of each kind (W3C, HTTPERR), the newest ones.
      - Not set means one per day of the window plus one (IIS starts a new W3C file daily), at most 31.
    type: int
  httperr_dir:
    description:
      - Folder of the HTTP.sys error logs. Change it only when the C(ErrorLoggingDir) value of the HTTP
        service parameters moves it.
    type: str
    default: C:\Windows\System32\LogFiles\HTTPERR
extends_documentation_fragment:
  - ndes.scep.attributes.read
author:
  - ndes.scep contributors (@ndes-scep)
notes:
  - One remote call per host (RV(ndes_remote_calls)). On a Linux host the host variable C(ndes_lab_root) must name
    a lab NDES; its logs hold the traffic its HTTP face answered.
  - The window is computed with the controller's clock; a large clock difference with the host shifts it.
  - Only lines that mention C(/mscep/mscep.dll) or C(/CertificateRegistrationSvc) are parsed in the W3C log; the
    others are counted (C(prefiltered)) without being split, so malformed lines among them are not counted.
    HTTPERR lines are all parsed (a C(URL_Length) rejection carries no URI).
seealso:
  - module: ndes.scep.info
  - module: ndes.scep.device_log
  - module: ndes.scep.probe
"""

EXAMPLES = r"""
- name: SCEP traffic of the last 24 hours
  ndes.scep.iis_log:
  register: ndes_logs

- name: Show what the logs point at
  ansible.builtin.debug:
    msg: "{{ ndes_logs.faults }} from {{ ndes_logs.summary.w3c.mscep.requests }} mscep.dll requests"

- name: One morning, on a site with its own pool name
  ndes.scep.iis_log:
    site: NDES
    scep_pool: NDESPool
    since: "2026-11-25T06:00:00Z"
    until: "2026-11-25T12:00:00Z"

- name: A week, reading more of each file
  ndes.scep.iis_log:
    hours: 168
    max_bytes: 16777216
"""

RETURN = r"""
summary:
  description:
    - The log summary (C(log_summary.summarize_logs) of the collection), the shape M(ndes.scep.diagnose) consumes.
    - C(w3c) and C(httperr) are null when that log could not be read (see RV(files) and the warnings).
  returned: success
  type: dict
  sample:
    window: {since: "2026-11-24T21:00:00+00:00", until: null}
    w3c:
      records: 53
      mscep:
        requests: 40
        by_operation: {GetCACaps: 13, GetCACert: 15, PKIOperation: 12}
        by_status: {"200.0.0": 37, "500.0.1346": 3}
        by_platform: {windows: 12, android: 12, ios: 16, other: 0}
      certreg: {requests: 24}
      signals: [{signal: mscep_500_1346, fault: IMPERSONATE_RIGHT, count: 3, source: w3c}]
      no_mscep_requests: false
    httperr: {records: 1, by_reason: {Timer_ConnectionIdle: 1}, signals: []}
    signals: [{signal: mscep_500_1346, fault: IMPERSONATE_RIGHT, count: 3, source: w3c}]
    faults: [IMPERSONATE_RIGHT]
    no_mscep_requests: false
faults:
  description: The C(FAULTS.md) ids the logs show (the C(faults) of RV(summary)).
  returned: success
  type: list
  elements: str
  sample: [IMPERSONATE_RIGHT]
files:
  description: The files read, oldest first per kind.
  returned: success
  type: list
  elements: dict
  contains:
    kind:
      description: C(w3c) or C(httperr).
      type: str
    path:
      description: Path on the host.
      type: str
    size:
      description: Size of the file on the host, in bytes.
      type: int
    modified:
      description: Last write time (UTC).
      type: str
    offset:
      description: Byte offset where the part read starts.
      type: int
    truncated:
      description: Only the last O(max_bytes) of the file were read.
      type: bool
    bytes_read:
      description: Bytes of the part read (UTF-8).
      type: int
    first_record:
      description: Time of the first record (of the lines parsed) in the part read; a warning says when a cut file
        starts after the window does.
      type: str
    fields_from:
      description:
        - Where the field list for the first lines of the part read came from when the part starts after the
          file's header, C(head) (the file's own header, read from its first bytes), C(previous_file) or
          C(later_header) (assumed); null when the part read starts with its header.
      type: str
    assumed_fields:
      description: The field list of the first lines was assumed (C(previous_file) or C(later_header)).
      type: bool
  sample:
    - {kind: w3c, path: 'C:\inetpub\logs\LogFiles\W3SVC1\u_ex261125.log', size: 18211, truncated: false}
parse:
  description:
    - Parser statistics per log kind (null when that log was not read). Signal examples carry a C(line_no)
      counted from the start of the part read of their file.
  returned: success
  type: dict
  contains:
    w3c:
      description: "C(files), C(lines), C(records), C(prefiltered), C(blank), C(directives), C(header_blocks),
        C(field_changes), C(malformed) (C(field_count), C(bad_date), C(no_fields)), C(malformed_total),
        C(kinds), C(fields) (the distinct field lists), C(assumed_fields) (files)."
      type: dict
    httperr:
      description: The same for the HTTPERR files.
      type: dict
  sample:
    w3c: {files: 1, lines: 58, records: 53, prefiltered: 0, malformed: {field_count: 0, bad_date: 0, no_fields: 0},
          malformed_total: 0}
timeline:
  description: mscep.dll requests per UTC hour in the window, and how many of them got a status of 400 or more.
  returned: success
  type: list
  elements: dict
  sample: [{hour: "2026-11-25T19:00:00Z", requests: 31, errors: 1}]
site:
  description: The site whose log was read, its id, the log folder the host resolved, its log format, and the
    sites the host has.
  returned: success
  type: dict
  sample: {name: Default Web Site, id: 1, log_folder: 'C:\inetpub\logs\LogFiles\W3SVC1', log_format: W3C,
           known_sites: [Default Web Site]}
ndes_remote_calls:
  description: Remote module executions this task made on the host (always 1).
  returned: always
  type: int
  sample: 1
"""
