# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's CA backend: micromdm ``scepserver`` (Debian package ``scep``), kept off the network.

scepserver 2.1.0 (Debian 12) listens on ``":" + -port`` (all interfaces) and
has no flag to bind an address; newer versions have ``-http-addr``. So the
backend runs, in order of preference:

* ``netns``: in a network namespace of its own (``unshare --net``) where only
  loopback exists; a relay in that namespace joins it to a Unix socket under
  ``<lab>/run/scepserver/`` (file sockets cross namespaces). Nothing listens
  on the host's interfaces.
* ``http-addr``: ``-http-addr 127.0.0.1:<port>`` when the binary has the flag.
* ``all-interfaces``: ``-port <port>`` with a warning (the only choice left).

The depot (``-depot``) lives under ``<lab>/run/scepserver/depot`` (run/ is not
lab state): ``ca.pem`` is the lab's enterprise CA certificate and ``ca.key`` its
key, written as the legacy encrypted PEM scepserver's file depot insists on
(``x509.DecryptPEMBlock``). scepserver answers only at ``/scep``; the lab face
sends it the DER PKIOperation message as a POST.

``python -m ...scep_ca relay SOCKET PORT -- CMD...`` is the relay entry point.
"""
from __future__ import annotations

import fcntl
import http.client
import os
import secrets
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

SCEPSERVER = "/usr/bin/scepserver"
INNER_PORT = 8080          # inside the private namespace nothing else can use it
RUN_DIR = "run/scepserver"


class BackendError(Exception):
    """The CA backend cannot be set up or reached."""


# ----------------------------------------------------------------- depot
def write_depot(depot, ca_cert_pem, ca_key, password):
    """ca.pem + legacy-encrypted ca.key (RSA PKCS#1, DEK-Info AES-256-CBC) for scepserver."""
    from cryptography.hazmat.primitives import serialization
    os.makedirs(depot, exist_ok=True)
    with open(os.path.join(depot, "ca.pem"), "wb") as handle:
        handle.write(ca_cert_pem)
    key_pem = ca_key.private_bytes(serialization.Encoding.PEM,
                                   serialization.PrivateFormat.TraditionalOpenSSL,
                                   serialization.BestAvailableEncryption(password.encode("ascii")))
    fd = os.open(os.path.join(depot, "ca.key"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_pem)


def supports_http_addr(binary):
    try:
        out = subprocess.run([binary, "-help"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"-http-addr" in out.stdout + out.stderr


def netns_prefix():
    """The unshare command that gives a private network namespace, or None."""
    unshare = shutil.which("unshare")
    if not unshare:
        return None
    prefix = [unshare, "--net"] if os.geteuid() == 0 else [unshare, "--net", "--map-root-user"]
    try:
        probe = subprocess.run(prefix + ["true"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return prefix if probe.returncode == 0 else None


def import_root():
    """The directory holding this collection's ``ansible_collections`` package (for PYTHONPATH)."""
    path = os.path.abspath(__file__)
    while os.path.basename(path) != "ansible_collections":
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent
    return os.path.dirname(path)


def _free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# ------------------------------------------------------------ the backend
class ScepServer(object):
    """A running scepserver and how to reach it.

    ``mode``: ``netns`` | ``http-addr`` | ``all-interfaces`` | None (choose).
    """

    def __init__(self, run_dir, binary=SCEPSERVER, challenge=None, mode=None, pythonpath=None,
                 log_name="scepserver.log"):
        self.run_dir = run_dir
        self.depot = os.path.join(run_dir, "depot")
        self.binary = binary
        self.challenge = challenge
        self.mode = mode
        self.pythonpath = pythonpath or import_root()
        self.log_path = os.path.join(run_dir, log_name)
        self.socket_path = os.path.join(run_dir, "ca.sock")
        self.port = None
        self.proc = None
        self.warning = None
        self.password = secrets.token_hex(16)

    def prepare_lab_ca(self, ca_cert_pem, ca_key):
        write_depot(self.depot, ca_cert_pem, ca_key, self.password)

    def init_own_ca(self):
        """A CA of scepserver's own (``scepserver ca -init``), for a standalone backend."""
        os.makedirs(self.depot, exist_ok=True)
        out = subprocess.run([self.binary, "ca", "-init", "-depot", self.depot, "-keySize", "2048",
                              "-key-password", self.password, "-organization", "ndes.scep lab"],
                             capture_output=True, timeout=120, check=False)
        if out.returncode != 0:
            raise BackendError("scepserver ca -init failed: %s" % (out.stdout + out.stderr).decode(
                "utf-8", "replace").strip())

    def _server_args(self, listen):
        return [self.binary, "-depot", self.depot, "-allowrenew", "0"] + listen

    def start(self, timeout=15.0):
        if not os.path.exists(self.binary):
            raise BackendError("%s is missing: install the Debian package 'scep' "
                               "(apt-get install scep) or start the lab without a CA backend"
                               % self.binary)
        os.makedirs(self.run_dir, exist_ok=True)
        # secrets travel in scepserver's environment (its flag defaults), not on its command line
        env = dict(os.environ, SCEP_CA_PASS=self.password)
        if self.challenge:
            env["SCEP_CHALLENGE_PASSWORD"] = self.challenge
        mode = self.mode
        prefix = None
        if mode in (None, "netns"):
            prefix = netns_prefix()
            mode = "netns" if prefix else None
            if prefix is None and self.mode == "netns":
                raise BackendError("cannot create a network namespace (unshare --net) for scepserver")
        if mode is None:
            mode = "http-addr" if supports_http_addr(self.binary) else "all-interfaces"
        log = open(self.log_path, "ab")
        try:
            if mode == "netns":
                if os.path.exists(self.socket_path):
                    os.unlink(self.socket_path)
                env["PYTHONPATH"] = os.pathsep.join(p for p in (self.pythonpath, env.get("PYTHONPATH")) if p)
                cmd = prefix + [sys.executable, "-m", __name__, "relay", self.socket_path,
                                str(INNER_PORT), "--"] + self._server_args(["-port", str(INNER_PORT)])
            elif mode == "http-addr":
                self.port = _free_port()
                cmd = self._server_args(["-http-addr", "127.0.0.1:%d" % self.port])
            else:
                self.port = _free_port()
                self.warning = ("scepserver %s cannot bind one address: it listens on all interfaces "
                                "on port %d" % (self.binary, self.port))
                cmd = self._server_args(["-port", str(self.port)])
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         env=env, start_new_session=True, close_fds=True)
        finally:
            log.close()
        self.mode = mode
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BackendError("scepserver exited with %s; see %s" % (
                    self.proc.returncode, self.log_path))
            try:
                if self.get_caps():
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise BackendError("scepserver did not answer within %ss; see %s" % (timeout, self.log_path))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except OSError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.proc.wait(5)
        self.proc = None
        if os.path.exists(self.socket_path):
            try:
                os.unlink(self.socket_path)
            except OSError:
                pass

    def describe(self):
        return {"kind": "scepserver", "mode": self.mode, "pid": self.proc.pid if self.proc else None,
                "port": self.port, "socket": self.socket_path if self.mode == "netns" else None,
                "depot": self.depot, "log": self.log_path, "warning": self.warning}

    # ---------------------------------------------------------------- HTTP
    def _connection(self, timeout):
        if self.mode == "netns":
            conn = http.client.HTTPConnection("localhost", timeout=timeout)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(self.socket_path)
            conn.sock = sock
            return conn
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, target, body=None, timeout=30.0):
        """(status, content type, body) from scepserver."""
        conn = self._connection(timeout)
        try:
            headers = {"Content-Type": "application/octet-stream"} if body is not None else {}
            conn.request(method, target, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type"), resp.read()
        finally:
            conn.close()

    def get_caps(self):
        status, _ctype, body = self.request("GET", "/scep?operation=GetCACaps", timeout=2.0)
        return body if status == 200 else None

    def pki_operation(self, message):
        status, _ctype, body = self.request("POST", "/scep?operation=PKIOperation", body=message)
        return status, body


# ------------------------------------------------------- relay (in the netns)
def _loopback_up():
    """ifconfig lo up (SIOCGIFFLAGS / SIOCSIFFLAGS), without needing the ip tool."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        req = struct.pack("16sH14s", b"lo", 0, b"\0" * 14)
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, 0x8913, req))[1]
        fcntl.ioctl(sock, 0x8914, struct.pack("16sH14s", b"lo", flags | 0x1, b"\0" * 14))
    finally:
        sock.close()


def _pump(client, port):
    try:
        upstream = socket.create_connection(("127.0.0.1", port), timeout=30)
    except OSError:
        client.close()
        return
    pair = {client: upstream, upstream: client}
    try:
        while True:
            ready, _w, _x = select.select(list(pair), [], [], 120)
            if not ready:
                break
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                pair[sock].sendall(data)
    except OSError:
        pass
    finally:
        client.close()
        upstream.close()


def relay_main(argv):
    """relay SOCKET PORT -- CMD...: run CMD, join SOCKET to 127.0.0.1:PORT until CMD exits."""
    sock_path, port, sep = argv[0], int(argv[1]), argv[2]
    if sep != "--":
        raise SystemExit("usage: relay SOCKET PORT -- CMD...")
    _loopback_up()
    child = subprocess.Popen(argv[3:], stdin=subprocess.DEVNULL)

    def _stop(signum, frame):
        if child.poll() is None:
            child.terminate()
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, _stop)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    listener.bind(sock_path)
    os.chmod(sock_path, 0o600)
    listener.listen(16)
    listener.settimeout(0.5)
    try:
        while child.poll() is None:
            try:
                client, _addr = listener.accept()
            except socket.timeout:
                continue
            threading.Thread(target=_pump, args=(client, port), daemon=True).start()
    finally:
        listener.close()
        if os.path.exists(sock_path):
            os.unlink(sock_path)
        if child.poll() is None:
            child.terminate()
        try:
            child.wait(5)          # reap it: an orphan would stay a zombie under some inits
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)
    return child.returncode or 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "relay":
        raise SystemExit(relay_main(sys.argv[2:]))
    raise SystemExit("usage: python -m %s relay SOCKET PORT -- CMD..." % __name__)
