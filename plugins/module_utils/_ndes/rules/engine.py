# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings are data: load and validate rule catalogues, evaluate them with JMESPath, decide fail_on.

A rule (catalogue.yml, or a user rules file of the same schema
``{schema: 1, rules: [rule, ...]}``)::

    id: IMPERSONATE_RIGHT          # FAULTS.md id, or a user id such as CUSTOM_POOL_IDENTITY
    variant: expiring              # optional: several rules may share an id; the most severe firing one wins
    severity: critical             # critical | warning | info
    section: status-code-500       # anchor in the seed (Italian edition); null when the seed has none
    when: <JMESPath>               # over {ndes: facts, probe: probe view|null, logs: log view|null}
    evidence: {name: <JMESPath>}   # values shown with the finding
    needs: [user_rights.impersonate]   # facts paths; an ``ndes.unknown`` entry under one of them and a rule
                                   # that did not fire gives a "could not check" finding (never "healthy")
    unknown_severity: warning      # optional (default warning)
    unknown_next_step: {en, it}    # optional, else a generic text
    fix: {module: user_right, variable: ndes_fix_user_right, auto_fixable: true}   # module/variable may be null
    title: {en, it}
    next_step: {en, it}
    docs: {en: URL, it: URL}       # optional; default: both editions of the seed article + the section anchor
    enabled: false                 # optional; a user file disables a built-in rule with {id, variant?, enabled: false}

``when`` fires when its value is JMESPath-truthy (not null, false, empty string,
list or object; numbers, 0 included, are truthy: compare them explicitly). A
rule whose expression raises at evaluation time (e.g. a function given null) does
not fire and is reported in ``errors``. A user rule with the same (id, variant)
as a built-in one replaces it.
"""
from __future__ import annotations

import copy
import os
import re

JMESPATH_IMPORT_ERROR = None
try:
    import jmespath
    from jmespath import exceptions as jmespath_exceptions
    from jmespath import functions as jmespath_functions
except ImportError as exc:  # pragma: no cover - exercised by ansible-test sanity import
    jmespath = None
    JMESPATH_IMPORT_ERROR = exc

YAML_IMPORT_ERROR = None
try:
    import yaml
except ImportError as exc:  # pragma: no cover
    yaml = None
    YAML_IMPORT_ERROR = exc

SCHEMA = 1
SEVERITIES = ("critical", "warning", "info")
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
FAIL_ON = ("critical", "warning", "never")
LANGS = ("en", "it")
BUILTIN = "builtin"
CATALOGUE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "catalogue.yml")

DOCS_BASE = {
    "en": "https://learn.microsoft.com/troubleshoot/mem/intune/certificates/"
          "troubleshoot-scep-certificate-device-to-ndes",
    "it": "https://learn.microsoft.com/it-it/troubleshoot/mem/intune/certificates/"
          "troubleshoot-scep-certificate-device-to-ndes",
}
# Seed (Italian edition) anchors -> the current English edition's anchor (None: no such heading there).
SECTIONS = {
    "review-iis-logs-for-a-connection-from-the-device": "review-iis-logs-for-a-connection-from-the-device",
    "review-device-logs-for-connections-to-ndes": "review-device-logs-for-connections-to-ndes",
    "troubleshoot-common-errors": None,
    "status-code-500": "troubleshoot-status-code-500",
    "test-the-scep-server-url": "test-and-troubleshoot-the-scep-server-url",
    "general-ndes-message": "general-ndes-message",
    "http-error-503": "http-error-503",
    "gatewaytimeout": "gatewaytimeout",
    "http-414-request-uri-too-long": "http-414-request-uri-too-long",
    "this-page-cant-be-displayed": "this-page-cant-be-displayed",
    "internal-server-error": "internal-server-error",
    "next-steps": "next-steps",
}
UNKNOWN_TEXT = {
    "title": {"en": "Could not check: %s", "it": "Impossibile verificare: %s"},
    "next_step": {
        "en": "The facts this check needs could not be read (see evidence.unknown). Remove the cause "
              "(for example the permissions of the account Ansible uses, or a service that is down) and run "
              "the diagnosis again; until then do not count this check as passed.",
        "it": "Non è stato possibile leggere i dati necessari a questa verifica (vedere evidence.unknown). "
              "Risolvere la causa (ad esempio i permessi dell'account usato da Ansible o un servizio arrestato) "
              "e ripetere la diagnosi; fino ad allora questa verifica non va considerata superata.",
    },
}

_ID_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_VARIABLE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_RULE_KEYS = frozenset(("id", "variant", "severity", "section", "when", "evidence", "needs", "fix", "title",
                        "next_step", "docs", "enabled", "unknown_severity", "unknown_next_step"))
_REQUIRED = ("id", "severity", "section", "when", "evidence", "fix", "title", "next_step")


class RuleError(ValueError):
    """A malformed catalogue or rule; the message names the source and the rule id."""


def _need(module, error, what):
    if module is None:
        raise RuleError("%s needs the Python package %r on the controller: %s" % (
            what, "jmespath" if error is JMESPATH_IMPORT_ERROR else "PyYAML", error))


# ------------------------------------------------------------------ JMESPath checks
def _function_table():
    return jmespath_functions.Functions().FUNCTION_TABLE


def _check_functions(node, table, errors):
    if isinstance(node, dict):
        if node.get("type") == "function_expression":
            name = node.get("value")
            spec = table.get(name)
            if spec is None:
                errors.append("unknown function %s()" % name)
            else:
                signature = spec.get("signature") or []
                variadic = bool(signature) and signature[-1].get("variadic")
                count = len(node.get("children") or [])
                if (count < len(signature) - (1 if variadic else 0)) or (not variadic and count > len(signature)):
                    errors.append("%s() takes %d argument(s), got %d" % (name, len(signature), count))
        for child in node.get("children") or []:
            _check_functions(child, table, errors)
    elif isinstance(node, list):
        for child in node:
            _check_functions(child, table, errors)


def compile_expression(text, where):
    """A compiled JMESPath expression; RuleError naming ``where`` when it does not parse."""
    if not isinstance(text, str) or not text.strip():
        raise RuleError("%s: expected a JMESPath expression (a non-empty string), got %r" % (where, text))
    try:
        compiled = jmespath.compile(text)
    except jmespath_exceptions.JMESPathError as exc:
        raise RuleError("%s: invalid JMESPath %r: %s" % (where, text, str(exc).replace("\n", " ")))
    errors = []
    _check_functions(compiled.parsed, _function_table(), errors)
    if errors:
        raise RuleError("%s: invalid JMESPath %r: %s" % (where, text, "; ".join(errors)))
    return compiled


def truthy(value):
    """JMESPath truthiness: false for null, false, "", [] and {}; true for everything else (0 included)."""
    if value is None or value is False:
        return False
    if isinstance(value, (str, list, dict)):
        return len(value) > 0
    return True


# ------------------------------------------------------------------ rules
class Rule:
    """One validated rule with its compiled expressions."""

    def __init__(self, raw, source, order):
        self.raw = raw
        self.source = source
        self.order = order
        self.id = raw["id"]
        self.variant = raw.get("variant") or ""
        self.enabled = raw.get("enabled", True)
        if not self.enabled:
            return
        where = self.label
        self.severity = raw["severity"]
        self.section = raw["section"]
        self.when = compile_expression(raw["when"], where + ": when")
        self.evidence = [(name, compile_expression(expr, "%s: evidence.%s" % (where, name)))
                         for name, expr in raw["evidence"].items()]
        self.needs = list(raw.get("needs") or [])
        self.fix = dict(raw["fix"])
        self.title = dict(raw["title"])
        self.next_step = dict(raw["next_step"])
        self.docs = dict(raw.get("docs") or default_docs(self.section))
        self.unknown_severity = raw.get("unknown_severity", "warning")
        self.unknown_next_step = dict(raw.get("unknown_next_step") or UNKNOWN_TEXT["next_step"])

    @property
    def key(self):
        return (self.id, self.variant)

    @property
    def label(self):
        return "rule %s%s (%s)" % (self.id, "/" + self.variant if self.variant else "", self.source)


def default_docs(section):
    """Links to both editions of the seed article, at the section when there is one."""
    if section is None:
        return dict(DOCS_BASE)
    en = SECTIONS.get(section)
    return {"en": DOCS_BASE["en"] + ("#" + en if en else ""), "it": DOCS_BASE["it"] + "#" + section}


def _texts(raw, key, where):
    value = raw.get(key)
    if not isinstance(value, dict):
        raise RuleError("%s: %s: expected {en: ..., it: ...}, got %r" % (where, key, value))
    for lang in LANGS:
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            raise RuleError("%s: %s.%s: missing or empty text" % (where, key, lang))
    extra = sorted(set(value) - set(LANGS))
    if extra:
        raise RuleError("%s: %s: unknown language %r (expected en, it)" % (where, key, extra[0]))


def validate_rule(raw, source, index):
    """Check one raw rule dict; RuleError naming the rule id (or its position) and the problem."""
    if not isinstance(raw, dict):
        raise RuleError("%s: rules[%d]: expected a mapping, got %s" % (source, index, type(raw).__name__))
    rid = raw.get("id")
    if not isinstance(rid, str) or not _ID_RE.match(rid):
        raise RuleError("%s: rules[%d]: id %r is not an upper-case identifier like APP_POOL_STOPPED" % (
            source, index, rid))
    variant = raw.get("variant")
    where = "rule %s%s (%s)" % (rid, "/" + variant if variant else "", source)
    if variant is not None and (not isinstance(variant, str) or not _NAME_RE.match(variant)):
        raise RuleError("%s: variant %r: expected a lower-case name" % (where, variant))
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise RuleError("%s: unknown key %r (known: %s)" % (where, unknown[0], ", ".join(sorted(_RULE_KEYS))))
    if raw.get("enabled", True) is False:
        return
    if raw.get("enabled", True) is not True:
        raise RuleError("%s: enabled: expected true or false" % where)
    for key in _REQUIRED:
        if key not in raw:
            raise RuleError("%s: %s: required key is missing" % (where, key))
    if raw["severity"] not in SEVERITIES:
        raise RuleError("%s: severity %r: expected one of %s" % (where, raw["severity"], ", ".join(SEVERITIES)))
    if raw.get("unknown_severity", "warning") not in SEVERITIES:
        raise RuleError("%s: unknown_severity %r: expected one of %s" % (
            where, raw["unknown_severity"], ", ".join(SEVERITIES)))
    if raw["section"] is not None and raw["section"] not in SECTIONS:
        raise RuleError("%s: section %r: not an anchor of the seed article (known: %s)" % (
            where, raw["section"], ", ".join(sorted(SECTIONS))))
    if not isinstance(raw["evidence"], dict):
        raise RuleError("%s: evidence: expected a mapping name -> JMESPath" % where)
    needs = raw.get("needs") or []
    if not isinstance(needs, list) or not all(isinstance(n, str) and n for n in needs):
        raise RuleError("%s: needs: expected a list of facts paths" % where)
    _validate_fix(raw["fix"], where)
    for key in ("title", "next_step"):
        _texts(raw, key, where)
    if raw.get("unknown_next_step") is not None:
        _texts(raw, "unknown_next_step", where)
    if raw.get("docs") is not None:
        _texts(raw, "docs", where)


def _validate_fix(fix, where):
    if not isinstance(fix, dict) or sorted(fix) != ["auto_fixable", "module", "variable"]:
        raise RuleError("%s: fix: expected {module, variable, auto_fixable}, got %r" % (where, fix))
    for key, pattern in (("module", _NAME_RE), ("variable", _VARIABLE_RE)):
        if fix[key] is not None and (not isinstance(fix[key], str) or not pattern.match(fix[key])):
            raise RuleError("%s: fix.%s %r: expected a lower-case name or null" % (where, key, fix[key]))
    if not isinstance(fix["auto_fixable"], bool):
        raise RuleError("%s: fix.auto_fixable: expected true or false" % where)
    if fix["auto_fixable"] and not (fix["module"] and fix["variable"]):
        raise RuleError("%s: fix: auto_fixable needs a module and a variable" % where)


def parse_rules(doc, source):
    """Validated Rule objects of one catalogue document (already loaded from YAML)."""
    _need(jmespath, JMESPATH_IMPORT_ERROR, "the rules catalogue")
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RuleError("%s: expected a mapping {schema: %d, rules: [...]}" % (source, SCHEMA))
    if doc.get("schema", SCHEMA) != SCHEMA:
        raise RuleError("%s: schema %r: this collection reads schema %d" % (source, doc.get("schema"), SCHEMA))
    extra = sorted(set(doc) - {"schema", "rules"})
    if extra:
        raise RuleError("%s: unknown top-level key %r" % (source, extra[0]))
    rules, seen = [], set()
    for index, raw in enumerate(doc["rules"]):
        validate_rule(raw, source, index)
        rule = Rule(raw, source, index)
        if rule.key in seen:
            raise RuleError("%s: defined twice in this file" % rule.label)
        seen.add(rule.key)
        rules.append(rule)
    return rules


def load_file(path):
    """Rules of one YAML file (the file name is the rules' ``source``)."""
    _need(yaml, YAML_IMPORT_ERROR, "reading a rules file")
    try:
        with open(path, "rb") as handle:
            doc = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise RuleError("%s: cannot read the rules file: %s" % (path, exc))
    return parse_rules(doc, path)


_BUILTIN_CACHE = []


def builtin_rules():
    if not _BUILTIN_CACHE:
        rules = load_file(CATALOGUE_PATH)
        for rule in rules:
            rule.source = BUILTIN
        _BUILTIN_CACHE.append(rules)
    return _BUILTIN_CACHE[0]


def load_catalogue(rule_files=(), builtin=True):
    """Built-in rules merged with user rule files (paths, or ``(source, doc)`` pairs), in a stable order."""
    merged = {}
    order = []
    batches = [builtin_rules()] if builtin else []
    for item in rule_files or ():
        if isinstance(item, (tuple, list)) and len(item) == 2:
            batches.append(parse_rules(item[1], item[0]))
        else:
            batches.append(load_file(item))
    for batch in batches:
        for rule in batch:
            if rule.key not in merged:
                order.append(rule.key)
            merged[rule.key] = rule
    return [merged[key] for key in order if merged[key].enabled]


# ------------------------------------------------------------------ evaluation
def _unknown_hits(rule, unknown):
    hits = []
    for entry in unknown or []:
        path = entry.get("path") or ""
        if any(path == need or path.startswith(need + ".") or need.startswith(path + ".") for need in rule.needs):
            hits.append(dict(entry))
    return hits


def _lower_first(text):
    """``Al gruppo ...`` -> ``al gruppo ...`` after a colon; acronyms (``IIS_IUSRS``) stay."""
    return text[0].lower() + text[1:] if text[:1].isupper() and text[1:2].islower() else text


def _finding(rule, doc, status, severity, unknown=None):
    evidence = {}
    for name, expr in rule.evidence:
        try:
            evidence[name] = copy.deepcopy(expr.search(doc))
        except jmespath_exceptions.JMESPathError:
            evidence[name] = None
    finding = {
        "id": rule.id,
        "variant": rule.variant or None,
        "status": status,
        "severity": severity,
        "title": dict(rule.title),
        "next_step": dict(rule.next_step),
        "evidence": evidence,
        "fix": dict(rule.fix),
        "auto_fixable": rule.fix["auto_fixable"] and status == "fault",
        "docs": dict(rule.docs),
        "section": rule.section,
        "source": rule.source,
    }
    if status == "unknown":
        finding["title"] = dict((lang, UNKNOWN_TEXT["title"][lang] % _lower_first(rule.title[lang]))
                                for lang in LANGS)
        finding["next_step"] = dict(rule.unknown_next_step)
        finding["evidence"]["unknown"] = unknown
    return finding


def evaluate(rules, facts, probe=None, logs=None):
    """``(findings, errors)``: one finding per id (its most severe firing rule, else a "could not check").

    Order: severity (critical, warning, info), then catalogue order.
    """
    _need(jmespath, JMESPATH_IMPORT_ERROR, "evaluating the rules")
    doc = {"ndes": facts, "probe": probe, "logs": logs}
    unknown = (facts or {}).get("unknown") or []
    fired, pending, errors = {}, {}, []
    for rule in rules:
        try:
            hit = truthy(rule.when.search(doc))
        except jmespath_exceptions.JMESPathError as exc:
            errors.append({"id": rule.id, "variant": rule.variant or None, "source": rule.source,
                           "error": str(exc).replace("\n", " ")})
            hit = False
        if hit:
            best = fired.get(rule.id)
            if best is None or SEVERITY_RANK[rule.severity] < SEVERITY_RANK[best[0].severity]:
                fired[rule.id] = (rule, _finding(rule, doc, "fault", rule.severity))
            continue
        hits = _unknown_hits(rule, unknown)
        if hits and rule.id not in pending:
            pending[rule.id] = (rule, hits)
    findings = [f for _r, f in fired.values()]
    for rid, (rule, hits) in pending.items():
        if rid not in fired:
            findings.append(_finding(rule, doc, "unknown", rule.unknown_severity, hits))
    position = dict((rule.id, n) for n, rule in reversed(list(enumerate(rules))))
    findings.sort(key=lambda f: (SEVERITY_RANK[f["severity"]], position[f["id"]]))
    return findings, errors


def should_fail(findings, fail_on):
    """Whether a run fails: ``critical`` (any critical), ``warning`` (critical or warning), ``never``."""
    if fail_on not in FAIL_ON:
        raise ValueError("fail_on %r: expected one of %s" % (fail_on, ", ".join(FAIL_ON)))
    if fail_on == "never":
        return False
    limit = SEVERITY_RANK[fail_on]
    return any(SEVERITY_RANK[f["severity"]] <= limit for f in findings)
