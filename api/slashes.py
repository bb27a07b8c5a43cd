"""Trailing slashes: `/v1/measures/` answers 308 to `/v1/measures`, with a Location that never
names a host taken from the request.

Starlette's own `redirect_slashes` builds its Location from the Host header, so a request with
`Host: evil.example` was sent to `http://evil.example/...`; the app turns it off and installs
`SlashRedirect` as the router's fallback instead. The Location is `public_base_url` + path when that
setting is set (as every link the API writes), else a root-relative reference, and keeps the query
string. Whether the path without its slashes exists is asked of the router's own routes, so this
module knows nothing of the routes themselves.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response
from starlette.routing import Match, Router, get_route_path
from starlette.types import Receive, Scope, Send

# What a path segment may hold unescaped (RFC 3986 pchar), besides letters, digits and -._~.
PATH_SAFE = "/!$&'()*+,;=:@"


class SlashRedirect:
    """The router's fallback (`Router.default`): a 308 when the path without its trailing slashes
    has a route, whatever the method (308 keeps it: a write then gets its 405 there), else the
    router's own 404."""

    def __init__(self, router: Router, public_base_url: str) -> None:
        self.router = router
        self.public_base_url = public_base_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        location = self.location(scope) if scope["type"] == "http" else None
        if location is None:
            await self.router.not_found(scope, receive, send)
            return
        await Response(status_code=308, headers={"Location": location})(scope, receive, send)

    def location(self, scope: Scope) -> str | None:
        route_path = get_route_path(scope)
        if route_path == "/" or not route_path.endswith("/"):
            return None
        stripped = {**scope, "path": scope["path"].rstrip("/")}
        if not any(route.matches(stripped)[0] != Match.NONE for route in self.router.routes):
            return None
        # Every route's path starts with one literal segment, so a matching path never begins
        # with `//` and the reference below can never be read as naming a host.
        if self.public_base_url:
            target = self.public_base_url + quote(get_route_path(stripped), safe=PATH_SAFE)
        else:
            target = quote(stripped["path"], safe=PATH_SAFE)  # root_path included: the path the client sent
        query = scope.get("query_string", b"").decode("latin-1")
        return f"{target}?{query}" if query else target
