//! The web dashboard (issue 8): the plain HTML, JavaScript and CSS of the repository's `web/`
//! folder, embedded into the node binary at build time and served on the API port — `GET /` is
//! the page, `GET /dashboard/app.js` and `/dashboard/style.css` its script and style sheet. No
//! build step, no framework: the page reads the same JSON routes and `GET /v1/events` stream as
//! any other client (see `docs/dashboard.md`).

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::run::Shared;

/// The page.
pub(crate) const INDEX: &str = "/";
/// Its script.
pub(crate) const APP_JS: &str = "/dashboard/app.js";
/// Its style sheet.
pub(crate) const STYLE_CSS: &str = "/dashboard/style.css";

const INDEX_HTML: &str = include_str!("../../../../web/index.html");
const APP_JS_BODY: &str = include_str!("../../../../web/app.js");
const STYLE_CSS_BODY: &str = include_str!("../../../../web/style.css");

/// Add the dashboard's routes.
pub(super) fn routes(r: Router<Arc<Shared>>) -> Router<Arc<Shared>> {
    r.route(
        INDEX,
        get(|| async { page("text/html; charset=utf-8", INDEX_HTML) }),
    )
    .route(
        APP_JS,
        get(|| async { page("text/javascript; charset=utf-8", APP_JS_BODY) }),
    )
    .route(
        STYLE_CSS,
        get(|| async { page("text/css; charset=utf-8", STYLE_CSS_BODY) }),
    )
}

fn page(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // The files change only with the binary; a reload after an upgrade must not mix them.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_links_the_embedded_script_and_style() {
        assert!(INDEX_HTML.contains(APP_JS), "index.html must load {APP_JS}");
        assert!(
            INDEX_HTML.contains(STYLE_CSS),
            "index.html must load {STYLE_CSS}"
        );
        // Ids the browser test drives (web/tests/dashboard.spec.mjs).
        for id in [
            "net-height",
            "net-root",
            "provider-input",
            "prov-tbill",
            "jobs-table",
            "tbill-nav",
            "aid-supply",
        ] {
            assert!(
                INDEX_HTML.contains(&format!("id=\"{id}\"")),
                "index.html lacks #{id}"
            );
        }
    }
}
