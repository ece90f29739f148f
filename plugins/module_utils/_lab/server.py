# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab NDES HTTP face as a daemon on 127.0.0.1: start, stop, status.

``start(root, port=None, front_port=None, ca_backend=None, challenge=None, timeout=20)``
    starts the daemon unless one already runs for this lab; returns
    ``{changed, running, pid, port, front_port, base_url, scep_url, app_proxy_url,
    started, ca_backend, log}``. ``port``/``front_port`` None = a free port.
    ``ca_backend``: None (PKIOperation answers 500) or ``"scepserver"`` (the
    Debian ``scep`` package's scepserver signs with the lab CA).
``stop(root, timeout=10)`` -> ``{changed, running: false, pid, stale}``; idempotent,
    a stale ``run/server.json`` (dead or foreign pid) is removed.
``status(root)`` -> ``{running, stale, ...server.json}``.

The daemon (``python -m ...server serve ROOT ...``, its own session) runs from
a snapshot of this collection's module_utils copied to ``<lab>/run/face/code``,
so it keeps working after the Ansible module that started it has exited and
its temporary files are gone. It listens on two ports: ``port`` is NDES
itself, ``front_port`` stands for the App Proxy external URL. It records
itself in ``<lab>/run/server.json`` ``{port, front_port, pid, base_url,
scep_url, app_proxy_url, started, root, ca_backend, log, code}`` once it
answers, logs to ``<lab>/run/server.log`` and answers every request from the
lab state read at that moment (see http_face.py).
"""
from __future__ import annotations

import argparse
import importlib.resources
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import traceback

from ansible_collections.ndes.scep.plugins.module_utils._lab import (
    certs, face_view, http_face, layout, responses, scep_ca, store, weblogs)

PACKAGE = "ansible_collections.ndes.scep.plugins.module_utils"
CODE_PACKAGES = ("_agent", "_formats", "_lab", "_ndes")
SERVER_LOG = "run/server.log"
CODE_DIR = "run/face/code"
MODULE = __name__ if __name__ != "__main__" else PACKAGE + "._lab.server"

MAX_LINE = 1024 * 1024          # longer than any HTTP.sys limit (MaxFieldLength <= 65534)
MAX_HEAD = 4 * 1024 * 1024
MAX_HEADERS = 500
MAX_BODY = 4 * 1024 * 1024
IDLE_TIMEOUT = 30


class LabServerError(Exception):
    """The face could not start (the message says why and what to do)."""


# =================================================================== control
def _server_json(root):
    return layout.path(root, layout.SERVER_JSON)


def _read_record(root):
    try:
        return store.read_json(_server_json(root))
    except (OSError, ValueError):
        return None


def _is_ours(pid, root):
    """True when pid is alive and is this lab's face (not a recycled pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            argv = handle.read().split(b"\0")
    except OSError:
        return True  # no /proc: trust the pid
    text = [a.decode("utf-8", "replace") for a in argv]
    return "serve" in text and os.path.abspath(root) in text and any(a.endswith("_lab.server") for a in text)


def status(root):
    record = _read_record(root)
    if not record:
        return {"running": False, "stale": False}
    out = dict(record)
    alive = isinstance(record.get("pid"), int) and _is_ours(record["pid"], root)
    out.update(running=alive, stale=not alive)
    return out


def _snapshot_code(root):
    """Copy this collection's module_utils packages under <lab>/run/face/code; returns the dir."""
    dest = layout.path(root, CODE_DIR)
    tmp = dest + ".new"
    shutil.rmtree(tmp, ignore_errors=True)

    def copy(node, target):
        os.makedirs(target, exist_ok=True)
        for item in node.iterdir():
            if item.name == "__pycache__" or item.name.endswith((".pyc", ".pyo")):
                continue
            if item.is_dir():
                copy(item, os.path.join(target, item.name))
            else:
                with open(os.path.join(target, item.name), "wb") as handle:
                    handle.write(item.read_bytes())
    for name in CODE_PACKAGES:
        try:
            node = importlib.resources.files(PACKAGE + "." + name)
        except ModuleNotFoundError:
            continue  # not shipped with the module that started us (AnsiballZ packs what is imported)
        copy(node, os.path.join(tmp, *PACKAGE.split(".") + [name]))
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return dest


def _log_tail(root, size=2000):
    try:
        with open(layout.path(root, SERVER_LOG), "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(handle.tell() - size, 0))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def start(root, port=None, front_port=None, ca_backend=None, challenge=None, timeout=20.0):
    """Start the face for the lab at root (idempotent: a running face is left as it is)."""
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        raise LabServerError("no lab at %s: create it first (ndes.scep.lab state=present)" % root)
    if ca_backend not in (None, "scepserver"):
        raise LabServerError("ca_backend must be null or 'scepserver', got %r" % (ca_backend,))
    current = status(root)
    if current["running"]:
        out = dict(current)
        out["changed"] = False
        return out
    if current.get("stale"):
        os.unlink(_server_json(root))
    code = _snapshot_code(root)
    os.makedirs(layout.path(root, layout.RUN), exist_ok=True)
    cmd = [sys.executable, "-m", MODULE, "serve", root]
    if port:
        cmd += ["--port", str(int(port))]
    if front_port:
        cmd += ["--front-port", str(int(front_port))]
    if ca_backend:
        cmd += ["--ca-backend", ca_backend]
    env = dict(os.environ)
    env["PYTHONPATH"] = code
    if challenge:
        env["NDES_LAB_CHALLENGE"] = challenge
    env.pop("PYTHONSTARTUP", None)
    with open(layout.path(root, SERVER_LOG), "ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                cwd=root, start_new_session=True, close_fds=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = _read_record(root)
        if record and record.get("pid") == proc.pid:
            out = dict(record)
            out.update(changed=True, running=True, stale=False)
            return out
        if proc.poll() is not None:
            raise LabServerError("the lab face exited with status %s:\n%s" % (
                proc.returncode, _log_tail(root)))
        time.sleep(0.05)
    _terminate(proc.pid, 5)
    raise LabServerError("the lab face did not come up within %ss:\n%s" % (timeout, _log_tail(root)))


def _terminate(pid, timeout):
    """SIGTERM the daemon's process group, SIGKILL after timeout. True if it was running."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    except PermissionError:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            waited, _status = os.waitpid(pid, os.WNOHANG)
            if waited == pid:
                return True
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    return True


def stop(root, timeout=10.0):
    """Stop the face (idempotent). A stale record is removed."""
    root = os.path.abspath(root)
    current = status(root)
    pid = current.get("pid")
    changed = False
    if current["running"]:
        changed = _terminate(pid, timeout)
        backend = current.get("ca_backend") or {}
        if backend.get("pid"):
            try:
                os.killpg(backend["pid"], signal.SIGTERM)
            except OSError:
                pass
    if os.path.exists(_server_json(root)):
        os.unlink(_server_json(root))
    return {"changed": changed, "running": False, "pid": pid, "stale": bool(current.get("stale"))}


# ==================================================================== daemon
class _Conn(socketserver.StreamRequestHandler):
    """Reads requests as HTTP.sys receives them (no limits of its own below HTTP.sys's)."""

    def handle(self):
        self.connection.settimeout(IDLE_TIMEOUT)
        while True:
            try:
                req = self._read_request()
            except (socket.timeout, OSError, ValueError):
                return
            if req is None:
                return
            keep = self.server.face.answer(req, self.wfile)
            if not keep:
                return

    def _line(self):
        line = self.rfile.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise ValueError("line too long")
        return line

    def _read_request(self):
        first = self._line()
        while first in (b"\r\n", b"\n"):
            first = self._line()
        if not first:
            return None
        parts = first.decode("latin-1").rstrip("\r\n").split(" ")
        if len(parts) != 3:
            return None
        method, target, version = parts
        headers = []
        total = len(first)
        while True:
            line = self._line()
            total += len(line)
            if total > MAX_HEAD or len(headers) > MAX_HEADERS:
                raise ValueError("head too large")
            if line in (b"\r\n", b"\n", b""):
                break
            headers.append(line.decode("latin-1").rstrip("\r\n"))
        req = http_face.Request(method, target, version, headers,
                                client=self.client_address[:2],
                                server=self.server.nic_address, front=self.server.front)
        length = req.headers.get("content-length")
        if length:
            size = int(length)
            if size > MAX_BODY:
                raise ValueError("body too large")
            req.body = self.rfile.read(size)
        req.keep_alive = version == "HTTP/1.1" and req.headers.get("connection", "").lower() != "close"
        return req


class _Listener(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, face, front):
        socketserver.ThreadingTCPServer.__init__(self, ("127.0.0.1", port or 0), _Conn)
        self.face = face
        self.front = front

    @property
    def nic_address(self):
        return self.server_address[:2]

    def handle_error(self, request, client_address):
        self.face.log_error("connection from %s" % (client_address,))


class Face(object):
    """Answers requests for one lab (state read per request)."""

    def __init__(self, root, backend=None):
        self.root = root
        self.backend = backend
        self.writer = weblogs.LogWriter(root)
        self.queue = http_face.QueueCounter()
        self.ndes_port = None
        self._log_lock = threading.Lock()
        self._ca_lock = threading.Lock()
        self._ca_stamp = _ca_stamp(root) if backend is not None else None

    def sync_backend_ca(self):
        """Give the CA backend the lab CA in force now (a re-created lab has a new CA)."""
        if self.backend is None:
            return
        stamp = _ca_stamp(self.root)
        with self._ca_lock:
            if stamp != self._ca_stamp:
                self.backend.stop()
                _prepare_backend(self.root, self.backend)
                self.backend.start()
                self._ca_stamp = stamp
                record = _read_record(self.root)
                if record and record.get("pid") == os.getpid():
                    record["ca_backend"] = self.backend.describe()
                    store.write_json(_server_json(self.root), record)

    def log_error(self, what):
        with self._log_lock:
            sys.stderr.write("%s %s\n%s\n" % (store.iso(store.utcnow()), what, traceback.format_exc()))
            sys.stderr.flush()

    def answer(self, req, wfile):
        started = time.monotonic()
        outcome = None
        try:
            view = face_view.build(self.root)
            if self.ndes_port:
                req.server = (req.server[0], self.ndes_port)
            outcome = http_face.decide(view, req, self.queue)
            try:
                if outcome.action == "pki":
                    self.sync_backend_ca()
                    outcome = http_face.run_pki(view, req, outcome, self.backend)
                resp = outcome.response
                data = resp.to_bytes(head_only=req.method == "HEAD")
                # logged before the answer leaves: a client that has its answer finds it in the log
                taken = (time.monotonic() - started) * 1000
                http_face.log_outcome(self.writer, view, req, outcome, store.utcnow(), taken)
                wfile.write(data)
                wfile.flush()
            finally:
                if outcome.queued:
                    self.queue.leave(outcome.queued)
        except (BrokenPipeError, ConnectionResetError):
            return False
        except Exception:  # a lab bug must not take the face down
            self.log_error("request %s %s" % (req.method, req.target[:200]))
            try:
                wfile.write(responses.iis_error(500).to_bytes())
                wfile.flush()
            except OSError:
                pass
            return False
        if outcome.response.layer != "iis":
            return False  # HTTP.sys and the App Proxy close after an error answer
        return getattr(req, "keep_alive", False)


def _ca_stamp(root):
    stamp = []
    for path in certs.ca_paths(root)[:2]:
        try:
            info = os.stat(path)
            stamp.append((info.st_mtime_ns, info.st_size))
        except OSError:
            stamp.append(None)
    return tuple(stamp)


def _prepare_backend(root, backend):
    ca_cert, ca_key, _meta = certs.load_ca(root)
    backend.prepare_lab_ca(certs.cert_pem(ca_cert), ca_key)


def serve(root, port=None, front_port=None, ca_backend=None):
    """The daemon's main loop (runs until SIGTERM)."""
    root = os.path.abspath(root)
    backend = None
    if ca_backend == "scepserver":
        run_dir = layout.path(root, scep_ca.RUN_DIR)
        backend = scep_ca.ScepServer(run_dir, challenge=os.environ.get("NDES_LAB_CHALLENGE") or None,
                                     pythonpath=os.environ.get("PYTHONPATH"))
        _prepare_backend(root, backend)
        backend.start()
    face = Face(root, backend)
    ndes = _Listener(port, face, front=False)
    front = _Listener(front_port, face, front=True)
    face.ndes_port = ndes.server_address[1]
    stopping = threading.Event()

    def _stop(signum, frame):
        stopping.set()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    threads = [threading.Thread(target=s.serve_forever, args=(0.2,), daemon=True) for s in (ndes, front)]
    for thread in threads:
        thread.start()
    base = "http://127.0.0.1:%d" % ndes.server_address[1]
    front_base = "http://127.0.0.1:%d" % front.server_address[1]
    scep_path = face_view.scep_path(root)
    record = {"port": ndes.server_address[1], "front_port": front.server_address[1],
              "pid": os.getpid(), "base_url": base, "scep_url": base + scep_path + "/mscep.dll",
              "app_proxy_url": front_base + scep_path + "/mscep.dll",
              "started": store.iso(store.utcnow()), "root": root,
              "ca_backend": backend.describe() if backend else None,
              "log": layout.path(root, SERVER_LOG), "code": os.environ.get("PYTHONPATH")}
    store.write_json(_server_json(root), record)
    sys.stderr.write("%s listening on %s (App Proxy front %s), pid %d\n" % (
        record["started"], base, front_base, os.getpid()))
    sys.stderr.flush()
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        for srv in (ndes, front):
            srv.shutdown()
            srv.server_close()
        if backend is not None:
            backend.stop()
        current = _read_record(root)
        if current and current.get("pid") == os.getpid():
            os.unlink(_server_json(root))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ndes.scep lab face")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve")
    run.add_argument("root")
    run.add_argument("--port", type=int)
    run.add_argument("--front-port", type=int)
    run.add_argument("--ca-backend", choices=["scepserver"])
    args = parser.parse_args(argv)
    return serve(args.root, args.port, args.front_port, args.ca_backend)


if __name__ == "__main__":
    raise SystemExit(main())
