//! What guards every dashboard request: a state-changing request from another origin is refused
//! (CSRF), and every answer carries headers that keep it from being framed, sniffed or leaking
//! its address.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// No script but the dashboard's own files, nothing inline, no framing, forms only to itself.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; \
     object-src 'none'";

/// Refuses (403) a request that changes something unless it comes from a page of this server:
/// `Sec-Fetch-Site: same-origin`, or else an `Origin` whose host is the request's `Host`. A
/// request that says neither is refused too: every browser sends one on a form post.
pub async fn same_origin(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || from_this_server(request.headers()) {
        return next.run(request).await;
    }
    tracing::info!(route = ?request.uri().path().split('/').take(3).collect::<Vec<_>>(), "refused a cross-site request");
    (
        StatusCode::FORBIDDEN,
        "this request did not come from a page of this server\n",
    )
        .into_response()
}

fn from_this_server(headers: &HeaderMap) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return site == "same-origin";
    }
    match (text(header::ORIGIN), text(header::HOST)) {
        (Some(origin), Some(host)) => url::Url::parse(origin).is_ok_and(|origin| {
            let port = origin.port().map(|p| format!(":{p}")).unwrap_or_default();
            origin
                .host_str()
                .is_some_and(|origin_host| format!("{origin_host}{port}") == host)
        }),
        _ => false,
    }
}

/// Security headers on every dashboard answer; pages are never cached (they hold figures).
pub async fn headers(request: Request, next: Next) -> Response {
    let asset = request.uri().path().starts_with("/admin/assets/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !asset {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
