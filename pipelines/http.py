"""HTTP for the REST sources: dlt's `RESTClient` on the session of `cs360_core.http`, which
retries every vendor by one policy, the same for the CRM writers (see there: 429, 5xx,
dropped connections, `Retry-After` and the other rate-limit headers, jittered and capped
backoff, a spent budget waited out before the next request).

Two guards before any request leaves: a base URL must be `https://` (plain `http://` only on
the loopback interface, where nothing crosses a network), since every request carries a
token; and a paging cursor that repeats (a next link or cursor the API already handed
out) stops the listing with `PagingLoop` instead of requesting the same page forever.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.client import PageData
from dlt.sources.helpers.rest_client.paginators import BasePaginator
from requests import HTTPError, Response, Session
from requests.auth import AuthBase

from cs360_core.http import RetryPolicy, rules_for
from pipelines.credentials import require_secure_url


class PagingLoop(RuntimeError):
    """The API handed out a next page it had already handed out: the listing would never end."""


def retrying_session(vendor: str | None = None) -> Session:
    """A requests session for any client library (simple-salesforce takes `session=`),
    retried by the shared policy and `vendor`'s rules (`cs360_core.http.VENDORS`)."""
    return RetryPolicy.from_config().session(rules_for(vendor))


class GuardedRESTClient(RESTClient):
    """dlt's REST client whose `paginate` stops with `PagingLoop` when the next request
    repeats one it already made (a cursor or next link that does not advance)."""

    def paginate(self, *args: Any, **kwargs: Any) -> Iterator[PageData[Any]]:
        seen: set[str] = set()
        for page in super().paginate(*args, **kwargs):
            yield page
            if page.paginator is not None and page.paginator.has_next_page:
                # the request is already updated in place to ask for the next page
                step = _fingerprint(page.request)
                if step in seen:
                    raise PagingLoop(f"paging {urlsplit(page.request.url).path} does not advance: "
                                     "the API returned a next page it had already returned")
                seen.add(step)


def _fingerprint(request) -> str:
    return json.dumps([request.method, request.url, sorted((str(k), str(v)) for k, v in (request.params or {}).items()),
                       request.json], default=str, sort_keys=True)


def rest_client(
    base_url: str,
    auth: AuthBase | None = None,
    paginator: BasePaginator | None = None,
    data_selector: str | None = None,
    headers: dict[str, str] | None = None,
    vendor: str | None = None,
) -> RESTClient:
    """dlt's REST client on the retrying session; one per resource and run."""
    require_secure_url(base_url)
    return GuardedRESTClient(
        base_url=base_url.rstrip("/"),
        auth=auth,
        paginator=paginator,
        data_selector=data_selector,
        headers=headers,
        session=retrying_session(vendor),
    )


def raise_for_status(response: Response) -> Response:
    """For single requests outside `paginate` (which raises on its own)."""
    if response.status_code >= 400:
        raise HTTPError(f"{response.status_code} error for {response.request.method} {response.url.split('?')[0]}",
                        response=response)
    return response
