# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate a large, realistic IIS W3C site log (u_exYYMMDD.log layout) for benchmarks.

Usage: ``python benchmarks/gen_w3c.py --size 1G --out benchmarks/work/u_ex250611.log``

Output: a UTF-8, CRLF W3C file in the IIS 10 default per-site field layout (as
``tests/unit/fixtures/w3c/u_ex250611.log``): mostly other site traffic
(browsers, health probes, OWA/API calls, static files, scanners), about
``--mscep-share`` of mscep.dll requests (GetCACaps / GetCACert / PKIOperation
from the Windows NDES client, Android Dalvik and iOS CFNetwork user agents;
iOS PKIOperation as GET with a long base64 ``message``, others mostly POST),
CertificateRegistrationSvc posts from the NDES policy module over link-local
IPv6 with a zone id, a few ``500 0 1346`` and ``404 15 0`` answers, and a new
``#Software..#Fields`` block at each simulated logging restart
(``--restart-every`` MB). Lines are built from pre-rendered bodies and written
in big chunks, so a 1 GB file takes seconds. Prints a JSON summary (bytes, lines,
mscep lines, header blocks) on stdout.
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import random
import sys

FIELDS = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
          "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken").split()
SOFTWARE = "Microsoft Internet Information Services 10.0"
S_IP = "10.0.0.20"

UA_WINDOWS = "Mozilla/4.0+(compatible;+Win32;+NDES+client)"
UA_ANDROID = [
    "Dalvik/2.1.0+(Linux;+U;+Android+5.0;+P01M+Build/LRX21V)",
    "Dalvik/2.1.0+(Linux;+U;+Android+13;+SM-G991B+Build/TP1A.220624.014)",
    "Dalvik/2.1.0+(Linux;+U;+Android+14;+Pixel+7+Build/UQ1A.240205.002)",
]
UA_IOS = [
    "profiled/1.0+CFNetwork/975.0.3+Darwin/18.2.0",
    "profiled/1.0+CFNetwork/811.5.4+Darwin/16.6.0",
    "profiled/1.0+CFNetwork/1410.0.3+Darwin/22.6.0",
]
UA_BROWSERS = [
    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/124.0.0.0+Safari/537.36",
    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:125.0)+Gecko/20100101+Firefox/125.0",
    "Mozilla/5.0+(Macintosh;+Intel+Mac+OS+X+10_15_7)+AppleWebKit/605.1.15+(KHTML,+like+Gecko)+Version/17.4+Safari/605.1.15",
    "Mozilla/5.0+(iPhone;+CPU+iPhone+OS+17_4+like+Mac+OS+X)+AppleWebKit/605.1.15+(KHTML,+like+Gecko)+Mobile/15E148",
    "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.17328;+Pro)",
    "Go-http-client/1.1",
    "curl/8.4.0",
    "-",
]
OTHER_PATHS = [
    ("GET", "/", "-"), ("GET", "/iisstart.png", "-"), ("GET", "/favicon.ico", "-"),
    ("GET", "/owa/auth/logon.aspx", "url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0"),
    ("POST", "/owa/auth.owa", "-"), ("GET", "/ews/exchange.asmx", "-"),
    ("POST", "/Microsoft-Server-ActiveSync", "Cmd=Ping&User=user1&DeviceId=ABCD1234&DeviceType=iPhone"),
    ("GET", "/api/v1/health", "-"), ("GET", "/api/v1/items", "page=2&size=50"),
    ("GET", "/content/site.css", "v=20250611"), ("GET", "/scripts/app.js", "v=20250611"),
    ("GET", "/images/logo.png", "-"), ("HEAD", "/", "-"),
    ("GET", "/certsrv/", "-"), ("GET", "/wp-login.php", "-"), ("GET", "/.env", "-"),
    ("GET", "/autodiscover/autodiscover.xml", "-"),
]
OTHER_STATUS = ([("200", "0", "0")] * 14 + [("304", "0", "0")] * 3
                + [("302", "0", "0"), ("401", "2", "5"), ("401", "1", "2148074254"), ("404", "0", "2")])


def _rand_ip(rng):
    return "%d.%d.%d.%d" % (rng.choice((10, 172, 192, 31, 88, 151)), rng.randint(0, 255),
                            rng.randint(0, 255), rng.randint(1, 254))


def _pki_message(rng, n):
    raw = base64.b64encode(rng.randbytes(n)).decode("ascii")
    return raw.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


def _bodies(rng):
    """(weight, body) list; a body is the line without 'date time ' and CRLF."""
    out = []
    for dummy in range(4000):
        method, stem, query = rng.choice(OTHER_PATHS)
        status, sub, win32 = rng.choice(OTHER_STATUS)
        user = rng.choice(("-", "-", "-", "CONTOSO\\user%d" % rng.randint(1, 400)))
        referer = rng.choice(("-", "-", "https://mail.contoso.com/owa/"))
        out.append("%s %s %s %s 443 %s %s %s %s %s %s %s %d" % (
            S_IP, method, stem, query, user, _rand_ip(rng), rng.choice(UA_BROWSERS), referer,
            status, sub, win32, rng.randint(0, 900)))
    mscep = []
    for dummy in range(600):
        platform = rng.choice(("windows", "android", "ios", "ios"))
        c_ip = _rand_ip(rng)
        if platform == "windows":
            ua, stem, message = UA_WINDOWS, "/certsrv/mscep/mscep.dll/pkiclient.exe", "default"
        elif platform == "android":
            ua, stem, message = rng.choice(UA_ANDROID), "/certsrv/mscep/mscep.dll", "ca"
        else:
            ua, stem, message = rng.choice(UA_IOS), "/certsrv/mscep/mscep.dll", "SCEP%20Authority"
        for op in ("GetCACaps", "GetCACert"):
            mscep.append("%s GET %s operation=%s&message=%s 443 - %s %s - 200 0 0 %d" % (
                S_IP, stem, op, message, c_ip, ua, rng.randint(100, 4000)))
        if platform == "ios":
            query = "operation=PKIOperation&message=" + _pki_message(rng, rng.randint(1800, 4500))
            mscep.append("%s GET %s %s 443 - %s %s - 200 0 0 %d" % (
                S_IP, stem, query, c_ip, ua, rng.randint(300, 2500)))
        else:
            mscep.append("%s POST %s operation=PKIOperation 443 - %s %s - 200 0 0 %d" % (
                S_IP, stem, c_ip, ua, rng.randint(300, 2500)))
    faults = []
    for dummy in range(40):
        c_ip = _rand_ip(rng)
        ua = rng.choice(UA_IOS)
        faults.append("%s GET /certsrv/mscep/mscep.dll operation=GetCACert&message=SCEP%%20Authority 443 - %s %s - 500 0 1346 %d"
                      % (S_IP, c_ip, ua, rng.randint(15, 60)))
        query = "operation=PKIOperation&message=" + _pki_message(rng, rng.randint(1800, 3000))
        faults.append("%s GET /certsrv/mscep/mscep.dll %s 443 - %s %s - 404 15 0 %d"
                      % (S_IP, query, c_ip, ua, rng.randint(1, 5)))
    certreg = []
    for path, ok in (("/CertificateRegistrationSvc/Certificate/VerifyRequest", "201"),
                     ("/CertificateRegistrationSvc/Certificate/Notify", "204")):
        certreg.append("%s POST %s - 443 - fe80::f53d:89b8:c3e8:5fec%%13 NDES_Plugin - %s 0 0 %d"
                       % (S_IP, path, ok, rng.randint(50, 900)))
    return out, mscep, faults, certreg


def header_block(when):
    return ("#Software: %s\r\n#Version: 1.0\r\n#Date: %s\r\n#Fields: %s\r\n"
            % (SOFTWARE, when.strftime("%Y-%m-%d %H:%M:%S"), " ".join(FIELDS)))


def parse_size(text):
    text = text.strip().upper()
    mult = 1
    for suffix, m in (("GB", 1 << 30), ("G", 1 << 30), ("MB", 1 << 20), ("M", 1 << 20), ("KB", 1 << 10), ("K", 1 << 10)):
        if text.endswith(suffix):
            text, mult = text[: -len(suffix)], m
            break
    return int(float(text) * mult)


def generate(out, size, seed=1, mscep_share=0.03, restart_every_mb=64, day="2025-06-11"):
    rng = random.Random(seed)
    other, mscep, faults, certreg = _bodies(rng)
    start = dt.datetime.strptime(day, "%Y-%m-%d")
    avg_len = 230
    est_lines = max(size // avg_len, 1)
    per_second = max(est_lines / 86000.0, 0.01)
    restart_bytes = max(int(restart_every_mb * (1 << 20)), 1 << 16)
    written = lines = mscep_lines = blocks = 0
    next_restart = 0
    t = 0.0
    batch = 20000
    with open(out, "wb") as fh:
        while written < size:
            if written >= next_restart:
                when = start + dt.timedelta(seconds=int(t))
                head = header_block(when).encode("ascii")
                fh.write(head)
                written += len(head)
                blocks += 1
                next_restart = written + restart_bytes
            parts = []
            k = 0
            while k < batch:
                sec = int(t)
                when = start + dt.timedelta(seconds=min(sec, 86399))
                prefix = when.strftime("%Y-%m-%d %H:%M:%S ")
                n = max(1, int(per_second * (0.5 + rng.random())))
                for dummy in range(n):
                    r = rng.random()
                    if r < mscep_share:
                        body = rng.choice(mscep)
                        mscep_lines += 1
                    elif r < mscep_share + 0.0004:
                        body = rng.choice(faults)
                        mscep_lines += 1
                    elif r < mscep_share + 0.0004 + mscep_share / 3:
                        body = rng.choice(certreg)
                    else:
                        body = rng.choice(other)
                    parts.append(prefix)
                    parts.append(body)
                    parts.append("\r\n")
                k += n
                t += 1.0
            data = "".join(parts).encode("utf-8")
            fh.write(data)
            written += len(data)
            lines += k
    return {"path": out, "bytes": written, "lines": lines, "mscep_lines": mscep_lines,
            "header_blocks": blocks, "seed": seed}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="200M", help="target size, e.g. 200M, 1G")
    ap.add_argument("--out", default=os.path.join("benchmarks", "work", "u_ex250611.log"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mscep-share", type=float, default=0.03)
    ap.add_argument("--restart-every", type=float, default=64.0, help="MB between header blocks")
    args = ap.parse_args(argv)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    info = generate(args.out, parse_size(args.size), args.seed, args.mscep_share, args.restart_every)
    json.dump(info, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
