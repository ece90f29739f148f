# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Static checks of the Windows agent: Windows PowerShell 5.1 syntax only, banned APIs, dispatch = contract."""
from __future__ import annotations

import os
import re

import pytest

import ps_tools
from ansible_collections.ndes.scep.plugins.module_utils._agent import contract

PS1_FILES = ps_tools.all_ps1()
PARTS = ps_tools.agent_parts()
SCRIPT = "\n".join(ps_tools.read(p) for p in PARTS)
DISPATCH = os.path.join(ps_tools.AGENT_DIR, "90_dispatch.ps1")


def _rel(path):
    return os.path.relpath(path, ps_tools.ROOT)


# ------------------------------------------------------------------ PowerShell 7-only syntax
@pytest.mark.parametrize("path", PS1_FILES, ids=_rel)
def test_no_powershell7_only_syntax(path):
    assert ps_tools.ps7_problems(ps_tools.read(path)) == []


@pytest.mark.parametrize("snippet,what", [
    ("$a = $b ?? 'x'", "null-coalescing ?? / ??="),
    ("$a ??= 1", "null-coalescing ?? / ??="),
    ("$n = ${user}?.Name", "null-conditional ?. / ?["),
    ("$n = ${list}?[0]", "null-conditional ?. / ?["),
    ("$x = $c ? 1 : 2", "ternary ? :"),
    ("Get-Item a && Get-Item b", "pipeline chain && / ||"),
    ("Get-Item a || Write-Output b", "pipeline chain && / ||"),
    ("1..3 | ForEach-Object -Parallel { $_ }", "ForEach-Object -Parallel"),
    ("function f { process { 1 } clean { 2 } }", "clean {} block"),
])
def test_the_powershell7_check_fails_on_each_construct(snippet, what):
    assert what in [w for _line, w in ps_tools.ps7_problems(snippet)]


@pytest.mark.parametrize("snippet", [
    "$a = 'x ?? y && z || w'",                          # inside a string
    "# $a ?? $b && c\n$x = 1",                          # inside a comment
    "$ok = $a -and $b -or $c",
    "$items | ? { $_ -gt 1 }",                           # ? is Where-Object
    "$h = @{ a = 1 }; $v = $h['a']",
    "$m = [regex]::Match('a', '(?<n>a)?.b')",
])
def test_the_powershell7_check_passes_powershell5_code(snippet):
    assert ps_tools.ps7_problems(snippet) == []


# ------------------------------------------------------------------ banned APIs
@pytest.mark.parametrize("path", PS1_FILES, ids=_rel)
def test_no_banned_api(path):
    assert ps_tools.banned_problems(ps_tools.read(path)) == []


@pytest.mark.parametrize("snippet,what", [
    ("$t = $_.Exception.Message", ".Message (localized exception text)"),
    ("$s = (Get-Service w3svc).DisplayName", "DisplayName (localized)"),
    ("$n = $oid.FriendlyName", "FriendlyName (localized)"),
    ("$text = $ext.Format($true)", "X509Extension.Format() (localized)"),
    ("Invoke-Expression $cmd", "Invoke-Expression"),
    ("iex $cmd", "iex"),
    ("$b = [scriptblock]::Create($text)", "[scriptblock]::Create"),
    ("& certutil.exe -store My", "certutil (console output)"),
    ("secedit /export /cfg x.inf", "secedit (console output)"),
    ("& $env:windir\\system32\\inetsrv\\appcmd.exe list site", "appcmd (console output)"),
    ("& net.exe user svc /domain", "net.exe"),
    ("net user svc /domain", "net.exe"),
])
def test_the_ban_list_fails_on_each_api(snippet, what):
    assert what in [w for _line, w in ps_tools.banned_problems(snippet)]


def test_the_ban_list_ignores_comments_only():
    assert ps_tools.banned_problems("# never .Message, DisplayName, certutil or iex here\n$x = 1") == []
    # string contents still count: a command line in a string is still that command
    assert ps_tools.banned_problems("$cmd = 'certutil -store My'") != []


# ------------------------------------------------------------------ agent structure
def _top_level_problems(text):
    """Top-level statements other than function definitions and $script: assignments."""
    source = text.encode("utf-8")
    out = []
    root = ps_tools.parse(text).root_node
    for child in root.children:
        statements = child.children if child.type == "statement_list" else [child]
        for node in statements:
            if node.type in ("comment", "function_statement", "empty_statement"):
                continue
            body = source[node.start_byte:node.end_byte].decode("utf-8")
            if node.type == "pipeline" and re.match(r"^\$script:\w+\s*=", body):
                continue
            out.append((node.start_point[0] + 1, body.splitlines()[0][:60]))
    return out


@pytest.mark.parametrize("path", PARTS[1:-1], ids=_rel)
def test_middle_parts_only_define_functions_and_tables(path):
    assert _top_level_problems(ps_tools.read(path)) == []


def test_the_structure_check_fails_on_a_running_statement():
    assert _top_level_problems("function f { 1 }\n$script:x = 1\nf\n") == [(3, "f")]
    assert _top_level_problems("$local = 2\n") == [(1, "$local = 2")]


def output_problems(script, main):
    """The joined script must write exactly one object, from main, and nothing to the host."""
    out = []
    masked = ps_tools.code_mask(script)
    count = len(re.findall(r"\bWrite-Output\b", masked))
    if count != 1:
        out.append("%d Write-Output calls (want 1)" % count)
    if not re.search(r"^Write-Output \(ConvertTo-AgentJson -InputObject \$response\)\s*$", ps_tools.code_mask(main), re.MULTILINE):
        out.append("main does not end with Write-Output (ConvertTo-AgentJson -InputObject $response)")
    if re.search(r"\bWrite-Host\b", masked, re.IGNORECASE):
        out.append("Write-Host")
    return out


def test_the_script_writes_one_output_only_in_main():
    assert output_problems(SCRIPT, ps_tools.read(PARTS[-1])) == []


def test_the_output_check_fails_on_extra_output():
    main = ps_tools.read(PARTS[-1])
    assert output_problems(SCRIPT + "\nWrite-Output 'debug'\n", main) == ["2 Write-Output calls (want 1)"]
    assert output_problems(SCRIPT + "\nWrite-Host 'debug'\n", main) == ["Write-Host"]
    assert output_problems(SCRIPT, "$x = 1") != []


def test_the_agent_declares_should_process_and_a_mandatory_request():
    first = ps_tools.read(PARTS[0])
    assert "[CmdletBinding(SupportsShouldProcess)]" in first
    assert re.search(r"\[Parameter\(Mandatory\)\]\s*\[string\]\$Request", first)
    assert "Set-StrictMode -Version 2" in first and "$ErrorActionPreference = 'Stop'" in first


def test_the_agent_does_not_use_convertto_json():
    # PS 5.1 ConvertTo-Json: depth 2, \/Date()\/, enums as numbers, one-element arrays unwrapped
    assert not re.search(r"ConvertTo-Json\b", ps_tools.code_mask(SCRIPT), re.IGNORECASE)


def command_problems(text):
    """-Filter with anything but constant single-quoted text; process starts from a command string."""
    out = []
    masked = ps_tools.code_mask(text)
    for start in [m.start() for m in re.finditer(r"-Filter\s", masked)]:
        if not re.match(r"-Filter\s+'[^'$]*'", text[start:]):
            out.append("-Filter not constant: %s" % text[start:start + 40].splitlines()[0])
    for banned in (r"\bStart-Process\b", r"\bcmd(\.exe)?\s+/c\b", r"\[System\.Diagnostics\.Process\]::Start"):
        if re.search(banned, masked, re.IGNORECASE):
            out.append(banned)
    return out


def test_no_request_data_in_wql_filters_or_native_command_strings():
    assert re.search(r"-Filter\s", SCRIPT)
    assert command_problems(SCRIPT) == []


@pytest.mark.parametrize("snippet", [
    "Get-CimInstance Win32_Service -Filter \"Name='$name'\"",
    "Get-CimInstance Win32_Service -Filter $filter",
    "Get-CimInstance Win32_Service -Filter ('Name=' + $n)",
    "Start-Process certreq.exe -ArgumentList $line",
    "cmd /c \"certreq -submit $x\"",
])
def test_the_command_check_fails_on_spliced_commands(snippet):
    assert command_problems(snippet) != []


# ------------------------------------------------------------------ dispatch table = contract
def dispatch_problems(table, kinds, functions):
    """Differences between the agent's dispatch table and contract.KINDS, and handlers not defined."""
    out = []
    for kind in sorted(set(kinds) - set(table)):
        out.append("kind %s missing from the dispatch table" % kind)
    for kind in sorted(set(table) - set(kinds)):
        out.append("kind %s is not in contract.KINDS" % kind)
    for kind in sorted(set(table) & set(kinds)):
        category, handler, args = table[kind]
        if category != kinds[kind][0]:
            out.append("kind %s: category %s, contract says %s" % (kind, category, kinds[kind][0]))
        if args != kinds[kind][1]:
            out.append("kind %s: args %r, contract says %r" % (kind, args, kinds[kind][1]))
        if handler not in functions:
            out.append("kind %s: handler %s is not defined" % (kind, handler))
    return out


def test_the_dispatch_table_names_exactly_the_contract_kinds():
    table = ps_tools.dispatch_table(ps_tools.read(DISPATCH))
    assert list(table) == list(contract.KINDS)
    assert dispatch_problems(table, contract.KINDS, ps_tools.defined_functions(SCRIPT)) == []


def test_the_dispatch_check_fails_on_a_drift():
    table = ps_tools.dispatch_table(ps_tools.read(DISPATCH))
    functions = ps_tools.defined_functions(SCRIPT)
    missing = dict(table)
    del missing["cert_chain"]
    assert dispatch_problems(missing, contract.KINDS, functions) == ["kind cert_chain missing from the dispatch table"]
    extra = dict(table, bogus=("read", "Read-AgentSystem", {}))
    assert dispatch_problems(extra, contract.KINDS, functions) == ["kind bogus is not in contract.KINDS"]
    wrong = dict(table, system=("ensure", "Read-AgentSystem", {}))
    assert dispatch_problems(wrong, contract.KINDS, functions) == ["kind system: category ensure, contract says read"]
    args = dict(table, folder_acl=("read", "Read-AgentFolderAcl", {"path": "int"}))
    assert len(dispatch_problems(args, contract.KINDS, functions)) == 1
    undefined = dict(table, system=("read", "Read-AgentNothing", {}))
    assert dispatch_problems(undefined, contract.KINDS, functions) == ["kind system: handler Read-AgentNothing is not defined"]


def test_restore_only_handlers_are_defined():
    text = ps_tools.read(DISPATCH)
    block = text[text.index("$script:RestoreOnlyKinds"):]
    block = block[:block.index("\n}")]
    handlers = dict(re.findall(r"'(\w+)'\s*=\s*'([\w-]+)'", block))
    assert set(handlers) == {"file_restore", "key_acl_set", "folder_acl_set", "cert_unarchive"}
    functions = ps_tools.defined_functions(SCRIPT)
    assert all(h in functions for h in handlers.values())


def test_error_codes_used_are_contract_codes():
    codes = set(re.findall(r"New-AgentError\s+-Code\s+'(\w+)'", SCRIPT))
    codes |= set(re.findall(r"return '(\w+)'", ps_tools.read(os.path.join(ps_tools.AGENT_DIR, "03_errors.ps1"))))
    codes |= set(re.findall(r"-Code '(\w+)'", SCRIPT))
    assert codes and codes <= set(contract.ERROR_CODES), codes - set(contract.ERROR_CODES)


def test_placeholders_match_the_contract():
    text = ps_tools.read(os.path.join(ps_tools.AGENT_DIR, "15_request.ps1"))
    block = text[text.index("$script:PlaceholderArgs"):]
    block = block[:block.index("\n}")]
    table = {}
    for kind, arg, names in re.findall(r"'(\w+)\.(\w+)'\s*=\s*@\(([^)]*)\)", block):
        table[(kind, arg)] = tuple(re.findall(r"'(\w+)'", names))
    assert table == contract.PLACEHOLDER_ARGS
    resolvers = set(re.findall(r"^\s*'(\w+)' \{", text[text.index("function Resolve-AgentPlaceholderValue"):], re.MULTILINE))
    assert resolvers == set(contract.PLACEHOLDERS)


def test_every_defined_function_is_defined_once():
    names = re.findall(r"^\s*function\s+([\w-]+)", ps_tools.code_mask(SCRIPT), re.MULTILINE | re.IGNORECASE)
    assert len(names) == len(set(n.lower() for n in names))


def test_every_called_agent_function_is_defined():
    functions = set(f.lower() for f in ps_tools.defined_functions(SCRIPT))
    masked = ps_tools.code_mask(SCRIPT)
    called = set(m.lower() for m in re.findall(
        r"\b((?:Get|Set|New|Read|Invoke|Test|ConvertTo|ConvertFrom|Find|Open|Split|Save|Enter|Exit|Initialize|"
        r"Resolve|Stop|Wait|Assert|Export|Write|Format)-(?:Agent|Ansible)\w*)", masked))
    assert called - functions == set()


def test_calls_use_declared_parameters():
    assert ps_tools.call_problems(SCRIPT) == []


def test_the_parameter_check_fails_on_an_unknown_parameter():
    snippet = "function Get-AgentX {\n    param([string]$Code, [switch]$Flag)\n}\nGet-AgentX -Code 1 -Flag:$true\nGet-AgentX -Kode 1\n"
    assert ps_tools.call_problems(snippet) == [(5, "Get-AgentX has no parameter -kode")]
