# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the Windows agent checks: tree-sitter-powershell parsing, token and code scans."""
from __future__ import annotations

import functools
import glob
import os
import re

import tree_sitter
import tree_sitter_powershell

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
AGENT_DIR = os.path.join(ROOT, "plugins", "plugin_utils", "windows_agent")

_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))

# Node types whose text is string or comment content: scans for code look outside them.
STRING_TYPES = frozenset((
    "comment", "expandable_string_literal", "verbatim_string_characters", "expandable_here_string_literal",
    "verbatim_here_string_characters", "string_literal"))


def all_ps1():
    """Every .ps1 under plugins/, sorted."""
    return sorted(glob.glob(os.path.join(ROOT, "plugins", "**", "*.ps1"), recursive=True))


def agent_parts():
    return sorted(glob.glob(os.path.join(AGENT_DIR, "*.ps1")))


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def parse(text):
    return _PARSER.parse(text.encode("utf-8"))


def walk(node):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def syntax_problems(text):
    """[(line, kind, snippet)] of ERROR and MISSING nodes."""
    source = text.encode("utf-8")
    tree = parse(text)
    out = []
    for node in walk(tree.root_node):
        if node.type == "ERROR" or node.is_missing:
            snippet = source[node.start_byte:node.end_byte][:60].decode("utf-8", "replace")
            out.append((node.start_point[0] + 1, "MISSING" if node.is_missing else "ERROR", snippet))
    if tree.root_node.has_error and not out:
        out.append((1, "ERROR", "tree has an error"))
    return out


@functools.lru_cache(maxsize=128)
def code_mask(text):
    """The text with every string and comment character replaced by a space (line breaks kept).

    Here-strings (C# for Add-Type) count as strings: their content is not PowerShell.
    """
    source = bytearray(text.encode("utf-8"))
    tree = parse(text)
    for node in walk(tree.root_node):
        if node.type in STRING_TYPES or node.type.endswith("string_literal"):
            for index in range(node.start_byte, node.end_byte):
                if source[index] not in (0x0A, 0x0D):
                    source[index] = 0x20
    return source.decode("utf-8", "replace")


@functools.lru_cache(maxsize=128)
def comment_mask(text):
    """The text with comments blanked (strings kept: the ban list also applies to string contents)."""
    source = bytearray(text.encode("utf-8"))
    tree = parse(text)
    for node in walk(tree.root_node):
        if node.type == "comment":
            for index in range(node.start_byte, node.end_byte):
                if source[index] not in (0x0A, 0x0D):
                    source[index] = 0x20
    return source.decode("utf-8", "replace")


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


# ------------------------------------------------------------------ PS 7-only syntax
_PS7_TOKENS = (
    (re.compile(r"\?\?=?"), "null-coalescing ?? / ??="),
    (re.compile(r"(?<![\w`])\$\{?[\w:]+\}?\?(\.|\[)"), "null-conditional ?. / ?["),
    (re.compile(r"\?\.(?=[A-Za-z_])"), "null-conditional ?."),
    (re.compile(r"&&|\|\|"), "pipeline chain && / ||"),
    (re.compile(r"-Parallel\b", re.IGNORECASE), "ForEach-Object -Parallel"),
    (re.compile(r"(?<![\w-])clean\s*\{", re.IGNORECASE), "clean {} block"),
    (re.compile(r"(?<=[\w)\]$'\"])\s+\?\s+(?=[^\s]).*?\s:\s", re.IGNORECASE), "ternary ? :"),
)

_PS7_NODE_TYPES = {"pipeline_chain_tail": "pipeline chain && / ||"}


def ps7_problems(text):
    """[(line, what)] for PowerShell 7-only syntax, from node types and a token scan outside strings/comments."""
    out = []
    tree = parse(text)
    source = text.encode("utf-8")
    for node in walk(tree.root_node):
        if node.type in _PS7_NODE_TYPES:
            out.append((node.start_point[0] + 1, _PS7_NODE_TYPES[node.type]))
        if node.type == "command_parameter" and source[node.start_byte:node.end_byte].lower() == b"-parallel":
            out.append((node.start_point[0] + 1, "ForEach-Object -Parallel"))
    masked = code_mask(text)
    for pattern, what in _PS7_TOKENS:
        for match in pattern.finditer(masked):
            out.append((line_of(masked, match.start()), what))
    return sorted(set(out))


# ------------------------------------------------------------------ ban list
BANNED = (
    (re.compile(r"\.Message\b"), ".Message (localized exception text)"),
    (re.compile(r"DisplayName", re.IGNORECASE), "DisplayName (localized)"),
    (re.compile(r"FriendlyName", re.IGNORECASE), "FriendlyName (localized)"),
    (re.compile(r"\.Format\s*\("), "X509Extension.Format() (localized)"),
    (re.compile(r"Invoke-Expression", re.IGNORECASE), "Invoke-Expression"),
    (re.compile(r"(?<![\w-])iex(\s|$)", re.IGNORECASE), "iex"),
    (re.compile(r"\[scriptblock\]::Create", re.IGNORECASE), "[scriptblock]::Create"),
    (re.compile(r"certutil", re.IGNORECASE), "certutil (console output)"),
    (re.compile(r"secedit", re.IGNORECASE), "secedit (console output)"),
    (re.compile(r"appcmd", re.IGNORECASE), "appcmd (console output)"),
    (re.compile(r"net\.exe|(?<![\w.-])net\s+(user|localgroup|group|accounts)\b", re.IGNORECASE), "net.exe"),
)


def banned_problems(text):
    """[(line, what)] for banned APIs outside comments (string contents included)."""
    masked = comment_mask(text)
    out = []
    for pattern, what in BANNED:
        for match in pattern.finditer(masked):
            out.append((line_of(masked, match.start()), what))
    return sorted(set(out))


# ------------------------------------------------------------------ dispatch table
_DISPATCH_ROW = re.compile(r"^\s*'(?P<kind>\w+)'\s*=\s*@\('(?P<category>read|ensure)',\s*'(?P<handler>[\w-]+)',"
                           r"\s*'(?P<args>[^']*)'\)\s*$", re.MULTILINE)


def dispatch_table(text):
    """{kind: (category, handler, {arg: spec})} from 90_dispatch.ps1's $script:AgentKinds rows."""
    start = text.index("$script:AgentKinds = [ordered]@{")
    end = text.index("\n}", start)
    out = {}
    for match in _DISPATCH_ROW.finditer(text[start:end]):
        args = {}
        for part in match.group("args").split(";"):
            part = part.strip()
            if part:
                name, _sep, spec = part.partition("=")
                args[name.strip()] = spec.strip()
        out[match.group("kind")] = (match.group("category"), match.group("handler"), args)
    return out


def defined_functions(text):
    return set(m.group(1) for m in re.finditer(r"^\s*function\s+([\w-]+)", code_mask(text), re.MULTILINE | re.IGNORECASE))


def csharp_sources(text):
    """The C# here-strings given to Add-Type (@' ... '@ assigned to $script:*Source)."""
    return re.findall(r"\$script:\w*Source\s*=\s*@'\r?\n(.*?)\r?\n'@", text, re.DOTALL)


# ------------------------------------------------------------------ calls against param blocks
def _text(source, node):
    return source[node.start_byte:node.end_byte].decode("utf-8")


def function_params(text):
    """{function name (lower case): set of its parameter names (lower case)}."""
    source = text.encode("utf-8")
    out = {}
    for node in walk(parse(text).root_node):
        if node.type != "function_statement":
            continue
        name = next((_text(source, c) for c in node.children if c.type == "function_name"), None)
        params = set()
        block = next((c for c in node.children if c.type == "script_block"), None)
        param_block = next((c for c in block.children if c.type == "param_block"), None) if block is not None else None
        if param_block is not None:
            for sub in walk(param_block):
                if sub.type == "script_parameter":
                    var = next((c for c in sub.children if c.type == "variable"), None)
                    if var is not None:
                        params.add(_text(source, var).lstrip("$").lower())
        if name:
            out[name.lower()] = params
    return out


def call_problems(text, known=None):
    """[(line, message)] for calls of the script's own functions with a -Parameter they do not declare."""
    source = text.encode("utf-8")
    known = function_params(text) if known is None else known
    out = []
    for node in walk(parse(text).root_node):
        if node.type != "command":
            continue
        name_node = next((c for c in node.children if c.type == "command_name"), None)
        if name_node is None:
            continue
        name = _text(source, name_node).lower()
        if name not in known:
            continue
        elements = next((c for c in node.children if c.type == "command_elements"), None)
        if elements is None:
            continue
        for element in elements.children:
            if element.type == "command_parameter":
                param = _text(source, element).lstrip("-").rstrip(":").lower()
                if param not in known[name]:
                    out.append((element.start_point[0] + 1, "%s has no parameter -%s" % (_text(source, name_node), param)))
    return out


# ------------------------------------------------------------------ hashtables the agent builds (recorded shapes)
def function_nodes(text):
    """{function name (lower case): its function_statement node} of one script."""
    source = text.encode("utf-8")
    out = {}
    for node in walk(parse(text).root_node):
        if node.type == "function_statement":
            name = next((_text(source, c) for c in node.children if c.type == "function_name"), None)
            if name:
                out[name.lower()] = node
    return out


def agent_function(name):
    """(source bytes, function node) of an agent function, from whichever 9x_*.ps1 part defines it."""
    for path in agent_parts():
        text = read(path)
        node = function_nodes(text).get(name.lower())
        if node is not None:
            return text.encode("utf-8"), node
    raise KeyError(name)


def function_text(name):
    """The agent function's source text."""
    source, node = agent_function(name)
    return source[node.start_byte:node.end_byte].decode("utf-8")


def function_code(name):
    """The agent function's text without its comments (whole-line and trailing ``# ...``): what runs."""
    lines = [re.sub(r"(^|\s)#\s.*$", "", line) for line in function_text(name).splitlines()]
    return "\n".join(line for line in lines if line.strip())


def outer_hash(node):
    """The first (outermost) hashtable literal at or under node, or None."""
    for sub in walk(node):
        if sub.type == "hash_literal_expression":
            return sub
    return None


def hash_entries(source, node):
    """{key: value node} of a hashtable literal's own entries (not the nested ones)."""
    out = {}
    body = next((c for c in node.children if c.type == "hash_literal_body"), None)
    for entry in (body.children if body is not None else ()):
        if entry.type != "hash_entry":
            continue
        key = next(c for c in entry.children if c.type == "key_expression")
        value = next((c for c in entry.children if c.type not in ("key_expression", "=", ";")), None)
        out[_text(source, key).strip("'\"")] = value
    return out


def assigned_hashes(source, function_node):
    """{variable name (lower case, no $): [hashtable literal nodes assigned to it]} inside a function."""
    out = {}
    for node in walk(function_node):
        if node.type != "assignment_expression":
            continue
        left = next(c for c in node.children if c.type == "left_assignment_expression")
        right = node.children[-1]
        name = _text(source, left).strip().lstrip("$").lower()
        found = outer_hash(right)
        if re.match(r"^\w+$", name) and found is not None and found.start_byte - right.start_byte < 12:
            out.setdefault(name, []).append(found)
    return out


def command_arguments(source, function_node, command, parameter):
    """The argument nodes given to ``-parameter`` of every call of ``command`` inside a function."""
    out = []
    for node in walk(function_node):
        if node.type != "command":
            continue
        name = next((c for c in node.children if c.type == "command_name"), None)
        if name is None or _text(source, name).lower() != command.lower():
            continue
        elements = [c for c in next(c for c in node.children if c.type == "command_elements").children
                    if c.type != "command_argument_sep"]
        for index, element in enumerate(elements[:-1]):
            if element.type == "command_parameter" and _text(source, element).lower() == "-" + parameter.lower():
                out.append(elements[index + 1])
    return out


def argument_hashes(source, function_node, command, parameter):
    """Key sets of the hashtables a function passes as ``-parameter`` to ``command``: inline literals,
    and the literals assigned to a variable it passes."""
    variables = assigned_hashes(source, function_node)
    out = set()
    for argument in command_arguments(source, function_node, command, parameter):
        text = _text(source, argument).strip()
        if re.match(r"^\$\w+$", text):
            out.update(frozenset(hash_entries(source, h)) for h in variables.get(text[1:].lower(), ()))
        else:
            found = outer_hash(argument)
            if found is not None:
                out.add(frozenset(hash_entries(source, found)))
    return out


def string_value(source, node):
    """The text of a single-quoted string literal at (or right under) node, else None."""
    for sub in walk(node):
        if sub.type == "verbatim_string_characters":
            text = _text(source, sub)
            return text[1:-1].replace("''", "'") if text.startswith("'") else text
        if sub.type not in ("pipeline", "pipeline_chain", "logical_expression", "bitwise_expression",
                            "comparison_expression", "additive_expression", "multiplicative_expression",
                            "format_expression", "range_expression", "array_literal_expression",
                            "unary_expression", "string_literal"):
            if sub is not node:
                return None
    return None


def message_patterns():
    """Regexes for every single-quoted message the agent formats ('... {0} ...' -f ...), each {n} as any text."""
    out = []
    for path in agent_parts():
        text = read(path)
        source = text.encode("utf-8")
        for node in walk(parse(text).root_node):
            if node.type != "verbatim_string_characters":
                continue
            raw = _text(source, node)
            if not raw.startswith("'"):
                continue
            literal = raw[1:-1].replace("''", "'")
            if len(re.sub(r"\{\d+(:[^}]*)?\}", "", literal)) < 12:
                continue
            parts = re.split(r"\{\d+(?::[^}]*)?\}", literal)
            out.append(re.compile("^" + "(.+)".join(re.escape(p) for p in parts) + "$", re.DOTALL))
    return out
