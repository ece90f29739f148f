# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows agent's SID lookup before a grant, and its restore that leaves restored items alone (as the lab's)."""
from __future__ import annotations

import re

import pytest

import ps_tools
from ansible_collections.ndes.scep.plugins.module_utils._lab import agent as lab_agent

GRANTS = ["Invoke-EnsureUserRightGrant", "Invoke-EnsureFolderAclGrant", "Invoke-EnsureKeyAclGrant"]


def test_the_lookup_maps_the_sid_and_catches_the_unmapped_case_by_type():
    text = ps_tools.function_code("Test-AgentSidMapped")
    assert "System.Security.Principal.SecurityIdentifier" in text
    assert ".Translate([System.Security.Principal.NTAccount])" in text
    assert "catch [System.Security.Principal.IdentityNotMappedException]" in text
    assert "'not_found'" in text and "names no account" in text and "service account" in text
    assert ".Message" not in text                       # never the (localized) exception text
    assert "$script:Ctx.Backups" in text               # a restore replay does not look up


@pytest.mark.parametrize("name", GRANTS)
def test_each_grant_looks_the_sid_up_before_any_backup_or_change(name):
    text = ps_tools.function_code(name)
    lookup = text.find("Test-AgentSidMapped")
    assert lookup > 0, name
    for later in ("Save-AgentBackupJson", "$script:Ctx.Check)", "SetAccessControl", "[NdesScep.Lsa]::Add"):
        where = text.find(later)
        assert where < 0 or where > lookup, (name, later)


def _ps_table():
    text = ps_tools.read(ps_tools.AGENT_DIR + "/60_backup.ps1")
    block = re.search(r"\$script:AbsoluteRestores = \[ordered\]@\{(.*?)\n\}", text, re.S).group(1)
    return dict((kind, tuple(re.findall(r"'([a-z_]+)'", names)))
                for kind, names in re.findall(r"'([a-z_]+)'\s*=\s*@\(([^)]*)\)", block))


def test_restore_supersedes_the_same_targets_as_the_lab():
    assert _ps_table() == lab_agent.ABSOLUTE_RESTORES


def test_restore_reports_what_it_left_alone():
    text = ps_tools.function_code("Invoke-EnsureRestore")
    assert "Get-AgentSupersededItems" in text
    assert "unchanged = $unchanged" in text
    assert "$unchanged.Add(" in text
