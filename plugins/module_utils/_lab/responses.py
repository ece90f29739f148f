# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ndes.scep contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bytes the lab NDES answers with: HTTP.sys, IIS and NDES pages from the samples."""
from __future__ import annotations

import email.utils
import html

# Provenance: ../shared/samples/http/ (README.md and each NAME.source.txt).
# Every builder below reproduces its sample's body byte for byte (checked by
# tests/unit/lab/test_http_face.py against the copies in tests/unit/fixtures/http/);
# only Date, Content-Length and, on detailed pages, the Requested URL change.

SERVER_HTTPSYS = "Microsoft-HTTPAPI/2.0"
SERVER_IIS = "Microsoft-IIS/10.0"

REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
           414: "Request-URI Too Long", 500: "Internal Server Error",
           503: "Service Unavailable", 504: "Gateway Timeout"}

# GetCACaps: no NDES body is public (samples/http/ndes-getcacaps-getcacert.notes.txt).
# LAB CHOICE, not a capture: what the lab's CA backend (micromdm scepserver)
# handles and what Windows, iOS, Android and certmonger clients accept; it
# advertises POSTPKIOperation, which NDES is inferred to do (sscep#144/#122).
DEFAULT_CAPS = ("POSTPKIOperation", "SHA-256", "SHA-1", "DES3")


class Response(object):
    """One HTTP answer: status, reason, ordered headers, body, and who sent it."""

    def __init__(self, status, headers, body, layer, substatus=0, reason=None):
        self.status = status
        self.reason = reason or REASONS.get(status, "Unknown")
        self.headers = list(headers)
        self.body = body
        self.layer = layer          # httpsys | iis | app_proxy
        self.substatus = substatus  # what IIS logs in sc-substatus
        self.win32_status = 0       # what IIS logs in sc-win32-status

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def to_bytes(self, head_only=False):
        lines = ["HTTP/1.1 %d %s" % (self.status, self.reason)]
        lines += ["%s: %s" % (k, v) for k, v in self.headers]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head if head_only else head + self.body


def http_date(ts=None):
    return email.utils.formatdate(ts, usegmt=True)


# ------------------------------------------------------------------ HTTP.sys
# httpsys-503-service-unavailable.http, httpsys-400-request-too-long.http,
# httpsys-414-request-url-too-long.http: CRLF, text/html; charset=us-ascii.
_HTTPSYS_TEXT = {
    400: ("Bad Request", "Bad Request - Request Too Long",
          "HTTP Error 400. The size of the request headers is too long."),
    414: ("Request URL Too Long", "Request URL Too Long",
          "HTTP Error 414. The request URL is too long."),
    503: ("Service Unavailable", "Service Unavailable",
          "HTTP Error 503. The service is unavailable."),
}


def httpsys_body(status):
    title, h2, text = _HTTPSYS_TEXT[status]
    return ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n'
            '<HTML><HEAD><TITLE>%s</TITLE>\r\n'
            '<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n'
            '<BODY><h2>%s</h2>\r\n'
            '<hr><p>%s</p>\r\n'
            '</BODY></HTML>\r\n' % (title, h2, text)).encode("ascii")


def httpsys_error(status, now=None):
    """400 (Request Too Long), 414 (URL too long) or 503, sent by HTTP.sys itself."""
    body = httpsys_body(status)
    headers = [("Content-Type", "text/html; charset=us-ascii"), ("Server", SERVER_HTTPSYS),
               ("Date", http_date(now)), ("Connection", "close"),
               ("Content-Length", str(len(body)))]
    return Response(status, headers, body, "httpsys")


# ------------------------------------------------------- IIS custom (remote)
# iis10-403-custom-error-remote.http (capture), iis10-404-custom-error-remote.http,
# iis10-500-custom-error-remote.http: custerr\<lang>\NNN.htm, CRLF.
_CUSTOM_TEXT = {
    403: ("403 - Forbidden: Access is denied.",
          "You do not have permission to view this directory or page using the credentials "
          "that you supplied."),
    404: ("404 - File or directory not found.",
          "The resource you are looking for might have been removed, had its name changed, "
          "or is temporarily unavailable."),
    500: ("500 - Internal server error.",
          "There is a problem with the resource you are looking for, and it cannot be displayed."),
}

_CUSTOM_TEMPLATE = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">',
    '<html xmlns="http://www.w3.org/1999/xhtml">',
    '<head>',
    '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>',
    '<title>{h2}</title>',
    '<style type="text/css">',
    '<!--',
    'body{{margin:0;font-size:.7em;font-family:Verdana, Arial, Helvetica, sans-serif;background:#EEEEEE;}}',
    'fieldset{{padding:0 15px 10px 15px;}} ',
    'h1{{font-size:2.4em;margin:0;color:#FFF;}}',
    'h2{{font-size:1.7em;margin:0;color:#CC0000;}} ',
    'h3{{font-size:1.2em;margin:10px 0 0 0;color:#000000;}} ',
    '#header{{width:96%;margin:0 0 0 0;padding:6px 2% 6px 2%;font-family:"trebuchet MS", '
    'Verdana, sans-serif;color:#FFF;',
    'background-color:#555555;}}',
    '#content{{margin:0 0 0 2%;position:relative;}}',
    '.content-container{{background:#FFF;width:96%;margin-top:8px;padding:10px;position:relative;}}',
    '-->',
    '</style>',
    '</head>',
    '<body>',
    '<div id="header"><h1>Server Error</h1></div>',
    '<div id="content">',
    ' <div class="content-container"><fieldset>',
    '  <h2>{h2}</h2>',
    '  <h3>{h3}</h3>',
    ' </fieldset></div>',
    '</div>',
    '</body>',
    '</html>',
    '',
)


def custom_body(status):
    h2, h3 = _CUSTOM_TEXT[status]
    return "\r\n".join(_CUSTOM_TEMPLATE).format(h2=h2, h3=h3).encode("ascii")


def _iis_headers(content_type, body, now, detailed=False):
    headers = [("Cache-Control", "private")] if detailed else []
    headers += [("Content-Type", content_type), ("Server", SERVER_IIS),
                ("X-Powered-By", "ASP.NET"), ("Date", http_date(now)),
                ("Content-Length", str(len(body)))]
    return headers


# ------------------------------------------------------- IIS detailed (local)
# Skeleton of iis10-501.0-detailed-error-capture.http (real capture; lines end
# with " \n"); texts of the 403.0 / 404.15 / 404.14 samples ("[NOT SOURCED]"
# where the sample has no source).
_DETAILED_HEAD = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">',
    '<html xmlns="http://www.w3.org/1999/xhtml">',
    '<head>',
    '<title>IIS 10.0 Detailed Error - {code} - {reason}</title>',
    '<style type="text/css">',
    '<!--',
    'body{{margin:0;font-size:.7em;font-family:Verdana,Arial,Helvetica,sans-serif;}}',
    'code{{margin:0;color:#006600;font-size:1.1em;font-weight:bold;}}',
    '.config_source code{{font-size:.8em;color:#000000;}}',
    'pre{{margin:0;font-size:1.4em;word-wrap:break-word;}}',
    'ul,ol{{margin:10px 0 10px 5px;}}',
    'ul.first,ol.first{{margin-top:5px;}}',
    'fieldset{{padding:0 15px 10px 15px;word-break:break-all;}}',
    '.summary-container fieldset{{padding-bottom:5px;margin-top:4px;}}',
    'legend.no-expand-all{{padding:2px 15px 4px 10px;margin:0 0 0 -12px;}}',
    'legend{{color:#333333;;margin:4px 0 8px -12px;_margin-top:0px;',
    'font-weight:bold;font-size:1em;}}',
    'a:link,a:visited{{color:#007EFF;font-weight:bold;}}',
    'a:hover{{text-decoration:none;}}',
    'h1{{font-size:2.4em;margin:0;color:#FFF;}}',
    'h2{{font-size:1.7em;margin:0;color:#CC0000;}}',
    'h3{{font-size:1.4em;margin:10px 0 0 0;color:#CC0000;}}',
    'h4{{font-size:1.2em;margin:10px 0 5px 0;',
    '}}#header{{width:96%;margin:0 0 0 0;padding:6px 2% 6px 2%;font-family:"trebuchet MS",Verdana,sans-serif;',
    ' color:#FFF;background-color:#5C87B2;',
    '}}#content{{margin:0 0 0 2%;position:relative;}}',
    '.summary-container,.content-container{{background:#FFF;width:96%;margin-top:8px;padding:10px;position:relative;}}',
    '.content-container p{{margin:0 0 10px 0;',
    '}}#details-left{{width:35%;float:left;margin-right:2%;',
    '}}#details-right{{width:63%;float:left;overflow:hidden;',
    '}}#server_version{{width:96%;_height:1px;min-height:1px;margin:0 0 5px 0;padding:11px 2% 8px 2%;color:#FFFFFF;',
    ' background-color:#5A7FA5;border-bottom:1px solid #C1CFDD;border-top:1px solid #4A6C8E;font-weight:normal;',
    ' font-size:1em;color:#FFF;text-align:right;',
    '}}#server_version p{{margin:5px 0;}}',
    'table{{margin:4px 0 4px 0;width:100%;border:none;}}',
    'td,th{{vertical-align:top;padding:3px 0;text-align:left;font-weight:normal;border:none;}}',
    'th{{width:30%;text-align:right;padding-right:2%;font-weight:bold;}}',
    'thead th{{background-color:#ebebeb;width:25%;',
    '}}#details-right th{{width:20%;}}',
    'table tr.alt td,table tr.alt th{{}}',
    '.highlight-code{{color:#CC0000;font-weight:bold;font-style:italic;}}',
    '.clear{{clear:both;}}',
    '.preferred{{padding:0 5px 2px 5px;font-weight:normal;background:#006633;color:#FFF;font-size:.8em;}}',
    '-->',
    '</style>',
    '',
    '</head>',
    '<body>',
    '<div id="content">',
    '<div class="content-container">',
    '  <h3>HTTP Error {code} - {reason}</h3>',
    '  <h4>{h4}</h4>',
    '</div>',
    '<div class="content-container">',
    ' <fieldset><h4>Most likely causes:</h4>',
    '  <ul> {causes} </ul>',
    ' </fieldset>',
    '</div>',
    '<div class="content-container">',
    ' <fieldset><h4>Things you can try:</h4>',
    '  <ul> {tries} </ul>',
    ' </fieldset>',
    '</div>',
    '',
    '<div class="content-container">',
    ' <fieldset><h4>Detailed Error Information:</h4>',
    '  <div id="details-left">',
    '   <table border="0" cellpadding="0" cellspacing="0">',
    '    <tr class="alt"><th>Module</th><td>&nbsp;&nbsp;&nbsp;{module}</td></tr>',
    '    <tr><th>Notification</th><td>&nbsp;&nbsp;&nbsp;{notification}</td></tr>',
    '    <tr class="alt"><th>Handler</th><td>&nbsp;&nbsp;&nbsp;{handler}</td></tr>',
    '    <tr><th>Error Code</th><td>&nbsp;&nbsp;&nbsp;{error_code}</td></tr>',
    '    ',
    '   </table>',
    '  </div>',
    '  <div id="details-right">',
    '   <table border="0" cellpadding="0" cellspacing="0">',
    '    <tr class="alt"><th>Requested URL</th><td>&nbsp;&nbsp;&nbsp;{requested_url}</td></tr>',
    '    <tr><th>Physical Path</th><td>&nbsp;&nbsp;&nbsp;{physical_path}</td></tr>',
    '    <tr class="alt"><th>Logon Method</th><td>&nbsp;&nbsp;&nbsp;{logon_method}</td></tr>',
    '    <tr><th>Logon User</th><td>&nbsp;&nbsp;&nbsp;{logon_user}</td></tr>',
    '    ',
    '   </table>',
    '   <div class="clear"></div>',
    '  </div>',
    ' </fieldset>',
    '</div>',
    '',
    '<div class="content-container">',
    ' <fieldset><h4>More Information:</h4>',
    '  {more}',
    '  <p><a href="https://go.microsoft.com/fwlink/?LinkID=62293&amp;IIS70Error={iis70error}">'
    'View more information &raquo;</a></p>',
    '  ',
    ' </fieldset>',
    '</div>',
    '</div>',
    '</body>',
    '</html>',
    '',
)

_NS = "[NOT SOURCED]"
_TRACING = ('Create a tracing rule to track failed requests for this HTTP status code. For more '
            'information about creating a tracing rule for failed requests, click '
            '<a href="http://go.microsoft.com/fwlink/?LinkID=66439">here</a>. ')

DETAILED_PAGES = {
    # (status, substatus): fields (see each sample's .source.txt for provenance)
    (403, 0): dict(
        reason="Forbidden",
        h4="You do not have permission to view this directory or page.",
        causes=["This is a generic 403 error and means the authenticated user is not authorized "
                "to view the page."],
        tries=[_TRACING], module=_NS, notification=_NS, handler=_NS, error_code="0x00000000",
        requested_url="https://ndes.contoso.com:443/certsrv/mscep/mscep.dll",
        physical_path=_NS, logon_method="Anonymous", logon_user="Anonymous",
        more="This generic 403 error means that the authenticated user is not authorized to use "
             "the requested resource. A substatus code in the IIS log files should indicate the "
             "reason for the 403 error. If a substatus code does not exist, use the steps above to "
             "gather more information about the source of the error.",
        iis70error="403,0,0x00000000,20348"),
    (404, 15): dict(
        reason="Not Found",
        h4="The request filtering module is configured to deny a request where the query string "
           "is too long.",
        causes=["Request filtering is configured on the Web server to deny the request because "
                "the query string is too long."],
        tries=["Verify the configuration/system.webServer/security/requestFiltering/"
               "requestLimits@maxQueryString setting in the applicationhost.config or web.config "
               "file."],
        module=_NS, notification=_NS, handler=_NS, error_code=_NS, requested_url=_NS,
        physical_path=_NS, logon_method=_NS, logon_user=_NS, more=_NS,
        iis70error="404,15," + _NS),
    (404, 14): dict(
        reason="Not Found", h4=_NS, causes=[_NS], tries=[_NS],
        module=_NS, notification=_NS, handler=_NS, error_code=_NS, requested_url=_NS,
        physical_path=_NS, logon_method=_NS, logon_user=_NS, more=_NS,
        iis70error="404,14," + _NS),
}


def detailed_body(status, substatus, fields):
    """A detailed error page (the skeleton of the real 501.0 capture)."""
    values = dict(fields)
    values["code"] = "%d.%d" % (status, substatus)
    values["causes"] = " ".join("\t<li>%s</li>" % c for c in fields["causes"])
    values["tries"] = " ".join("\t<li>%s</li>" % t for t in fields["tries"])
    return " \n".join(_DETAILED_HEAD).format(**values).encode("utf-8")


def iis_error(status, substatus=0, detailed=False, requested_url=None, now=None):
    """An IIS error answer: remote view (custerr page, sub-status hidden) or
    local view (detailed page, sub-status shown). Sub-status always goes to
    the W3C log (Response.substatus)."""
    if detailed and (status, substatus) in DETAILED_PAGES:
        fields = dict(DETAILED_PAGES[(status, substatus)])
        if requested_url:
            fields["requested_url"] = html.escape(requested_url, quote=False)
        body = detailed_body(status, substatus, fields)
        headers = _iis_headers("text/html; charset=utf-8", body, now, detailed=True)
    else:
        body = custom_body(status)
        headers = _iis_headers("text/html", body, now)
    return Response(status, headers, body, "iis", substatus=substatus)


# ------------------------------------------------------------------ NDES
# ndes-mscep-dll-default-page.html (visible text verbatim, markup low
# confidence). NDES prints its own host name in the admin URL. Sent as
# UTF-16LE with a BOM like the verbatim NDES admin page (the default page's
# encoding is not verified); headers are not captured: IIS defaults used.
_NDES_PAGE = (
    '<HTML><Head><Meta HTTP-Equiv="Content-Type" Content="text/html; charset=UTF-8">'
    '<Title>Network Device Enrollment Service</Title></Head><Body BgColor=#FFFFFF>'
    '<Font ID=locPageFont Face="Arial"><Table Border=0 CellSpacing=0 CellPadding=4 Width=100% '
    'BgColor=#008080><TR><TD><Font ID=locPageTitleFont Face="Arial" Size=-1 Color=#FFFFFF>'
    '<LocID ID=locMSCertSrv>Network Device Enrollment Service</LocID></Font></TD></TR></Table>'
    '<P ID=locPageTitle> Network Device Enrollment Service allows you to obtain certificates for '
    'routers or other network devices using the Simple Certificate Enrollment Protocol (SCEP). '
    '</P><P> This URL is used by network devices to submit certificate requests. <P> To obtain an '
    'enrollment challenge password, go to the admin URL. By default, the admin URL is '
    'http://{host}/CertSrv/mscep_admin </P> <P ID=locPageDesc> For more information see  '
    '<A HREF=http://go.microsoft.com/fwlink/?LinkId=67852>Using Network Device Enrollment Service '
    '</A>. </P></Font></Body></HTML>')


def ndes_page_text(host="ndes-server"):
    return _NDES_PAGE.format(host=host)


def ndes_page(host="ndes-server", now=None):
    """200 "Network Device Enrollment Service": the Intune policy module is missing."""
    body = b"\xff\xfe" + ndes_page_text(host).encode("utf-16-le")
    return Response(200, _iis_headers("text/html", body, now), body, "iis")


def getcacaps(caps=DEFAULT_CAPS, now=None):
    body = "\n".join(caps).encode("ascii")
    return Response(200, _iis_headers("text/plain", body, now), body, "iis")


def getcacert(der, count, now=None):
    """GetCACert: one DER certificate, or a degenerate PKCS#7 with CA + RA certs."""
    ctype = "application/x-x509-ca-ra-cert" if count > 1 else "application/x-x509-ca-cert"
    return Response(200, _iis_headers(ctype, der, now), der, "iis")


def pki_message(body, now=None):
    return Response(200, _iis_headers("application/x-pki-message", body, now), body, "iis")


# ------------------------------------------------------------- App Proxy
# LAB-MADE: no HTML, headers or Server value of the Entra application proxy
# error page is public (samples/http/entra-app-proxy-gatewaytimeout.notes.txt).
# Status 504 (blog, medium confidence); texts from entra-docs.
_GATEWAY_TIMEOUT = (
    '<!DOCTYPE html>\r\n<html><head><meta charset="utf-8"><title>Gateway Timeout</title></head>\r\n'
    '<body><h1>This corporate app can\'t be accessed.</h1>\r\n'
    '<p>Gateway Timeout: The application proxy service is unable to reach the connector.</p>\r\n'
    '<p>Status Code: GatewayTimeout</p>\r\n</body></html>\r\n')


def gateway_timeout(now=None):
    body = _GATEWAY_TIMEOUT.encode("utf-8")
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Date", http_date(now)),
               ("Content-Length", str(len(body)))]
    return Response(504, headers, body, "app_proxy")
