"""Plumbing shared by the small JSON APIs (survey tool, LMS): one error shape
`{"error": {"code", "message"}}` for auth, routing, rate limits, faults and bad parameters."""

from __future__ import annotations

from sandbox.doubles.common import JsonApp, json_response, retry_after_header


def api_error(status: int, code: str, message: str, headers: dict | None = None):
    return json_response({"error": {"code": code, "message": message}}, status, headers)


class BadRequest(Exception):
    """A request parameter the API refuses; answered as 400 with the API's code."""


class SmallJsonApi(JsonApp):
    unauthorized_message = "Missing or invalid API token"
    bad_request_code = "invalid_parameter"

    def unauthorized(self, request):
        return api_error(401, "unauthorized", self.unauthorized_message)

    def not_found(self, request):
        return api_error(404, "not_found", f"No route {request.method} {request.path}")

    def method_not_allowed(self, request):
        return api_error(405, "method_not_allowed", f"{request.method} is not allowed on {request.path}")

    def rate_limited(self, request, fault):
        return api_error(429, "rate_limited", "Too many requests", retry_after_header(fault) or {"Retry-After": "1"})

    def server_failure(self, request, fault):
        return api_error(fault.status or 500, "internal_error", "Something went wrong")

    def dispatch(self, request):
        try:
            return super().dispatch(request)
        except BadRequest as exc:
            return api_error(400, self.bad_request_code, str(exc))
