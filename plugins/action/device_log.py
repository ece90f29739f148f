# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ndes.scep.device_log: triage on the controller, no remote call."""
from __future__ import annotations

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.ndes.scep.plugins.module_utils._formats.device_logs import analyze_device_log
from ansible_collections.ndes.scep.plugins.module_utils._ndes.device_triage import triage
from ansible_collections.ndes.scep.plugins.plugin_utils._action_base import NdesAction

MAX_FILE_BYTES = 256 * 1024 * 1024


class ActionModule(NdesAction):
    NEEDS_AGENT = False
    ARGUMENT_SPEC = {
        "path": {"type": "path"},
        "content": {"type": "str"},
        "platform": {"type": "str", "choices": ["auto", "android", "ios", "windows"], "default": "auto"},
    }
    MUTUALLY_EXCLUSIVE = (("path", "content"),)
    REQUIRED_ONE_OF = (("path", "content"),)

    def _read(self, path):
        try:
            found = self._find_needle("files", path)
        except AnsibleError as exc:
            raise AnsibleActionFail("device log %s was not found on the controller: %s" % (path, to_native(exc)))
        try:
            with open(found, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise AnsibleActionFail("device log %s could not be read on the controller: %s" % (found, exc))
        if len(data) > MAX_FILE_BYTES:
            raise AnsibleActionFail("device log %s is larger than %d MB: cut it to the enrolment attempt" % (
                found, MAX_FILE_BYTES // (1024 * 1024)))
        return found, data

    def act(self, args):
        if args["path"] is not None:
            source, data = self._read(args["path"])
        else:
            source, data = "content", args["content"]
        platform = None if args["platform"] == "auto" else args["platform"]
        try:
            analysis = analyze_device_log(data, platform)
        except (ValueError, SyntaxError) as exc:  # event XML with a DTD; malformed XML (ParseError)
            raise AnsibleActionFail("%s could not be read as a device log: %s" % (source, exc))
        result = triage(analysis)
        result["source"] = source
        return result
