"""The SOAP `login()` call of Salesforce's partner API, as simple-salesforce uses it.

simple-salesforce logs in with username / password / security_token by POSTing a SOAP
envelope to https://{domain}.salesforce.com/services/Soap/u/{version} and reading
`sessionId` and `serverUrl` from the answer (a 500 SOAP fault with sf:exceptionCode
INVALID_LOGIN otherwise). The password element carries the password followed by the
security token, XML-escaped.

Pointing it at the double: the domain is pasted in front of ".salesforce.com", so
SALESFORCE_DOMAIN = "127.0.0.1:{port}/login" makes the URL
https://127.0.0.1:{port}/login.salesforce.com/services/Soap/u/{version}; the double serves
any "/<name>.salesforce.com/services/…" path as "/services/…" (the OAuth token endpoint too).
"""

from __future__ import annotations

from xml.etree import ElementTree
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

PARTNER_NS = "urn:partner.soap.sforce.com"
INVALID_LOGIN = "Invalid username, password, security token; or user locked out."


def login_credentials(body: bytes) -> tuple[str, str] | None:
    """(username, password+token) from a login envelope; None when it is not one."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    login = root.find(f".//{{{PARTNER_NS}}}login")
    if login is None:
        return None
    username = login.findtext(f"{{{PARTNER_NS}}}username")
    password = login.findtext(f"{{{PARTNER_NS}}}password")
    return (username or "", password or "") if username is not None else None


def login_response(server: str, version: str, org_id: str, user_id: str, session_id: str,
                   username: str, email: str) -> Response:
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="{PARTNER_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<soapenv:Body><loginResponse><result>
<metadataServerUrl>{server}/services/Soap/m/{version}/{org_id}</metadataServerUrl>
<passwordExpired>false</passwordExpired>
<sandbox>true</sandbox>
<serverUrl>{server}/services/Soap/u/{version}/{org_id}</serverUrl>
<sessionId>{escape(session_id)}</sessionId>
<userId>{user_id}</userId>
<userInfo><organizationId>{org_id}</organizationId><userEmail>{escape(email)}</userEmail>
<userFullName>Integration User</userFullName><userId>{user_id}</userId>
<userName>{escape(username)}</userName></userInfo>
</result></loginResponse></soapenv:Body>
</soapenv:Envelope>"""
    return Response(body, status=200, content_type="text/xml; charset=utf-8")


def login_fault(code: str = "INVALID_LOGIN", message: str = INVALID_LOGIN) -> Response:
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<soapenv:Body><soapenv:Fault>
<faultcode>sf:{code}</faultcode>
<faultstring>{code}: {escape(message)}</faultstring>
<detail><sf:LoginFault xsi:type="sf:LoginFault">
<sf:exceptionCode>{code}</sf:exceptionCode>
<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage>
</sf:LoginFault></detail>
</soapenv:Fault></soapenv:Body>
</soapenv:Envelope>"""
    return Response(body, status=500, content_type="text/xml; charset=utf-8")
