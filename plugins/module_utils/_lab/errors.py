# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception the lab agent's op handlers raise: a contract error code plus a message that says what to do."""
from __future__ import annotations


class AgentError(Exception):
    def __init__(self, code, message):
        super(AgentError, self).__init__(message)
        self.code = code
        self.message = message


class LabNotFound(Exception):
    """The root given to the agent holds no lab."""


class PendingValue(AgentError):
    """Check mode: an ``@result:`` reference whose op produces its value only in a real run (the op is not_run)."""

    def __init__(self, message):
        super(PendingValue, self).__init__("not_found", message)
