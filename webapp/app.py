"""The web app: a Starlette application over the published marts, read-only.

Routes answer GET (and HEAD) only: there is nothing to write. Handlers are plain
functions, which Starlette runs in its thread pool, each on its own DuckDB cursor.
"""

from __future__ import annotations

import contextlib
import json
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from webapp import queries
from webapp.access import TokenAuth
from webapp.charts import chart_specs
from webapp.reader import NotPublished, PublishedMarts
from webapp.vega_bundle import ensure_bundle

SECURITY_HEADERS = {
    # Vega compiles its expressions with Function(): 'unsafe-eval', but scripts only from here.
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _json_default(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


def _templates() -> Environment:
    env = Environment(loader=PackageLoader("webapp", "templates"), autoescape=select_autoescape(["html"]))
    env.filters["money"] = lambda v: "" if v is None else f"{float(v):,.0f}"
    env.filters["pct"] = lambda v, digits=0: "" if v is None else f"{float(v) * 100:.{digits}f}%"
    env.filters["num"] = lambda v, digits=1: "" if v is None else f"{float(v):,.{digits}f}"
    env.filters["signed"] = lambda v: "" if v is None else f"{float(v):+.1f}"
    env.filters["day"] = lambda v: "" if v is None else (v.date() if isinstance(v, datetime) else v).isoformat()
    env.filters["minutes"] = lambda v: "" if v is None else (
        f"{v / 60:.1f} h" if v >= 60 else f"{v:.0f} min")
    # JSON for a <script type="application/json"> block: "<", ">" and "&" escaped so no
    # value can close the block.
    env.filters["script_json"] = lambda v: Markup(
        json.dumps(v, default=_json_default).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
    return env


def create_app(published: Path, cache_dir: Path, token: str | None = None) -> Starlette:
    marts = PublishedMarts(published)
    templates = _templates()
    chart_specs()  # built and validated once, before the first page

    def page(name: str, status_code: int = 200, **context) -> HTMLResponse:
        started = context.pop("started")
        html = templates.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status_code, headers={
            **SECURITY_HEADERS, "Server-Timing": f"app;dur={(time.perf_counter() - started) * 1000:.1f}"})

    def not_found(started: float, refresh=None) -> HTMLResponse:
        return page("not_found.html", 404, started=started, refresh=refresh, title="Not found")

    def with_marts(handler):
        def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            try:
                cur = marts.cursor()
            except NotPublished as missing:
                return page("not_published.html", 503, started=started, refresh=None, title="No data yet",
                            reason=str(missing))
            try:
                return handler(request, cur, started, queries.refresh(cur))
            finally:
                cur.close()
        return endpoint

    @with_marts
    def portfolio(request, cur, started, refresh):
        return page("portfolio.html", started=started, refresh=refresh, title="Portfolio", **queries.portfolio(cur))

    @with_marts
    def account(request, cur, started, refresh):
        account_id = request.path_params["account_id"]
        if not queries.is_account_id(account_id):
            return not_found(started, refresh)
        found = queries.customer_page(cur, account_id, refresh["data_as_of"] if refresh else None)
        if found is None:
            return not_found(started, refresh)
        return page("account.html", started=started, refresh=refresh, title=found["account"]["name"],
                    charts={"specs": chart_specs(), "datasets": found.pop("datasets")}, **found)

    def renewal_filters(request: Request) -> dict:
        params = request.query_params
        within = int(params["within"]) if params.get("within", "").isdigit() else 90
        return {
            "within": within if within in queries.RENEWAL_WINDOWS else 90,
            "risk": params.get("risk") if params.get("risk") in ("high", "medium", "low", "unknown") else None,
            "band": params.get("band") if params.get("band") in ("red", "yellow", "green") else None,
            "sort": params.get("sort") if params.get("sort") in queries.RENEWAL_COLUMNS else "renewal_date",
            "descending": params.get("order") == "desc",
        }

    @with_marts
    def renewals(request, cur, started, refresh):
        filters = renewal_filters(request)
        page_number = request.query_params.get("page", "1")
        board = queries.renewals(cur, page=int(page_number) if page_number.isdigit() and page_number != "0" else 1,
                                 **filters)
        return page("renewals.html", started=started, refresh=refresh, title="Renewals", board=board,
                    filters=filters, windows=queries.RENEWAL_WINDOWS)

    @with_marts
    def renewals_csv(request, cur, started, refresh):
        return Response(queries.renewals_csv(cur, **renewal_filters(request)), media_type="text/csv; charset=utf-8",
                        headers={**SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="renewals.csv"'})

    def vega(request: Request) -> Response:
        return FileResponse(ensure_bundle(cache_dir), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    def health(request: Request) -> Response:
        return Response("ok\n", media_type="text/plain")

    static = Path(__file__).with_name("static")
    routes = [
        Route("/", portfolio, methods=["GET"]),
        Route("/accounts/{account_id:str}", account, methods=["GET"]),
        Route("/renewals", renewals, methods=["GET"]),
        Route("/renewals.csv", renewals_csv, methods=["GET"]),
        Route("/vega/bundle.js", vega, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
        Mount("/static", StaticFiles(directory=static), name="static"),
    ]
    middleware = [Middleware(TokenAuth, token=token)] if token else []

    async def unknown_path(request: Request, exc) -> Response:
        return page("not_found.html", 404, started=time.perf_counter(), refresh=None, title="Not found")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        marts.close()

    app = Starlette(routes=routes, middleware=middleware, exception_handlers={404: unknown_path}, lifespan=lifespan)
    app.state.marts = marts
    return app
