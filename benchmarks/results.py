# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write benchmarks/results.md and benchmarks/results.json from the benchmarks' figures in benchmarks/work/*.json."""
from __future__ import annotations

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402  pylint: disable=wrong-import-position

NAMES = ("calls", "fleet", "logs", "probe")
MD = os.path.join(c.HERE, "results.md")
JS = os.path.join(c.HERE, "results.json")


def mark(met):
    return "n/a" if met is None else ("**met**" if met else "**missed**")


def num(value, digits=1):
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    return ("%." + str(digits) + "f") % value


def machine_line(m):
    return "%s, %s cores, %s GB RAM, %s, Python %s, ansible-core %s" % (
        m["cpu"], m["cores"], m["memory_gb"], m["os"], m["python"], m["ansible_core"])


def measured(doc):
    quick = " (BENCH_QUICK)" if doc.get("quick") else ""
    when, took = doc["measured_at"], doc.get("duration_s", 0)
    env = " with %s" % ", ".join("%s=%s" % kv for kv in sorted(doc["env"].items())) if doc.get("env") else ""
    return "measured %s in %.0f s%s%s on %s" % (when, took, quick, env, machine_line(doc["machine"]))


# ----------------------------------------------------------------------------------------------- calls
def calls_summary(doc, rows):
    for s in doc["scenarios"]:
        rows.append(("remote calls per host: %s" % s["label"],
                     "%s (baseline %d, %.1fx fewer)" % (num(s["calls"]), s["baseline"]["total"], s["ratio"] or 0),
                     s["target"], s["met"]))


def calls_section(doc):
    out = ["## 1. Remote calls per host", "", measured(doc) + ".", ""]
    out += ["Counted by the `ndes.scep.remote_calls` callback on one lab host per scenario (one module run on "
            "the target = one call; fact gathering and handlers included; our action plugins report the agent "
            "calls they made). Each scenario ran %d time(s); the counts were %s across runs. Creating the lab "
            "(`faults.create`) and starting its HTTP face (`server.start`) are lab-only, done from Python before "
            "the playbook, and not counted; everything `ansible-playbook ndes.scep.diagnose` / "
            "`ndes.scep.remediate` does is. Fixes applied are the fix modules that changed the host; a reboot "
            "made by `ndes.scep.reboot` (the fix of HTTPSYS_LIMITS \"pending\", and what puts a Root store move "
            "in effect) counts as one: on Windows it waits for the host to come back, so it is a call of its "
            "own and cannot ride in a fix's agent call." % (
                doc["scenarios"][0]["repeats"],
                "identical" if all(s["deterministic"] for s in doc["scenarios"]) else "NOT identical (see results.json)"), ""]
    out += ["| scenario | ours | baseline | ratio | fixes applied (ours) | target | result |",
            "|---|---|---|---|---|---|---|"]
    for s in doc["scenarios"]:
        fixes = ", ".join(f.replace("ndes.scep.", "") for f in s["fixes_applied"]) or "-"
        note = ""
        if any(s["rc"]):
            note = " (playbook failed, rc %s)" % s["rc"]
        out.append("| %s | %s%s | %d | %.1fx | %d: %s | %s | %s |" % (
            s["label"], num(s["calls"]), note, s["baseline"]["total"], s["ratio"] or 0, len(s["fixes_applied"]),
            fixes, s["target"], mark(s["met"])))
    out += ["", "Where our calls went (tasks with at least one call; first run):", ""]
    for s in doc["scenarios"]:
        out.append("- %s: %s" % (s["id"], "; ".join("%s = %d" % (t, n) for t, n in sorted(s["busy_tasks"].items()))))
    out += ["", "### The baseline and how it is counted", "",
            "`benchmarks/baseline/` holds the playbooks an ops team would write with ansible.windows, "
            "community.windows, microsoft.iis, microsoft.ad and win_dsc (WebConfigProperty of WebAdministrationDsc "
            "for request filtering and authentication) for the same checks and fixes: `diagnose.yml` runs "
            "`tasks/checks.yml`; `remediate.yml` runs every check, then every fix of `tasks/fixes.yml`, the "
            "handlers (restart W3SVC, win_reboot) and a win_uri test of the SCEP URL. win_shell appears only to "
            "read logs and events. They are not run here (no Windows host); `benchmarks/baseline_count.py` "
            "counts them statically:", "",
            "- fact gathering: 1 per play (`gather_facts` defaults to true);",
            "- each task: 1 per loop item (`loop` over a list in `vars/ndes.yml`; the Root-store certificates "
            "found at run time: as many as the lab injects, %s), else 1; check-mode tasks count (the module runs); "
            "controller-only actions (`debug`, `set_fact`, `meta`, includes; the callback's list) count 0;"
            % ("1 on a host with root_intermediates, 0 otherwise"),
            "- handlers: once each when a task that notifies them changes something on that host (a fix task "
            "whose tags name a fault the host has; reads never change);",
            "- `win_reboot` counts 1 although it runs several commands (reboot, then polls), so the baseline is a "
            "lower bound; the baseline already favours itself elsewhere (one `win_service_info` for all services, "
            "one `win_reg_stat` per registry key, no RSOP/GPO check, no chain-building check).", ""]
    for s in doc["scenarios"]:
        if s["id"] in ("diagnose_compliant", "remediate_faulty_a1"):
            out += ["Baseline rows for %s (%s = %d):" % (s["id"], s["baseline"]["playbook"], s["baseline"]["total"]),
                    "", "| calls | module | task |", "|---|---|---|"]
            for r in s["baseline_rows"]:
                note = " (changes: notifies)" if r["changes"] else ""
                out.append("| %d | %s | %s%s |" % (r["calls"], r["action"], r["task"].replace("|", "/"), note))
            out.append("")
    return out


# ----------------------------------------------------------------------------------------------- fleet
def cell_name(cell):
    return "%s, %d hosts, forks %d" % (cell["playbook"], cell["hosts"], cell["forks"])


def fleet_summary(doc, rows):
    for cell in doc["cells"]:
        m = cell["median"]
        rows.append(("fleet wall time: %s" % cell_name(cell),
                     "%s s" % num(cell["wall_s"]["median"]),
                     "<= %s s (1.5 x max(%s s latency, %s s CPU/cores))" % (
                         num(cell["wall_target_s"]), num(cell["wall_bound_latency_s"]), num(cell["wall_bound_cpu_s"])),
                     cell["wall_met"] if not any(cell["rc"]) else False))
        if cell["playbook"] != "ping" and "cpu_per_call_vs_ping" in cell:
            # Two readings, each judged: the whole process tree (the lab's "remote" module runs are local
            # processes here) and controller-only (what a controller with Windows targets pays).
            rows.append(("fleet CPU per remote call, whole tree: %s" % cell_name(cell),
                         "%s s = %.2fx ping" % (num(cell["cpu_per_call_s"], 3), cell["cpu_per_call_vs_ping"]),
                         "<= 2x ping", cell["cpu_per_call_met"]))
            rows.append(("fleet controller-only CPU per remote call: %s" % cell_name(cell),
                         "%s s = %.2fx ping" % (num(cell["controller_only_cpu_per_call_s"], 3),
                                                cell["controller_only_cpu_per_call_vs_ping"]),
                         "<= 2x ping", cell.get("controller_only_cpu_per_call_met")))
        del m


def growth(cells, playbook, forks, key):
    pts = sorted((c_["hosts"], key(c_)) for c_ in cells if c_["playbook"] == playbook and c_["forks"] == forks)
    if len(pts) < 2:
        return None
    parts = ["%d: %s" % (h, num(v, 2)) for h, v in pts]
    steps = ["x%.2f for x%.0f hosts" % (pts[i + 1][1] / pts[i][1], pts[i + 1][0] / float(pts[i][0]))
             for i in range(len(pts) - 1) if pts[i][1]]
    return "%s (%s)" % (", ".join(parts), "; ".join(steps))


def fleet_section(doc):
    cfg = doc["config"]
    out = ["## 2. Fleet: diagnose and remediate over many lab hosts", "", measured(doc) + ".", ""]
    if doc.get("partial"):
        out += ["**Partial: the run stopped before the end of the matrix; the cells below are the ones it finished.**", ""]
    out += ["Matrix: hosts %s x forks %s; playbooks %s; %d run(s) per cell (medians), %d for cells of %d hosts or "
            "more (each run is minutes on this machine); latency %.1f s per agent "
            "call (the lab agent sleeps that long per call, `run/inject.json` as the `lab_inject` ensure stores it); "
            "lab faults %s; remediate with `ndes_serial=%s` and the default reboot policy (never). Every repeat "
            "starts from fresh copies of one lab made with `faults.create` (copytree; labs hold no absolute paths). "
            "Every host's `ndes_scep_url` is one shared healthy lab face, so the controller-side probe runs for "
            "each host. Ping is one `ansible.builtin.ping` per host with the same inventory (no latency: it does "
            "not go through the lab agent)." % (
                ",".join(map(str, cfg["hosts"])), ",".join(map(str, cfg["forks"])), ",".join(cfg["playbooks"]),
                cfg["repeat"], cfg.get("repeat_large", cfg["repeat"]), cfg.get("large", 0), cfg["latency"],
                ", ".join(cfg["faults"]) or "none", cfg["serial"]), ""]
    out += ["Definitions: **wall** = ansible-playbook start to exit. **CPU** = user+sys seconds of the "
            "ansible-playbook process tree (`getrusage(RUSAGE_CHILDREN)` delta in a fresh measuring process); on a "
            "lab host the \"remote\" module runs are local processes, so this includes them. **controller-only** = "
            "CPU minus what the module runs on the lab hosts used (an interpreter wrapper records bash `times` per "
            "module run): the part a real controller pays with Windows targets. **peak RSS sum** = peak of the "
            "sum of RSS over the tree, sampled every %.1f s from /proc (forked workers share pages, so this "
            "over-counts); **peak PSS sum** = the same with PSS (shared pages split); **largest process** = "
            "`ru_maxrss` of the children (the floor). **tasks/host** = task results per host (the callback sees "
            "every task, controller-only ones included). **main CPU** = CPU seconds of the ansible-playbook process "
            "itself (its single-threaded scheduler; from /proc at the last sample). **wall target** = 1.5 x max(ceil(hosts/forks) x calls per "
            "host x latency, CPU / %s cores); ceil() because fewer hosts than forks still take one full round; "
            "**CPU per call target**: CPU / remote calls <= 2 x the same for ping at the same hosts and forks. The last "
            "column divides wall time by the sum of both bounds instead of their max. **other load** = cores the rest of "
            "the machine kept busy during the run (machine busy time from /proc/stat minus this run's tree): "
            "other sessions' jobs share this machine, and wall times are only as clean as that figure is low."
            % (c.MEM_INTERVAL, doc["machine"]["cores"]), ""]
    out += ["| playbook | hosts | forks | runs | calls/host | tasks/host | wall s (min-max) | wall target s | wall | CPU s "
            "| main CPU s | CPU/host s | ctrl-only CPU/host s | CPU/call s (x ping) | ctrl-only CPU/call s (x ping) | "
            "CPU/call | peak RSS sum MB | peak PSS sum MB | largest process MB | wall / (latency + CPU bounds) | "
            "other load (cores) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for cell in doc["cells"]:
        m = cell["median"]
        ratio = cell.get("cpu_per_call_vs_ping")
        cratio = cell.get("controller_only_cpu_per_call_vs_ping")
        failed = any(cell["rc"])
        both = cell["wall_bound_latency_s"] + cell["wall_bound_cpu_s"]
        values = (
            cell["playbook"], cell["hosts"], cell["forks"], cell["repeats"], num(m["calls_per_host"], 2),
            num(m.get("tasks_per_host"), 0), num(cell["wall_s"]["median"]),
            num(cell["wall_s"]["min"]), num(cell["wall_s"]["max"]), " FAILED rc %s" % cell["rc"] if failed else "",
            num(cell["wall_target_s"]), mark(cell["wall_met"] and not failed), num(m["cpu_s"]), num(m.get("main_cpu_s")),
            num(cell["cpu_per_host_s"], 3), num(cell["controller_only_cpu_per_host_s"], 3),
            num(cell["cpu_per_call_s"], 3), " (%.2fx)" % ratio if ratio else "",
            num(cell["controller_only_cpu_per_call_s"], 3), " (%.2fx)" % cratio if cratio else "",
            mark(cell.get("cpu_per_call_met")), num(m["peak_rss_sum_mb"], 0), num(m["peak_pss_sum_mb"], 0),
            num(m["maxrss_mb"], 0), num(cell["wall_s"]["median"] / both, 2) if both else "n/a",
            num(m.get("other_cores"), 2))
        out.append("| %s | %d | %d | %d | %s | %s | %s (%s-%s)%s | %s | %s | %s | %s | %s | %s | %s%s | %s%s | %s | %s "
                   "| %s | %s | %s | %s |" % values)
    out += ["", "Growth with hosts (medians; value per host count, then the factor per step):", ""]
    for playbook in cfg["playbooks"]:
        for forks in cfg["forks"]:
            for label, key in (("wall s", lambda x: x["wall_s"]["median"]),
                               ("CPU s", lambda x: x["median"]["cpu_s"]),
                               ("CPU per host s", lambda x: x["cpu_per_host_s"]),
                               ("peak PSS sum MB", lambda x: x["median"]["peak_pss_sum_mb"])):
                line = growth(doc["cells"], playbook, forks, key)
                if line:
                    out.append("- %s, forks %d, %s: %s" % (playbook, forks, label, line))
    out.append("")
    return out


# ------------------------------------------------------------------------------------------------ logs
def logs_summary(doc, rows):
    big = doc["files"][-1]
    f = big["results"].get("filter")
    if f:
        base = big["results"].get("baseline")
        rows.append(("IIS log analysis, mscep.dll filter path, %s file" % big["size"],
                     "%s MB/s (plain baseline parser %s MB/s)" % (
                         num(f["mb_per_s"], 0), num(base["mb_per_s"], 0) if base else "n/a"),
                     ">= %d MB/s" % doc["target_mb_s"], f["mb_per_s"] >= doc["target_mb_s"]))
    if "memory_flat" in doc:
        small = doc["files"][0]
        rows.append(("IIS log analysis, peak memory %s vs %s file (filter path)" % (small["size"], big["size"]),
                     "%s MB vs %s MB" % (num(small["results"]["filter"]["peak_rss_mb"]["median"]),
                                         num(f["peak_rss_mb"]["median"])),
                     "flat in file size", doc["memory_flat"]))
    if big["bytes"] < 1 << 30:
        rows.append(("IIS log analysis file size", "%s" % big["size"], ">= 1 GB", False))


def logs_section(doc):
    out = ["## 3. IIS log analysis", "", measured(doc) + ".", ""]
    out += ["Files from `benchmarks/gen_w3c.py` (IIS 10 W3C layout, about 3 %% mscep.dll traffic from Windows, "
            "Android and iOS clients, CertificateRegistrationSvc posts, browsers, scanners, a header block per "
            "simulated restart), parsed by `benchmarks/bench_logs.py` in a fresh process per run: `filter` is "
            "`W3CReader(prefilter='mscep.dll')` as the collection reads IIS logs (case-insensitive), `filter_cs` "
            "the same case-sensitive, `full` every line parsed, `baseline` a plain text-mode `split()` parser "
            "building a dict per line. MB/s = file size / median wall seconds of the parse; peak memory = "
            "`ru_maxrss` of that process (interpreter and imports included). Page cache warm (the files are "
            "generated just before; the machine has %s GB RAM)." % doc["machine"]["memory_gb"], ""]
    out += ["| file | lines | mscep.dll lines | mode | median s (min-max) | MB/s | records | peak RSS MB | other load (cores) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for fdoc in doc["files"]:
        for mode, r in fdoc["results"].items():
            out.append("| %s (%s MB) | %d | %d | %s | %s (%s-%s) | %s | %d | %s | %s |" % (
                fdoc["size"], num(fdoc["size_mb"], 0), fdoc["lines"], fdoc["mscep_lines"], mode,
                num(r["seconds"]["median"], 2), num(r["seconds"]["min"], 2), num(r["seconds"]["max"], 2),
                num(r["mb_per_s"], 0), r["records"], num(r["peak_rss_mb"]["median"]), num(r.get("other_cores"), 2)))
    out += ["", "Runs per mode and size: %d. " % doc["files"][0]["repeats"]]
    if "memory_flat" in doc:
        out[-1] += ("Peak memory of the filter path grows by %s MB for a %.1fx larger file: %s." % (
            num(doc["memory_growth_mb"]), doc["size_ratio"], "flat" if doc["memory_flat"] else "NOT flat"))
    out.append("")
    return out


# ----------------------------------------------------------------------------------------------- probe
def probe_summary(doc, rows):
    for lab in doc["labs"]:
        rows.append(("probe latency (full probe, %s lab face)" % lab["lab"],
                     "%s ms median (%d HTTP requests)" % (num(lab["seconds"]["median"] * 1000), lab["http_requests_per_probe"]),
                     "none set (reported)", None))


def probe_section(doc):
    out = ["## 4. Probe latency", "", measured(doc) + ".", ""]
    out += ["`_ndes.probe.probe(url)` (what ndes.scep.probe and the diagnose action run) against a lab face on "
            "127.0.0.1 started with `server.start`: bare URL, GetCACaps, GetCACert for Windows, Android and iOS, "
            "the 40 000-byte iOS GET. One untimed warm-up call, then the timed calls in the same process.", "",
            "| lab | bare URL status | signals | HTTP requests per probe | runs | median ms | min-max ms | first call ms "
            "| probe CPU ms | face CPU ms | other load (cores) |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for lab in doc["labs"]:
        s = lab["seconds"]
        out.append("| %s | %s | %s | %s | %d | %s | %s-%s | %s | %s | %s | %s |" % (
            lab["lab"], lab["bare_url_status"], ", ".join(lab["signals"] or []) or "none",
            num(lab["http_requests_per_probe"], 0), s["n"], num(s["median"] * 1000), num(s["min"] * 1000),
            num(s["max"] * 1000), num(lab["cold_first_call_s"] * 1000),
            num(lab["probe_cpu_s"] * 1000) if "probe_cpu_s" in lab else "n/a",
            num(lab["face_cpu_s"] * 1000) if "face_cpu_s" in lab else "n/a", num(lab.get("other_cores"), 2)))
    work = doc.get("diagnose_work")
    if work:
        out += ["", "What the collection itself computes on the controller for one diagnosed host (the faulty lab; "
                "in process, CPU ms, mean of %d rounds after one uncounted round; the lab agent's own work is shown "
                "for scale, it runs on the target):" % work["repeats"], "",
                "| stage | CPU ms |", "|---|---|"]
        for stage, seconds in work["stages_cpu_s"]:
            out.append("| %s | %s |" % (stage, num(seconds * 1000, 2)))
        out.append("| **controller side, total** | **%s** |" % num(work["controller_cpu_s"] * 1000, 1))
    out.append("")
    return out


# ---------------------------------------------------------------------------------------------- writer
def limits(docs):
    """What limits each missed target (from the figures; the reasons are in docs/benchmarks.md too)."""
    out = []
    calls = docs.get("calls")
    if calls:
        for s in calls["scenarios"]:
            if s["met"] or "limit" not in s:
                continue
            reboot = [t for t in s["busy_tasks"] if t.startswith("Reboot")]
            restart = [t for t in s["busy_tasks"] if t.startswith(("Reset IIS", "Recycle", "Restart"))]
            why = []
            if reboot:
                why.append("the reboot (%s) is a step of its own: on Windows `ndes.scep.reboot` has win_reboot "
                           "semantics (reboot, then wait for the host to come back), so it cannot ride in a fix's "
                           "agent call; with the default reboot policy (never) the reboot is reported, not made, "
                           "as the row with reboot policy never shows" % reboot[0])
            if restart:
                why.append("a restart handler (%s) made its own agent call instead of riding in the last fix's "
                           "request" % ", ".join(restart))
            out.append("- %s: %s calls for %d fixes: %s.%s" % (
                s["id"], num(s["calls"]), len(s["fixes_applied"]), "; ".join(why) or "see busy tasks",
                " The run also failed: %s" % _first_line(s.get("log_tail")) if any(s["rc"]) else ""))
    fleet = docs.get("fleet")
    if fleet:
        walls = [x for x in fleet["cells"] if not x["wall_met"]]
        if walls:
            tasks = dict((x["playbook"], x["median"].get("tasks_per_host")) for x in fleet["cells"])
            sums = ["%.2f" % (x["wall_s"]["median"] / (x["wall_bound_latency_s"] + x["wall_bound_cpu_s"])) for x in walls
                    if x["wall_bound_latency_s"] + x["wall_bound_cpu_s"]]
            maxes = ["%.2f" % (x["wall_s"]["median"] / max(x["wall_bound_latency_s"], x["wall_bound_cpu_s"]))
                     for x in walls if max(x["wall_bound_latency_s"], x["wall_bound_cpu_s"])]
            out.append("- fleet wall time missed in %d of %d cells (%s). Ansible's linear strategy runs every "
                       "task for all hosts in lock step (task results per host: %s; most of them controller-only "
                       "set_fact/debug/include that still pass through a forked worker, and each round waits for "
                       "its slowest host), the ansible-playbook process is one single-threaded scheduler (main CPU "
                       "column), and this 2-core machine also runs the lab agents' module processes and the lab "
                       "face. In lock step the hosts of a round sleep in their agent calls together and then "
                       "compete for the cores together, so latency and CPU add up rather than overlap: in these "
                       "cells wall / max(bounds) = %s, wall / (latency bound + CPU/cores) = %s." % (
                           len(walls), len(fleet["cells"]), "; ".join(cell_name(x) for x in walls),
                           ", ".join("%s %s" % (k, num(v, 0)) for k, v in sorted(tasks.items())),
                           ", ".join(maxes), ", ".join(sums)))
        cpus = [x for x in fleet["cells"]
                if x.get("cpu_per_call_met") is False or x.get("controller_only_cpu_per_call_met") is False]
        if cpus:
            work = (docs.get("probe") or {}).get("diagnose_work")
            own = (" The collection's own controller-side work is %s ms per diagnosed host (section 4: request, "
                   "validation, facts, logs, probe, rules)" % num(work["controller_cpu_s"] * 1000, 0)) if work else ""
            per_task = ["%s %s s/host over %s task results" % (
                x["playbook"], num(x["controller_only_cpu_per_host_s"], 3), num(x["median"].get("tasks_per_host"), 0))
                for x in fleet["cells"] if x["hosts"] == cpus[-1]["hosts"] and x["forks"] == cpus[-1]["forks"]]
            out.append("- fleet CPU per remote call (whole tree or controller-only) above 2x ping in %d cells (%s).%s; "
                       "the rest is Ansible's cost per task and per module run: controller-only CPU at %d hosts, "
                       "forks %d: %s (task results of the busiest host, which also runs the run-once report tasks). "
                       "A diagnose host makes one remote call but runs up to %s task results: the role's argument "
                       "validation, the diagnose call and the set_fact the report reads on every host, and the "
                       "run-once tasks on one; each passes through a forked worker, so its controller CPU per call is that "
                       "of several pings (one task each). On the target side every lab agent run is "
                       "a Python process that imports cryptography, heavier than ping's." % (
                           len(cpus), "; ".join(cell_name(x) for x in cpus), own, cpus[-1]["hosts"], cpus[-1]["forks"],
                           ", ".join(per_task), num(next((x["median"].get("tasks_per_host") for x in fleet["cells"]
                                                          if x["playbook"] == "diagnose"), None), 0)))
    logs = docs.get("logs")
    if logs:
        big = logs["files"][-1]["results"].get("filter")
        if big and big["mb_per_s"] < logs["target_mb_s"]:
            out.append("- IIS log filter path below %d MB/s: pure-Python chunked search on one core." % logs["target_mb_s"])
        if logs.get("memory_flat") is False:
            out.append("- IIS log memory grows with file size.")
    return out


def _first_line(text):
    """The first task failure of a playbook log: its task name and msg."""
    task = None
    for line in (text or "").splitlines():
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            task = line.split("[", 1)[1].rsplit("]", 1)[0]
        if "FAILED!" in line:
            found = re.search(r'"msg": "((?:[^"\\]|\\.)*)"', line)
            return "%s: %s" % (task or "a task", found.group(1) if found else line.strip()[:300])
    return "see results.json"


def write():
    docs = dict((n, c.read_json(os.path.join(c.WORK, n + ".json"))) for n in NAMES)
    docs = dict((n, d) for n, d in docs.items() if d)
    rows = []
    for name, fn in (("calls", calls_summary), ("fleet", fleet_summary), ("logs", logs_summary),
                     ("probe", probe_summary)):
        if name in docs:
            fn(docs[name], rows)
    m = c.machine()
    md = ["# Benchmark results", "",
          "Written by `make bench` (`benchmarks/run.py`) on %s. How to run and read them: "
          "[docs/benchmarks.md](../docs/benchmarks.md). Machine: %s. Each section says when it was measured, "
          "on what, and how many runs its medians are over." % (time.strftime("%Y-%m-%d %H:%M %Z"), machine_line(m)), "",
          "## Every figure next to its target", "",
          "| figure | measured | target | result |", "|---|---|---|---|"]
    for figure, value, target, met in rows:
        md.append("| %s | %s | %s | %s |" % (figure, value, target, mark(met)))
    lim = limits(docs)
    if lim:
        md += ["", "### What limits the misses", ""] + lim
    missing = [n for n in NAMES if n not in docs]
    if missing:
        md += ["", "Not measured in this run: %s." % ", ".join(missing)]
    md.append("")
    for name, fn in (("calls", calls_section), ("fleet", fleet_section), ("logs", logs_section),
                     ("probe", probe_section)):
        if name in docs:
            md += fn(docs[name])
    with open(MD, "w", encoding="utf-8") as handle:
        handle.write("\n".join(md).rstrip() + "\n")
    c.write_json(JS, {"generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": m,
                      "summary": [{"figure": f, "measured": v, "target": t, "met": met} for f, v, t, met in rows],
                      "limits": lim, "benchmarks": docs})
    return MD, JS


if __name__ == "__main__":
    print("\n".join(write()))
