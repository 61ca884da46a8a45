//! `GET /docs` — the API reference: `docs/openapi.json` rendered by Redoc,
//! whose pinned bundle (`assets/`) this function serves itself, with a
//! content security policy that lets the page load nothing from elsewhere.
//! `GET /docs/{file}` serves the bundle and the page's start-up script.

pub mod file_get;
pub mod get;

/// Redoc 2.5.4's standalone bundle (npm `redoc@2.5.4`, MIT).
pub const REDOC: &str = include_str!("../../../assets/redoc-2.5.4.standalone.js");
/// Its SHA-256, as pinned in `assets/README.md`.
pub const REDOC_SHA256: &str = "dcaf76612bc4a3fbcc923a8966dee2f6146a5f32e5ce1b6f02dd60cbbf89500b";

/// Scripts from this origin only; Redoc styles inline and searches in a blob worker.
pub const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
     font-src 'self' data:; connect-src 'self'; worker-src blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>CRM API reference</title>
</head>
<body>
  <div id="redoc"></div>
  <script src="/docs/redoc.standalone.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"#;

/// Renders the document; marks the page once Redoc has drawn it (what the
/// headless-browser test waits for).
pub const INIT: &str = r#"Redoc.init("/v1/openapi.json", { hideDownloadButton: false, expandResponses: "200,201" },
  document.getElementById("redoc"),
  function (errors) { document.body.setAttribute("data-rendered", errors ? "failed" : "ok"); });
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundle_is_the_pinned_one() {
        assert_eq!(crm_auth::opaque::sha256_hex(REDOC.as_bytes()), REDOC_SHA256, "assets/redoc-2.5.4.standalone.js is not the pinned file");
        assert!(PAGE.contains("/docs/redoc.standalone.js") && !PAGE.contains("http"), "the page loads nothing from elsewhere");
    }
}
