//! `GET /v1/public/overlays/{publicId}/view` — the public view in a
//! browser: the plan with its shapes and legend (the SVG inline), and a
//! panel that hovering or tapping a shape fills with its unit's code, type
//! and status. The page's only script and style are its own, allowed by
//! their hashes in its Content-Security-Policy; the plan image by its
//! origin. The shapes' JSON is the public projection, `<` escaped.

use aws_lc_rs::digest::{digest, SHA256};
use base64::{engine::general_purpose::STANDARD, Engine};
use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::plan::Scene;
use crate::App;

const PAGE: &str = include_str!("viewer.html");
const STYLE: &str = include_str!("viewer.css");
const SCRIPT: &str = include_str!("viewer.js");

fn hash(text: &str) -> String {
    format!("'sha256-{}'", STANDARD.encode(digest(&SHA256, text.as_bytes())))
}

/// `scheme://host[:port]` of `url`.
fn origin(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = url.len() - rest.len() + rest.find('/').unwrap_or(rest.len());
    Some(&url[..end])
}

/// `template` with each `{{name}}` replaced by its value, in one pass: a
/// value is never read again for markers.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + values.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}").and_then(|end| values.iter().find(|(k, _)| *k == &after[..end]).map(|(_, v)| (end, v))) {
            Some((end, v)) => {
                out.push_str(v);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let overlay = super::overlay(app, &call).await?;
    let scene = Scene::of(app, overlay).await?;
    let public = super::project(app, &scene).await?;
    let svg = scene.svg(app).await?;
    let shapes = serde_json::to_string(&public.shapes).map_err(AppError::internal)?.replace('<', "\\u003c");
    let title = escape_html(&public.name);
    let page = fill(PAGE, &[("title", &title), ("style", STYLE), ("script", SCRIPT), ("shapes", &shapes), ("svg", &svg)]);
    let images = public.file_url.as_deref().and_then(origin).unwrap_or("'none'");
    let policy = format!(
        "default-src 'none'; img-src {images}; style-src {}; script-src {}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        hash(STYLE),
        hash(SCRIPT)
    );
    Ok(Reply::html(page).header("content-security-policy", policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_image_is_allowed_by_its_origin_only() {
        assert_eq!(origin("http://127.0.0.1:4566/bucket/maps/plan.png?X=1"), Some("http://127.0.0.1:4566"));
        assert_eq!(origin("https://b.s3.eu-west-1.amazonaws.com/maps/p.png"), Some("https://b.s3.eu-west-1.amazonaws.com"));
        assert_eq!(origin("nope"), None);
        assert!(hash("x").starts_with("'sha256-"));
        let page = fill("<t>{{title}}</t>{{svg}}{{other}}", &[("title", "{{svg}}"), ("svg", "<svg/>")]);
        assert_eq!(page, "<t>{{svg}}</t><svg/>{{other}}", "a value is never filled again");
    }
}
