# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows agent's account lookups and RSOP query: only "no such account" / "no RSOP data" by exception TYPE.

Any other failure must not look like "not found" / "no GPO": a lookup throws an agent error, an RSOP query
that fails for another reason makes ``gpo_defined`` null (unknown).
"""
from __future__ import annotations

import re

import ps_tools


def lsa():
    return ps_tools.read(ps_tools.AGENT_DIR + "/25_lsa.ps1")


def test_a_lookup_is_null_only_for_unmapped_or_malformed_names():
    text = ps_tools.function_code("ConvertTo-AgentSid")
    assert "Test-AgentExceptionType" in text
    assert "'System.Security.Principal.IdentityNotMappedException'" in text
    assert "'System.ArgumentException'" in text
    assert ".Translate([System.Security.Principal.SecurityIdentifier])" in text
    # every other failure is thrown as an agent error (code by exception type), never returned as $null
    catch = text[text.index("} catch {"):]
    assert catch.count("return $null") == 1 and "Get-AgentErrorInfo" in catch and "throw (New-AgentError" in catch
    assert ".Message" not in text


def test_exception_types_are_matched_by_type_along_the_inner_exceptions():
    text = ps_tools.function_code("Test-AgentExceptionType")
    assert ".GetType()" in text and "$TypeName -contains $type.FullName" in text and ".BaseType" in text
    assert "Get-AgentExceptionChain -Failure $Failure" in text and ".Message" not in text
    chain = ps_tools.function_code("Get-AgentExceptionChain")
    assert "[System.Management.Automation.ErrorRecord]" in chain and ".InnerException" in chain


def test_rsop_absent_is_a_cim_exception_with_the_no_data_codes():
    codes = re.search(r"\$script:RsopAbsentCodes = @\(([^)]*)\)", lsa()).group(1)
    assert re.findall(r"'(\w+)'", codes) == ["InvalidNamespace", "InvalidClass", "NotFound"]
    text = ps_tools.function_code("Test-AgentRsopAbsent")
    assert "'Microsoft.Management.Infrastructure.CimException'" in text
    assert "$script:RsopAbsentCodes -contains [string]$walk.NativeErrorCode" in text
    assert ".Message" not in text


def test_any_other_rsop_error_makes_the_gpo_definition_unknown():
    text = ps_tools.function_code("Get-AgentRightGpo")
    first_catch = text[text.index("} catch {"):text.index("foreach ($row in $rows)")]
    assert "Test-AgentRsopAbsent -Failure $_" in first_catch
    assert "$out['gpo_defined'] = $null" in first_catch
    # a GPO account whose lookup throws is kept as written, the read does not fail for it
    assert "$sid = ConvertTo-AgentSid -Name $entry" in text and "$sid = $null" in text


def test_the_grant_refuses_a_change_while_the_gpo_definition_is_unknown():
    text = ps_tools.function_code("Invoke-EnsureUserRightGrant")
    assert "$null -eq $gpo['gpo_defined'] -and -not $override" in text
    refuse = text.index("$null -eq $gpo['gpo_defined']")
    for later in ("Save-AgentBackupJson", "$script:Ctx.Check)", "[NdesScep.Lsa]::Add"):
        assert text.index(later) > refuse, later
    assert "root\\rsop\\computer" in text and "override_gpo" in text
