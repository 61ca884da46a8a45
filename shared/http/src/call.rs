//! A handler's input: the request and parsers that turn it into domain
//! values or a `400` with the offending field.

use crm_auth::Principal;
use crm_kernel::{AppError, Limit};
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;

use crate::{RequestContext, MAX_BODY_BYTES};

/// One request, as a route handler sees it.
pub struct Call {
    pub ctx: RequestContext,
    pub req: Request,
}

impl Call {
    pub fn new(ctx: RequestContext, req: Request) -> Self {
        Self { ctx, req }
    }

    /// The authenticated caller (routes with `Access::Public` have none).
    pub fn principal(&self) -> Result<&Principal, AppError> {
        self.ctx.principal.as_ref().ok_or(AppError::Unauthenticated)
    }

    pub fn request_id(&self) -> &str {
        &self.ctx.request_id
    }

    /// The raw body bytes, refusing bodies over [`MAX_BODY_BYTES`].
    pub fn body_bytes(&self) -> Result<&[u8], AppError> {
        let bytes: &[u8] = match self.req.body() {
            Body::Empty => &[],
            Body::Text(s) => s.as_bytes(),
            Body::Binary(b) => b,
            _ => &[],
        };
        if bytes.len() > MAX_BODY_BYTES {
            return Err(AppError::PayloadTooLarge { limit: MAX_BODY_BYTES });
        }
        Ok(bytes)
    }

    /// Parses a JSON body into `T`; a wrong type names the field.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        let bytes = self.body_bytes()?;
        if let Some(ct) = self.header("content-type") {
            let media = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            if media != "application/json" && !media.ends_with("+json") {
                return Err(AppError::invalid("content-type", "must be application/json"));
            }
        }
        crate::contract::saw_body(std::any::type_name::<T>());
        parse_json(bytes)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.req.headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// A path parameter declared by the route (`/v1/notes/{id}`).
    pub fn path(&self, name: &str) -> Result<String, AppError> {
        self.req
            .path_parameters_ref()
            .and_then(|p| p.first(name))
            .map(str::to_string)
            .ok_or_else(|| AppError::invalid(name, "missing path parameter"))
    }

    /// The query string as `Q` (its JSON Schema is the route's query
    /// parameters): an unknown parameter, or one of the wrong type, is
    /// `400` naming it.
    pub fn query_as<Q: DeserializeOwned>(&self) -> Result<Q, AppError> {
        crate::contract::saw_query(std::any::type_name::<Q>());
        let pairs: Vec<(&str, &str)> = self.req.query_string_parameters_ref().map(|q| q.iter().collect()).unwrap_or_default();
        parse_query(&pairs)
    }

    pub fn query(&self, name: &str) -> Option<String> {
        self.req.query_string_parameters_ref().and_then(|q| q.first(name)).map(str::to_string)
    }

    /// `limit` and `cursor` query parameters.
    pub fn page(&self) -> Result<(Limit, Option<String>), AppError> {
        Ok((Limit::parse(self.query("limit").as_deref())?, self.query("cursor")))
    }

    /// The version an `If-Match` header asks for (`"3"` or `W/"3"`), if any.
    pub fn if_match(&self) -> Result<Option<u64>, AppError> {
        match self.header("if-match") {
            None => Ok(None),
            Some(raw) => {
                let v = raw.trim().trim_start_matches("W/").trim_matches('"');
                v.parse().map(Some).map_err(|_| AppError::invalid("If-Match", "must be an ETag returned by this API"))
            }
        }
    }
}

/// How deep a body may nest objects and arrays.
pub const MAX_BODY_DEPTH: usize = 32;

/// The deepest nesting of objects and arrays in JSON text (outside strings).
fn depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Parses a JSON body, distinguishing malformed JSON from well-formed JSON
/// of the wrong shape (which names the field at fault). Every body of this
/// API is a JSON object, in UTF-8 (also inside fields no route reads), at
/// most [`MAX_BODY_DEPTH`] deep: serde would fill a struct from an array,
/// and skips unknown fields without checking their text.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::invalid("body", "a JSON body is required"));
    }
    if std::str::from_utf8(bytes).is_err() {
        return Err(AppError::invalid("body", "malformed JSON: the body is not UTF-8"));
    }
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(AppError::invalid("body", "must be a JSON object"));
    }
    if depth(bytes) > MAX_BODY_DEPTH {
        return Err(AppError::invalid("body", format!("nests deeper than {MAX_BODY_DEPTH} levels")));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                // A top-level value of the wrong shape (`[1,2]` for an object) is the body's fault.
                let top = path == "." || path.starts_with('[');
                let message = inner.to_string();
                // serde names an unknown key in its message; the error names it as the field.
                if let Some(key) = message.strip_prefix("unknown field `").and_then(|m| m.split('`').next()) {
                    // The path already ends with the unknown key.
                    let field = if top {
                        key.to_string()
                    } else if path == key || path.ends_with(&format!(".{key}")) {
                        path
                    } else {
                        format!("{path}.{key}")
                    };
                    return AppError::invalid(field, "unknown field");
                }
                AppError::invalid(if top { "body".to_string() } else { path }, message)
            }
            _ => AppError::invalid("body", format!("malformed JSON: {inner}")),
        }
    })?;
    de.end().map_err(|e| AppError::invalid("body", format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// Query parameters (`name=value` pairs) as `Q`; each problem names its parameter.
pub fn parse_query<Q: DeserializeOwned>(pairs: &[(&str, &str)]) -> Result<Q, AppError> {
    let encoded = serde_urlencoded::to_string(pairs).map_err(|e| AppError::invalid("query", e.to_string()))?;
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        if let Some(key) = message.strip_prefix("unknown field `").and_then(|m| m.split('`').next()) {
            return AppError::invalid(key, "unknown query parameter");
        }
        let missing = message.strip_prefix("missing field `").and_then(|m| m.split('`').next());
        let field = missing.map(str::to_string).unwrap_or(if path == "." { "query".to_string() } else { path });
        AppError::invalid(field, message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        body: String,
        nested: Option<Nested>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Nested {
        count: u32,
    }

    fn field_of(err: AppError) -> String {
        err.details()[0].field.clone()
    }

    #[test]
    fn a_body_is_a_utf8_object_of_bounded_depth() {
        #[derive(Debug, Deserialize, Default)]
        #[serde(default)]
        #[allow(dead_code)]
        struct Lenient {
            name: Option<String>,
        }
        for bad in [&b"[]"[..], b"\"x\"", b"42", b"null", b" [ ] ", b"{\"other\":\"\xff\xfe\"}"] {
            let err = parse_json::<Lenient>(bad).unwrap_err();
            assert_eq!((err.code(), field_of(err)), ("VALIDATION_ERROR", "body".to_string()), "{bad:?}");
        }
        let deep = format!("{{\"other\":{}1{}}}", "[".repeat(40), "]".repeat(40));
        assert!(parse_json::<Lenient>(deep.as_bytes()).is_err(), "nesting skipped as an unknown field still counts");
        let brackets_in_text = format!("{{\"name\":\"{}\\\"\"}}", "[{".repeat(100));
        assert!(parse_json::<Lenient>(brackets_in_text.as_bytes()).is_ok(), "brackets inside strings are text");
        assert_eq!(depth(br#"{"a":[{"b":"]]]"}]}"#), 3);
    }

    #[test]
    fn names_the_field_with_the_wrong_type() {
        let err = parse_json::<Input>(br#"{"body":"x","nested":{"count":"three"}}"#).unwrap_err();
        assert_eq!(err.code(), "VALIDATION_ERROR");
        assert_eq!(field_of(err), "nested.count");
    }

    #[test]
    fn malformed_and_empty_and_trailing() {
        assert_eq!(field_of(parse_json::<Input>(b"{\"body\":").unwrap_err()), "body");
        assert_eq!(field_of(parse_json::<Input>(b"  ").unwrap_err()), "body");
        assert!(parse_json::<Input>(br#"{"body":"x"} {"body":"y"}"#).is_err());
        assert!(parse_json::<Input>(br#"{"body":"x","admin":true}"#).is_err(), "unknown fields refused");
        assert!(parse_json::<Input>(br#"{"body":"x"}"#).is_ok());
    }
}
