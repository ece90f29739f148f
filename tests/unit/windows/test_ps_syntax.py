# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every PowerShell file under plugins/ (and the joined Windows agent) parses; its C# is C# 5."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

import ps_tools
from ansible_collections.ndes.scep.plugins.plugin_utils import _action_base

PS1_FILES = ps_tools.all_ps1()
PARTS = ps_tools.agent_parts()


def _rel(path):
    return os.path.relpath(path, ps_tools.ROOT)


def test_there_is_an_agent_to_check():
    assert len(PARTS) >= 10
    names = [os.path.basename(p) for p in PARTS]
    assert names[0] == "00_param.ps1" and names[-1] == "99_main.ps1"
    assert set(PARTS) <= set(PS1_FILES)


@pytest.mark.parametrize("path", PS1_FILES, ids=_rel)
def test_each_ps1_parses_without_error_nodes(path):
    text = ps_tools.read(path)
    assert ps_tools.syntax_problems(text) == []
    assert not ps_tools.parse(text).root_node.has_error


def test_the_joined_agent_script_parses():
    script = _action_base.windows_script()
    assert script == "\n".join(ps_tools.read(p) for p in PARTS)
    assert ps_tools.syntax_problems(script) == []
    root = ps_tools.parse(script).root_node
    assert not root.has_error
    # the param block of 00_param.ps1 is the script's param block: nothing but comments before it
    kinds = [child.type for child in root.children]
    assert "param_block" in kinds
    assert all(k == "comment" for k in kinds[:kinds.index("param_block")])


@pytest.mark.parametrize("snippet", [
    "function f { if ($x) { 1 }",                 # unclosed block
    "$x = @{ a = 1",                               # unclosed hashtable
    "foreach ($i in $list { $i }",                 # unclosed parenthesis
    "try { 1 } catch { 2 } finally",               # finally without a block
    "$a = ",                                       # missing right-hand side
])
def test_the_syntax_check_fails_on_broken_powershell(snippet):
    assert ps_tools.syntax_problems(snippet) != []


def test_the_syntax_check_passes_a_good_snippet():
    good = "function f {\n    param([string]$Name)\n    if ($Name) { return , @($Name) } else { return $null }\n}\n"
    assert ps_tools.syntax_problems(good) == []


# ------------------------------------------------------------------ C# given to Add-Type
_CSHARP6_PLUS = (
    (re.compile(r'\$"'), "interpolated string $\"...\""),
    (re.compile(r"\w\?\.\w"), "null-conditional ?."),
    (re.compile(r"\bnameof\s*\("), "nameof"),
    (re.compile(r"\)\s*=>"), "expression-bodied member"),
    (re.compile(r"\bout\s+var\b"), "out var"),
    (re.compile(r"\bis\s+\w+\s+\w+\s*\)"), "pattern matching"),
    (re.compile(r"\{\s*get;\s*\}\s*="), "auto-property initializer"),
    (re.compile(r"\busing\s+static\b"), "using static"),
)


def csharp6_problems(source):
    return sorted(set(what for pattern, what in _CSHARP6_PLUS if pattern.search(source)))


def _csharp_sources():
    out = []
    for path in PARTS:
        for index, source in enumerate(ps_tools.csharp_sources(ps_tools.read(path))):
            out.append(pytest.param(source, id="%s#%d" % (os.path.basename(path), index)))
    return out


CSHARP = _csharp_sources()


def test_the_agent_has_csharp_to_check():
    assert CSHARP


@pytest.mark.parametrize("source", CSHARP)
def test_csharp_uses_no_csharp6_syntax(source):
    assert csharp6_problems(source) == []


@pytest.mark.parametrize("snippet", [
    'class A { string F(int x) { return $"{x}"; } }',
    "class A { int F(string s) { return s?.Length ?? 0; } }",
    "class A { string F(int x) { return nameof(x); } }",
    "class A { int F() => 1; }",
    "class A { void F() { int.TryParse(\"1\", out var n); } }",
])
def test_the_csharp6_check_fails_on_newer_syntax(snippet):
    assert csharp6_problems(snippet) != []


MCS = shutil.which("mcs")


def _mcs(source, tmp_path):
    src = tmp_path / "agent.cs"
    src.write_text(source, encoding="utf-8")
    return subprocess.run([MCS, "-langversion:5", "-target:library", "-nologo",
                           "-out:%s" % (tmp_path / "agent.dll"), str(src)],
                          capture_output=True, text=True, check=False)


@pytest.mark.skipif(MCS is None, reason="mono's C# compiler (mcs, Debian package mono-mcs) is not installed")
@pytest.mark.parametrize("source", CSHARP)
def test_csharp_compiles_as_csharp5(source, tmp_path):
    done = _mcs(source, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(MCS is None, reason="mono's C# compiler (mcs, Debian package mono-mcs) is not installed")
def test_the_csharp5_compile_fails_on_csharp6(tmp_path):
    done = _mcs('public static class A { public static string F(int x) { return $"{x}"; } }', tmp_path)
    assert done.returncode != 0
