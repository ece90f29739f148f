# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The facts option of the fix modules that decide on the controller from ndes.scep.info's facts."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  facts:
    description:
      - The C(ndes) facts of M(ndes.scep.info) (C(ansible_facts.ndes)); the remediate role passes them.
      - With facts the module decides on the controller and sends only the changes it needs in ONE agent call,
        or makes no call at all when the facts show nothing to do. The changes are idempotent and report
        before and after, so facts gathered earlier in the play are safe to pass.
      - Without facts it first reads what it needs (one call), then changes what must change (one more call).
    type: dict
"""
