"""Security headers on every response, and trusting the proxies the app is configured behind."""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline script or style anywhere: the pages load only this site's stylesheet.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000"


def init_app(app: Flask) -> None:
    """Add the headers after everything else (register before the other ``after_request``)."""
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        # The client's address (for throttling) and scheme come from the proxies' headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    app.after_request(add_headers)


def add_headers(response: Response) -> Response:
    """Set the security headers a view has not set; pages (not static files) are never stored
    by caches."""
    # Headers.setdefault raises and catches a BadRequestKeyError for each header not there yet.
    present = {name.lower() for name, _ in response.headers}
    for name, value in HEADERS.items():
        if name.lower() not in present:
            response.headers.add(name, value)
    if current_app.config["HTTPS"] and "strict-transport-security" not in present:
        response.headers.add("Strict-Transport-Security", HSTS)
    if request.endpoint != "static":
        # Data pages stay out of shared caches and the back button after sign-out.
        response.headers["Cache-Control"] = "no-store"
    return response
