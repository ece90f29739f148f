# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The check_mode / diff_mode / platform attributes, one variant per kind of module (no bare DOCUMENTATION).

``ndes.scep.attributes.fix``: a fix through the agent (check mode predicted by the agent, diff, Windows or lab).
``ndes.scep.attributes.read``: reads and reports only (no diff).
``ndes.scep.attributes.facts``: on top of one of those, for a module that returns ``ansible_facts``.
A module that differs in a detail (the lab modules: POSIX only) keeps its own ``attributes`` entry for it: the
module's keys win over the fragment's.
"""
from __future__ import annotations


class ModuleDocFragment:
    FIX = r"""
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: The agent predicts each change; nothing is written and no backup is made.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: [windows, posix]
    details: A Windows NDES server, or a lab NDES on a Linux host (host variable C(ndes_lab_root)).
"""

    READ = r"""
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: [windows, posix]
"""

    FACTS = r"""
attributes:
  facts:
    description: Action returns an C(ansible_facts) dictionary that will update existing host facts.
    support: full
"""
