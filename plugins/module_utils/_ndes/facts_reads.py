# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Access to raw read results by op id that turns every failed or missing read into an ``unknown`` entry."""
from __future__ import annotations

OK = "ok"
NOT_FOUND = "not_found"
FAILED = "failed"
MISSING = "missing"


class Reads:
    """``get(op_id, path)`` -> ``(state, data)``; failures are listed in ``unknown`` ({path, reason})."""

    def __init__(self, results_by_id):
        self.results = results_by_id or {}
        self.unknown = []

    def note(self, path, reason):
        if not any(u["path"] == path and u["reason"] == reason for u in self.unknown):
            self.unknown.append({"path": path, "reason": reason})

    def get(self, op_id, path, not_found_ok=False, quiet=False):
        """State ``ok`` (data dict), ``not_found`` (error dict, when ``not_found_ok``), ``failed`` or ``missing``.

        ``quiet``: do not list a failure as unknown (the caller decides).
        """
        result = self.results.get(op_id)
        if result is None:
            if not quiet:
                self.note(path, "not gathered: read %r was not in the request" % op_id)
            return MISSING, None
        status = result.get("status")
        if status == "ok":
            return OK, result.get("data") or {}
        error = result.get("error") or {}
        if status == "failed" and error.get("code") == "not_found" and not_found_ok:
            return NOT_FOUND, error
        if not quiet:
            self.note(path, reason_of(op_id, result))
        return (FAILED if status == "failed" else MISSING), error or None


def reason_of(op_id, result):
    """``read service_account (ad_account) failed: access_denied: ...`` for the unknown list."""
    error = result.get("error") or {}
    if result.get("status") == "failed":
        return "read %s (%s) failed: %s: %s" % (op_id, result.get("kind"), error.get("code"),
                                                error.get("message"))
    return "read %s (%s) has status %s" % (op_id, result.get("kind"), result.get("status"))
