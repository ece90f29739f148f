# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run's report across all hosts: a JSON document, Markdown and a self-contained HTML page.

``build(run_id, hosts, ...)`` turns what the roles left per host (findings,
changes, backups, reboot need, status) into one document; ``render_json``,
``render_markdown`` and ``render_html`` turn that document into text;
``write(document, directory)`` writes the three files. Pure Python (stdlib),
no NDES knowledge beyond the finding and change shapes.
"""
from __future__ import annotations

import datetime
import html
import json
import os
import re
import tempfile

SCHEMA = 1
SEVERITIES = ("critical", "error", "warning", "info")
FILES = {"json": "report.json", "markdown": "report.md", "html": "report.html"}
STATUS_TEXT = {
    "ok": "ok",
    "changed": "changed",
    "drift": "drift (check mode)",
    "verify_failed": "verification failed",
    "failed": "failed",
    "not_reached": "not reached",
}
MAX_VALUE_CHARS = 400
LANG_LABELS = {"en": "Microsoft Learn (English)", "it": "Microsoft Learn (italiano)"}
_ID_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


# ------------------------------------------------------------------ building the document
def build(run_id, hosts, mode="diagnose", generated=None, lang="en", title=None):
    """The report document.

    ``hosts``: ``{name: data}`` (an ordered mapping or a list of ``(name, data)``)
    where ``data`` holds ``findings``, ``changes``, ``backups``,
    ``reboot_required`` and optionally ``status``, ``restarts``, ``rebooted``,
    ``verify`` and ``message``; ``data`` is ``None`` for a host the run did not reach.
    ``mode``: ``diagnose``, ``remediate`` or ``check`` (remediate in check mode).
    """
    items = list(hosts.items()) if isinstance(hosts, dict) else list(hosts)
    entries = [_host_entry(name, data, mode) for name, data in items]
    document = {
        "schema": SCHEMA,
        "title": title or _default_title(mode),
        "run_id": str(run_id),
        "generated": generated or _now(),
        "mode": mode,
        "lang": lang,
        "hosts": entries,
    }
    document["summary"] = summarize(document)
    return document


def summarize(document):
    """Counts for the console, AWX ``set_stats`` and the top of the report."""
    hosts = document["hosts"]
    by_severity = {}
    by_id = {}
    auto_fixable = 0
    for host in hosts:
        for finding in host["findings"]:
            by_severity[finding["severity"]] = by_severity.get(finding["severity"], 0) + 1
            by_id[finding["id"]] = by_id.get(finding["id"], 0) + 1
            auto_fixable += 1 if finding["fix"].get("auto_fixable") else 0
    return {
        "run_id": document["run_id"],
        "mode": document["mode"],
        "hosts": len(hosts),
        "hosts_reached": sum(1 for h in hosts if h["reached"]),
        "hosts_with_findings": sorted(h["name"] for h in hosts if h["findings"]),
        "findings": sum(by_severity.values()),
        "by_severity": by_severity,
        "by_id": by_id,
        "auto_fixable": auto_fixable,
        "changes": sum(len(h["changes"]) for h in hosts),
        "hosts_changed": sorted(h["name"] for h in hosts if h["changes"]),
        "reboot_required": sorted(h["name"] for h in hosts if h["reboot_required"]),
        "failed": sorted(h["name"] for h in hosts if h["status"] in ("failed", "verify_failed")),
        "not_reached": sorted(h["name"] for h in hosts if not h["reached"]),
    }


def _host_entry(name, data, mode):
    if data is None:
        return {"name": str(name), "reached": False, "status": "not_reached", "findings": [],
                "changes": [], "backups": [], "reboot_required": False, "restarts": [],
                "rebooted": False, "verify": None, "message": None}
    findings = sorted((_finding(f) for f in (data.get("findings") or []) if isinstance(f, dict)),
                      key=lambda f: (_severity_rank(f["severity"]), f["id"]))
    changes = [_change(c) for c in (data.get("changes") or []) if isinstance(c, dict)]
    status = data.get("status") or ("changed" if changes else "ok")
    if mode == "check" and changes and status in ("ok", "changed"):
        status = "drift"
    return {
        "name": str(name),
        "reached": True,
        "status": status,
        "findings": findings,
        "changes": changes,
        "backups": _backups(data.get("backups")),
        "reboot_required": bool(data.get("reboot_required")),
        "restarts": [r for r in (data.get("restarts") or []) if isinstance(r, dict)],
        "rebooted": bool(data.get("rebooted")),
        "verify": data.get("verify"),
        "message": data.get("message"),
    }


def _finding(raw):
    fix = raw.get("fix") if isinstance(raw.get("fix"), dict) else {}
    severity = str(raw.get("severity") or "info").lower()
    return {
        "id": str(raw.get("id") or "UNKNOWN"),
        "severity": severity,
        "section": raw.get("section"),
        "title": raw.get("title"),
        "next_step": raw.get("next_step"),
        "evidence": raw.get("evidence"),
        "fix": {"module": fix.get("module"), "variable": fix.get("variable"),
                "auto_fixable": bool(fix.get("auto_fixable"))},
        "docs": docs_links(raw.get("docs")),
    }


def _change(raw):
    return {
        "module": raw.get("module"),
        "id": raw.get("id"),
        "kind": raw.get("kind"),
        "before": raw.get("before"),
        "after": raw.get("after"),
        "backup": raw.get("backup"),
    }


def _backups(raw):
    """``[{run_id, items: [path]}]`` from a module's ``backup``, a list of them, or plain paths."""
    out = []
    for entry in raw if isinstance(raw, list) else [raw]:
        if not entry:
            continue
        if isinstance(entry, dict):
            items = [str(i) for i in (entry.get("items") or []) if i]
            run = entry.get("run_id")
            merged = next((b for b in out if b["run_id"] == run), None)
            if merged is None:
                out.append({"run_id": run, "items": items})
            else:
                merged["items"].extend(i for i in items if i not in merged["items"])
        else:
            out.append({"run_id": None, "items": [str(entry)]})
    return out


def docs_links(raw):
    """Documentation links as ``[{label, url}]`` from a URL, a list, ``{lang: url}`` or ``[{title, url}]``."""
    if not raw:
        return []
    if isinstance(raw, str):
        return [{"label": raw, "url": raw}]
    if isinstance(raw, dict):
        if "url" in raw:
            return [{"label": str(raw.get("title") or raw.get("label") or raw["url"]), "url": str(raw["url"])}]
        return [{"label": LANG_LABELS.get(str(k), str(k)), "url": str(v)} for k, v in raw.items() if v]
    out = []
    for item in raw:
        out.extend(docs_links(item))
    return out


def _severity_rank(severity):
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _default_title(mode):
    return {"diagnose": "NDES / Intune SCEP diagnosis",
            "remediate": "NDES / Intune SCEP remediation",
            "check": "NDES / Intune SCEP drift report (check mode)"}.get(mode, "NDES / Intune SCEP report")


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ text helpers
def localized(value, lang):
    """A ``{en, it}`` text in ``lang`` (English, then any, as fallback); plain text as is."""
    if isinstance(value, dict):
        for key in (lang, "en"):
            if value.get(key):
                return str(value[key])
        return next((str(v) for v in value.values() if v), "")
    return "" if value is None else str(value)


def compact(value, limit=MAX_VALUE_CHARS):
    """One-line text for a value (JSON for structures), cut at ``limit`` characters."""
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def evidence_items(evidence):
    """Evidence as ``[(label or None, text)]``."""
    if evidence is None or evidence == {} or evidence == []:
        return []
    if isinstance(evidence, dict):
        return [(str(k), compact(v)) for k, v in evidence.items()]
    if isinstance(evidence, list):
        return [(None, compact(v)) for v in evidence]
    return [(None, compact(evidence))]


def fix_text(fix):
    if fix.get("module") and fix.get("auto_fixable"):
        return "ndes.scep.%s (automatic%s)" % (_short(fix["module"]), ", %s" % fix["variable"] if fix.get("variable") else "")
    if fix.get("module"):
        return "ndes.scep.%s (manual / report)" % _short(fix["module"])
    return "report only"


def _short(module):
    return str(module).rsplit(".", maxsplit=1)[-1]


def status_text(status):
    return STATUS_TEXT.get(status, str(status))


def restarts_text(restarts):
    """``recycle SCEP, reset iis`` (each asked-for restart once, in order)."""
    seen = []
    for r in restarts:
        text = "%s %s" % (r.get("action") or "restart", r.get("name") or r.get("kind") or "")
        if text not in seen:
            seen.append(text)
    return ", ".join(seen)


def _basename(path):
    return str(path).replace("\\", "/").rsplit("/", 1)[-1] if path else ""


def verify_text(verify):
    """One line on the probe after the fixes (``ndes_verification`` of the remediate role), or ''."""
    if not isinstance(verify, dict) or not verify.get("url"):
        return ""
    if not verify.get("reached"):
        return "Verification: %s gave no HTTP answer%s." % (
            verify["url"], " (%s)" % verify["failure"] if verify.get("failure") else "")
    text = "Verification: %s answered %s" % (verify["url"], verify.get("bare_url_status"))
    if verify.get("signals"):
        text += "; the probe still sees %s" % ", ".join(str(s) for s in verify["signals"])
    if verify.get("unexplained"):
        text += "; not taken effect: %s" % ", ".join(str(u) for u in verify["unexplained"])
    elif verify.get("signals"):
        text += " (explained by faults this run left for a person)"
    return text + "."


# ------------------------------------------------------------------ JSON
def render_json(document):
    return json.dumps(document, indent=2, sort_keys=True, default=str, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------ Markdown
def _md(text):
    """Text safe inside a Markdown table cell."""
    text = " ".join(str(text).split())
    return re.sub(r"([\\|*_`<>\[\]])", r"\\\1", text)


def render_markdown(document):
    lang = document.get("lang", "en")
    summary = document["summary"]
    out = ["# %s" % _md(document["title"]), "",
           "- Run id: `%s`" % document["run_id"].replace("`", ""),
           "- Generated: %s" % _md(document["generated"]),
           "- Mode: %s" % _md(document["mode"]),
           "- Hosts: %d (reached %d), findings: %d, changes: %d, reboot required: %s" % (
               summary["hosts"], summary["hosts_reached"], summary["findings"], summary["changes"],
               _md(", ".join(summary["reboot_required"]) or "none")),
           "", "## Findings", "",
           "| Host | Severity | Finding | Evidence | Fix | Documentation |",
           "|---|---|---|---|---|---|"]
    for host in document["hosts"]:
        if not host["findings"]:
            out.append("| %s | | %s | | | |" % (_md(host["name"]), "not reached" if not host["reached"] else "no findings"))
        for finding in host["findings"]:
            title = localized(finding["title"], lang)
            step = localized(finding["next_step"], lang)
            cell = "**%s** %s%s" % (_md(finding["id"]), _md(title), (" (next: %s)" % _md(step)) if step else "")
            evidence = "; ".join(("%s: %s" % (k, v)) if k else v for k, v in evidence_items(finding["evidence"]))
            docs = ", ".join("[%s](%s)" % (_md(d["label"]), d["url"].replace(")", "%29").replace(" ", "%20"))
                             for d in finding["docs"] if _is_web_url(d["url"]))
            out.append("| %s | %s | %s | %s | %s | %s |" % (
                _md(host["name"]), _md(finding["severity"]), cell, _md(evidence), _md(fix_text(finding["fix"])), docs))
    out += ["", "## What changed", ""]
    for host in document["hosts"]:
        out.append("### %s (%s)" % (_md(host["name"]), _md(status_text(host["status"]))))
        out.append("")
        if host["message"]:
            out += [_md(host["message"]), ""]
        if not host["changes"]:
            out.append("Nothing changed." if host["reached"] else "Not reached in this run.")
        for change in host["changes"]:
            out.append("- %s `%s` (%s): %s -> %s%s" % (
                _md(_short(change["module"]) if change["module"] else "change"), str(change["id"]).replace("`", ""),
                _md(change["kind"] or ""), _md(compact(change["before"])), _md(compact(change["after"])),
                ("; backup `%s`" % str(change["backup"]).replace("`", "")) if change["backup"] else ""))
        if host["reboot_required"]:
            out.append("- Reboot required.")
        elif host["rebooted"]:
            out.append("- Rebooted.")
        if host["restarts"]:
            out.append("- Restarts asked for: %s." % _md(restarts_text(host["restarts"])))
        if verify_text(host["verify"]):
            out.append("- " + _md(verify_text(host["verify"])))
        for backup in host["backups"]:
            items = ", ".join("`%s`" % i.replace("`", "") for i in backup["items"])
            out.append("- Backups of run `%s`: %s" % (str(backup["run_id"]).replace("`", ""), items))
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# ------------------------------------------------------------------ HTML
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem;color:#1f2328;background:#fff}
h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.2rem;margin:1.6rem 0 .5rem}h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
.meta{color:#57606a;margin:0 0 1rem}.cards{display:flex;gap:.6rem;flex-wrap:wrap}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.4rem .8rem;min-width:7rem}.card b{display:block;font-size:1.3rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #d0d7de;padding:.35rem .5rem;vertical-align:top;text-align:left}
th{background:#f6f8fa}tr.finding td:first-child,tr.clean td:first-child,tr.unreached td:first-child{font-weight:600}
.sev{display:inline-block;border-radius:4px;padding:0 .4rem;font-size:.8rem;font-weight:600;color:#fff;background:#57606a}
.sev-critical{background:#82071e}.sev-error{background:#cf222e}.sev-warning{background:#9a6700}.sev-info{background:#0969da}
.next{color:#57606a;margin-top:.2rem}.ok{color:#1a7f37}.bad{color:#cf222e}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.82rem;white-space:pre-wrap;word-break:break-word}
ul.ev{margin:0;padding-left:1rem}table.grid{table-layout:fixed}td{overflow-wrap:anywhere}
.badge{border:1px solid #d0d7de;border-radius:1rem;padding:0 .5rem;font-size:.8rem;margin-left:.4rem}
"""


def _e(text):
    return html.escape("" if text is None else str(text), quote=True)


def _is_web_url(url):
    return isinstance(url, str) and re.match(r"^https?://[^\s<>\"']+$", url) is not None


def _anchor(name):
    return "host-" + (_ID_SAFE.sub("-", name) or "x")


def _evidence_html(evidence):
    items = evidence_items(evidence)
    if not items:
        return ""
    lis = "".join("<li>%s%s</li>" % (("<code>%s</code>: " % _e(k)) if k else "", _e(v)) for k, v in items)
    return '<ul class="ev">%s</ul>' % lis


def _docs_html(docs):
    links = []
    for doc in docs:
        if _is_web_url(doc["url"]):
            links.append('<a href="%s" rel="noopener noreferrer">%s</a>' % (_e(doc["url"]), _e(doc["label"])))
        else:
            links.append(_e(doc["label"]))
    return "<br>".join(links)


def _fix_html(fix):
    if not fix.get("module"):
        return "report only"
    text = "<code>ndes.scep.%s</code>" % _e(_short(fix["module"]))
    if fix.get("variable"):
        text += "<br><code>%s</code>" % _e(fix["variable"])
    text += "<br>%s" % ("automatic" if fix.get("auto_fixable") else "manual / report")
    return text


def _finding_rows(host, lang):
    name = _e(host["name"])
    link = '<a href="#%s">%s</a>' % (_e(_anchor(host["name"])), name)
    if not host["reached"]:
        return ['<tr class="unreached" data-host="%s"><td>%s</td><td colspan="5">not reached in this run</td></tr>' % (
            name, link)]
    if not host["findings"]:
        return ['<tr class="clean" data-host="%s"><td>%s</td><td colspan="5" class="ok">no findings</td></tr>' % (
            name, link)]
    rows = []
    for f in host["findings"]:
        title = localized(f["title"], lang)
        step = localized(f["next_step"], lang)
        rows.append(
            '<tr class="finding sev-row-%s" data-host="%s" data-finding="%s"><td>%s</td>'
            '<td><span class="sev sev-%s">%s</span></td>'
            '<td><strong>%s</strong> %s%s</td><td>%s</td><td class="fix">%s</td><td>%s</td></tr>' % (
                _e(f["severity"]), name, _e(f["id"]), link, _e(f["severity"]), _e(f["severity"]),
                _e(f["id"]), _e(title), ('<div class="next">Next step: %s</div>' % _e(step)) if step else "",
                _evidence_html(f["evidence"]), _fix_html(f["fix"]), _docs_html(f["docs"])))
    return rows


def _host_section(host, check):
    parts = ['<section class="host" id="%s" data-host="%s">' % (_e(_anchor(host["name"])), _e(host["name"]))]
    badges = '<span class="badge">%s</span>' % _e(status_text(host["status"]))
    if host["reboot_required"]:
        badges += '<span class="badge bad">reboot required</span>'
    elif host["rebooted"]:
        badges += '<span class="badge">rebooted</span>'

    parts.append("<h3>%s%s</h3>" % (_e(host["name"]), badges))
    if host["message"]:
        parts.append("<p>%s</p>" % _e(host["message"]))
    if not host["reached"]:
        parts.append("<p>Not reached in this run.</p>")
    elif not host["changes"]:
        parts.append('<p class="ok">Nothing %s.</p>' % ("would change" if check else "changed"))
    else:
        parts.append('<table class="grid"><colgroup><col style="width:14%"><col style="width:18%"><col style="width:27%">'
                     '<col style="width:27%"><col style="width:14%"></colgroup>'
                     "<thead><tr><th>Module</th><th>Change</th><th>Before</th><th>After</th><th>Backup</th>"
                     "</tr></thead><tbody>")
        for c in host["changes"]:
            parts.append('<tr class="change"><td><code>%s</code></td><td><code>%s</code> %s</td><td><pre>%s</pre></td>'
                         '<td><pre>%s</pre></td><td><code>%s</code></td></tr>' % (
                             _e("ndes.scep." + _short(c["module"])) if c["module"] else "", _e(c["id"]), _e(c["kind"]),
                             _e(compact(c["before"])), _e(compact(c["after"])), _e(_basename(c["backup"]))))
        parts.append("</tbody></table>")
    if verify_text(host["verify"]):
        parts.append('<p class="%s">%s</p>' % ("bad" if (host["verify"].get("unexplained") or not host["verify"].get("reached"))
                                               else "ok", _e(verify_text(host["verify"]))))
    if host["restarts"]:
        parts.append("<p>Restarts asked for: %s</p>" % _e(restarts_text(host["restarts"])))
    for backup in host["backups"]:
        parts.append("<p>Backups (run <code>%s</code>):</p><ul>%s</ul>" % (
            _e(backup["run_id"]), "".join("<li><code>%s</code></li>" % _e(i) for i in backup["items"])))
    parts.append("</section>")
    return "\n".join(parts)


def render_html(document):
    lang = document.get("lang", "en")
    s = document["summary"]
    check = document["mode"] == "check"
    cards = [("hosts", s["hosts"]), ("findings", s["findings"])]
    cards += [(sev, s["by_severity"][sev]) for sev in SEVERITIES if s["by_severity"].get(sev)]
    cards += [("would change" if check else "changes", s["changes"]), ("reboot required", len(s["reboot_required"]))]
    rebooted = sum(1 for h in document["hosts"] if h["rebooted"])
    if rebooted:
        cards.append(("rebooted", rebooted))
    if s["failed"]:
        cards.append(("failed", len(s["failed"])))
    rows = [row for host in document["hosts"] for row in _finding_rows(host, lang)]
    body = [
        '<!DOCTYPE html>',
        '<html lang="%s"><head><meta charset="utf-8">' % _e(lang),
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>%s - %s</title>" % (_e(document["title"]), _e(document["run_id"])),
        "<style>%s</style></head><body>" % CSS,
        "<h1>%s</h1>" % _e(document["title"]),
        '<p class="meta">Run <code>%s</code>, generated %s, mode %s</p>' % (
            _e(document["run_id"]), _e(document["generated"]), _e(document["mode"])),
        '<div class="cards">%s</div>' % "".join(
            '<div class="card"><b>%s</b>%s</div>' % (_e(v), _e(k)) for k, v in cards),
        "<h2>Findings</h2>",
        '<table id="findings" class="grid"><colgroup><col style="width:9%"><col style="width:7%"><col style="width:34%">'
        '<col style="width:27%"><col style="width:13%"><col style="width:10%"></colgroup>',
        "<thead><tr><th>Host</th><th>Severity</th><th>Finding</th><th>Evidence</th>"
        "<th>Fix</th><th>Documentation</th></tr></thead><tbody>",
    ]
    body += rows
    body += ["</tbody></table>", "<h2>%s</h2>" % ("What would change" if check else "What changed")]
    body += [_host_section(host, check) for host in document["hosts"]]
    body.append("</body></html>")
    return "\n".join(body) + "\n"


# ------------------------------------------------------------------ files
RENDERERS = {"json": render_json, "markdown": render_markdown, "html": render_html}


def write(document, directory):
    """Write report.json, report.md and report.html under ``directory``; return their paths."""
    os.makedirs(directory, exist_ok=True)
    paths = {}
    for kind, name in FILES.items():
        target = os.path.join(directory, name)
        _write_atomic(target, RENDERERS[kind](document))
        paths[kind] = target
    return paths


def _write_atomic(target, text):
    fd, tmp = tempfile.mkstemp(prefix=".report-", dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
