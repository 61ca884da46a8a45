//! A route's contract: the types of its body, query and reply, whose JSON
//! Schemas the OpenAPI document publishes, and the error codes it answers.
//!
//! A route declares them in its table (`route!(…, body: T, reply: R,
//! errors: ["CODE"])`). The schemas are generated from those very types
//! (schemars), and the handler is held to them: [`Call::json`](crate::Call::json)
//! and [`Reply`](crate::Reply) note the types a request really parsed and
//! answered, and in debug builds (the dev server, every test) a route whose
//! handler parsed or answered another type than it declares fails with
//! `500 INTERNAL`, naming both. The document cannot drift from the code.

use std::cell::RefCell;
use std::future::Future;

pub use schemars;
use schemars::{JsonSchema, Schema, SchemaGenerator};

/// A Rust type, for its schema and its name.
#[derive(Clone, Copy)]
pub struct Shape {
    /// `std::any::type_name` of the type.
    pub type_name: fn() -> &'static str,
    /// Its schema (a `$ref` into the generator's definitions).
    pub schema: fn(&mut SchemaGenerator) -> Schema,
    /// Its schema inline (a query's properties become parameters).
    pub inline: fn(&mut SchemaGenerator) -> Schema,
}

impl std::fmt::Debug for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str((self.type_name)())
    }
}

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// The shape of `T`.
pub const fn shape<T: JsonSchema>() -> Shape {
    Shape { type_name: std::any::type_name::<T>, schema: schema_of::<T>, inline: T::json_schema }
}

/// The reply of a route that answers `204 No Content` (`reply: NoContent`).
#[derive(Debug, Clone, Copy, schemars::JsonSchema)]
pub struct NoContent;

/// The reply of a route that answers an SVG image, not the envelope (`reply: SvgDocument`).
#[derive(Debug, Clone, schemars::JsonSchema)]
#[schemars(transparent)]
pub struct SvgDocument(pub String);

/// The reply of a route that answers an HTML page, not the envelope (`reply: HtmlDocument`).
#[derive(Debug, Clone, schemars::JsonSchema)]
#[schemars(transparent)]
pub struct HtmlDocument(pub String);

/// The content type a document reply is sent as, if `shape` is one.
pub fn document_type(shape: &Shape) -> Option<&'static str> {
    let name = (shape.type_name)();
    if name == std::any::type_name::<SvgDocument>() {
        Some("image/svg+xml")
    } else if name == std::any::type_name::<HtmlDocument>() {
        Some("text/html")
    } else {
        None
    }
}

impl NoContent {
    /// Whether `shape` is this one.
    pub fn is(shape: &Shape) -> bool {
        (shape.type_name)() == std::any::type_name::<NoContent>()
    }
}

/// What a route declares beyond its key and access.
#[derive(Debug, Clone, Copy)]
pub struct Contract {
    pub body: Option<Shape>,
    pub query: Option<Shape>,
    /// The `data` of a success.
    pub reply: Option<Shape>,
    /// `(status, code)` of the errors the route's own rules answer, beyond
    /// those every route of its kind can (`VALIDATION_ERROR`, `NOT_FOUND`, …).
    pub errors: &'static [(u16, &'static str)],
}

impl Contract {
    /// A route that declares nothing yet.
    pub const NONE: Contract = Contract { body: None, query: None, reply: None, errors: &[] };

    /// Whether it declares its types.
    pub fn is_typed(&self) -> bool {
        self.body.is_some() || self.query.is_some() || self.reply.is_some()
    }
}

/// `Vec<a::B>`, `&[a::B]` and `&a::B` name the same wire shapes as `[a::B]` and `a::B`.
fn normal(type_name: &str) -> String {
    let mut t: String = type_name.chars().filter(|c| !c.is_whitespace() && *c != '&').collect();
    while let Some(inner) = t.strip_prefix("alloc::vec::Vec<").and_then(|r| r.strip_suffix('>')) {
        t = format!("[{inner}]");
    }
    t
}

/// The types one request parsed and answered.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    pub body: Option<&'static str>,
    pub query: Option<&'static str>,
    pub reply: Option<&'static str>,
}

tokio::task_local! {
    static SEEN: RefCell<Seen>;
}

pub(crate) fn saw_body(type_name: &'static str) {
    let _ = SEEN.try_with(|s| {
        s.borrow_mut().body.get_or_insert(type_name);
    });
}

pub(crate) fn saw_query(type_name: &'static str) {
    let _ = SEEN.try_with(|s| {
        s.borrow_mut().query.get_or_insert(type_name);
    });
}

pub(crate) fn saw_reply(type_name: &'static str) {
    let _ = SEEN.try_with(|s| s.borrow_mut().reply = Some(type_name));
}

/// Runs a handler, answering what it parsed and answered.
pub(crate) async fn watched<F: Future>(f: F) -> (F::Output, Seen) {
    SEEN.scope(RefCell::new(Seen::default()), async move {
        let out = f.await;
        (out, SEEN.with(|s| s.borrow().clone()))
    })
    .await
}

/// How a request strayed from its route's contract, if it did.
pub fn strayed(contract: &Contract, seen: &Seen) -> Option<String> {
    let differs = |declared: Option<Shape>, seen: Option<&'static str>, what: &str| match (declared, seen) {
        (Some(d), Some(s)) if normal((d.type_name)()) != normal(s) => {
            Some(format!("the handler {what} {s}, the route declares {}", (d.type_name)()))
        }
        _ => None,
    };
    differs(contract.body, seen.body, "parsed")
        .or_else(|| differs(contract.query, seen.query, "read the query as"))
        .or_else(|| differs(contract.reply, seen.reply, "answered"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Thing {
        name: String,
    }

    #[test]
    fn lists_and_references_name_the_same_shape() {
        assert_eq!(normal("alloc::vec::Vec<a::Thing>"), "[a::Thing]");
        assert_eq!(normal("&[a::Thing]"), "[a::Thing]");
        assert_eq!(normal("&a::Thing"), "a::Thing");
    }

    #[test]
    fn a_handler_that_parses_another_type_strays() {
        let contract = Contract { body: Some(shape::<Thing>()), reply: Some(shape::<Vec<Thing>>()), ..Contract::NONE };
        let thing = std::any::type_name::<Thing>();
        assert_eq!(strayed(&contract, &Seen { body: Some(thing), query: None, reply: Some(std::any::type_name::<&[Thing]>()) }), None);
        assert!(strayed(&contract, &Seen { body: Some("serde_json::value::Value"), query: None, reply: None })
            .unwrap()
            .contains("parsed serde_json::value::Value"));
        assert!(strayed(&contract, &Seen { body: Some(thing), query: None, reply: Some(thing) }).unwrap().contains("answered"));
        let with_query = Contract { query: Some(shape::<Thing>()), ..Contract::NONE };
        assert!(strayed(&with_query, &Seen { query: Some("a::Other"), ..Seen::default() }).unwrap().contains("query"));
    }
}
