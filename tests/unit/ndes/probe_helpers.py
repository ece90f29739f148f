# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helpers: an NDES-like PKI (CA + two MSCEP-RA certs) and a raw-bytes HTTP server."""
from __future__ import annotations

import datetime
import os
import socket
import socketserver
import ssl
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID, ObjectIdentifier

from ansible_collections.ndes.scep.plugins.module_utils._formats.der import OID_TEMPLATE_NAME, bmp_string

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "fixtures", "http")
NOW = datetime.datetime(2026, 11, 25, 21, 0, 0, tzinfo=datetime.timezone.utc)

_KEY_CACHE = []


def _key():
    if len(_KEY_CACHE) < 6:
        _KEY_CACHE.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        return _KEY_CACHE[-1]
    _KEY_CACHE.append(_KEY_CACHE.pop(0))
    return _KEY_CACHE[-1]


def make_cert(cn, issuer=None, issuer_key=None, ca=False, ra=None, days=(-30, 365),
              now=NOW, san=None, key=None):
    """ra: None | 'signing' | 'encryption' (MSCEP-RA certificates as NDES enrols them)."""
    key = key or _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = (x509.CertificateBuilder()
               .subject_name(name)
               .issuer_name(issuer.subject if issuer else name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now + datetime.timedelta(days=days[0]))
               .not_valid_after(now + datetime.timedelta(days=days[1])))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), True)
    if ra:
        builder = builder.add_extension(x509.ExtendedKeyUsage(
            [ObjectIdentifier("1.3.6.1.4.1.311.20.2.1")]), False)
        signing = ra == "signing"
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=signing, content_commitment=False, key_encipherment=not signing,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), True)
        tname = "EnrollmentAgentOffline" if signing else "CEPEncryption"
        builder = builder.add_extension(x509.UnrecognizedExtension(
            ObjectIdentifier(OID_TEMPLATE_NAME), bmp_string(tname)), False)
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(n) for n in san]), False)
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    return cert, key


def make_pki(ra_days=(-30, 365)):
    ca, ca_key = make_cert("Lab Issuing CA", ca=True, days=(-365, 3650))
    sig, _key = make_cert("NDES01-MSCEP-RA", ca, ca_key, ra="signing", days=ra_days)
    enc, _key = make_cert("NDES01-MSCEP-RA", ca, ca_key, ra="encryption", days=ra_days)
    return ca, ca_key, sig, enc


def pkcs7_certs(certs):
    return pkcs7.serialize_certificates(list(certs), serialization.Encoding.DER)


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


# ------------------------------------------------------------------- server
def sample(name):
    with open(os.path.join(FIXTURES, name), "rb") as handle:
        return handle.read()


def raw_response(status_line, headers, body):
    head = [status_line] + ["%s: %s" % h for h in headers] + ["Content-Length: %d" % len(body)]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def iis_ok(ctype, body):
    headers = [("Content-Type", ctype), ("Server", "Microsoft-IIS/10.0"), ("X-Powered-By", "ASP.NET")]
    return raw_response("HTTP/1.1 200 OK", headers, body)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        data = b""
        self.request.settimeout(5)
        try:
            while b"\r\n\r\n" not in data:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                data += chunk
        except (socket.timeout, OSError):
            return
        line = data.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split(" ")
        target = parts[1] if len(parts) > 1 else "/"
        self.server.seen.append(target)
        answer = self.server.route(target)
        if answer is None:  # drop the connection
            return
        try:
            self.request.sendall(answer)
        except OSError:
            pass


class SampleServer(socketserver.ThreadingTCPServer):
    """Answers each request with route(target) -> raw bytes (None: close)."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, route, tls_cert=None, tls_key=None):
        socketserver.ThreadingTCPServer.__init__(self, ("127.0.0.1", 0), _Handler)
        self.route = route
        self.seen = []
        self.scheme = "http"
        if tls_cert is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls_cert, tls_key)
            self.socket = ctx.wrap_socket(self.socket, server_side=True,
                                          do_handshake_on_connect=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    def get_request(self):
        try:
            return socketserver.ThreadingTCPServer.get_request(self)
        except (ssl.SSLError, OSError):
            raise OSError("handshake failed")

    def handle_error(self, request, client_address):
        pass

    @property
    def port(self):
        return self.server_address[1]

    def url(self, path="/certsrv/mscep/mscep.dll", host="127.0.0.1"):
        return "%s://%s:%d%s" % (self.scheme, host, self.port, path)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()
