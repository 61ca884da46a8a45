//! Bad input gets the envelope with a stable code and changes nothing.

use crate::helpers::{stack, TestApp};
use serde_json::{json, Value};

async fn error_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("JSON error body");
    assert_eq!(body["success"], false, "{body}");
    (status, body["error"].clone())
}

#[tokio::test]
async fn malformed_json_wrong_types_and_missing_fields_are_400() {
    let app = TestApp::admin().await;
    let cases: Vec<(&str, &str)> = vec![
        ("{\"body\":", "body"),
        ("not json at all", "body"),
        ("{\"body\": 42}", "body"),
        ("{}", "body"),
        ("{\"body\": \"ok\", \"subject\": {\"type\": \"planet\", \"id\": \"x\"}}", "subject.type"),
        ("{\"body\": \"ok\", \"owner\": \"me\"}", "owner"),
        ("[1,2,3]", "body"),
    ];
    for (raw, field) in cases {
        let resp = app.post("/v1/notes").header("content-type", "application/json").body(raw).send().await.unwrap();
        let (status, err) = error_of(resp).await;
        assert_eq!(status, 400, "{raw}");
        assert_eq!(err["code"], "VALIDATION_ERROR", "{raw}");
        assert!(err["details"].as_array().unwrap().iter().any(|d| d["field"].as_str().unwrap().starts_with(field)), "{raw}: {err}");
    }
    let resp = app.post("/v1/notes").header("content-type", "text/plain").body("{\"body\":\"x\"}").send().await.unwrap();
    assert_eq!(error_of(resp).await.0, 400);

    let list = app.get_json("/v1/notes").await;
    assert_eq!(list["data"], json!([]), "nothing was created");
}

#[tokio::test]
async fn a_body_of_the_wrong_json_type_is_400_in_the_envelope_not_a_panic() {
    let app = TestApp::admin().await;
    for raw in ["[]", "\"first_name\"", "42", "null", "true"] {
        let resp = app.post("/v1/contacts/dedupe/check").header("content-type", "application/json").body(raw).send().await.unwrap();
        let (status, err) = error_of(resp).await;
        assert_eq!((status, err["code"].as_str()), (400, Some("VALIDATION_ERROR")), "{raw}: {err}");
    }
}

#[tokio::test]
async fn oversized_body_is_413_and_changes_nothing() {
    let app = TestApp::admin().await;
    let big = json!({ "body": "x".repeat(1024 * 1024 + 1) }).to_string();
    let (status, err) = error_of(app.post("/v1/notes").header("content-type", "application/json").body(big).send().await.unwrap()).await;
    assert_eq!(status, 413);
    assert_eq!(err["code"], "PAYLOAD_TOO_LARGE");

    // Within the byte limit but over the domain's 10 000 characters: a field error.
    let long = json!({ "body": "ب".repeat(10_001) });
    let (status, err) = error_of(app.post("/v1/notes").json(&long).send().await.unwrap()).await;
    assert_eq!(status, 400);
    assert_eq!(err["details"][0]["field"], "body");

    let list = app.get_json("/v1/notes").await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn unknown_routes_and_methods_are_404_in_the_envelope() {
    let s = stack();
    let client = reqwest::Client::new();
    for (method, path) in [("GET", "/nope"), ("GET", "/v1/nothing/here"), ("DELETE", "/v1/notes"), ("POST", "/health")] {
        let resp = client.request(method.parse().unwrap(), format!("{}{path}", s.url)).send().await.unwrap();
        let (status, err) = error_of(resp).await;
        assert_eq!(status, 404, "{method} {path}");
        assert_eq!(err["code"], "NOT_FOUND");
    }
}

#[tokio::test]
async fn bad_query_parameters_are_400() {
    let app = TestApp::admin().await;
    for q in ["limit=0", "limit=101", "limit=ten", "cursor=forged.cursor", "subject_type=contact"] {
        let (status, err) = error_of(app.get(&format!("/v1/notes?{q}")).send().await.unwrap()).await;
        assert_eq!(status, 400, "{q}");
        assert_eq!(err["code"], "VALIDATION_ERROR");
    }
    let (status, _) = error_of(app.get("/v1/activity?date=2026-13-45").send().await.unwrap()).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn malformed_ids_are_404_not_500() {
    let app = TestApp::admin().await;
    let (status, err) = error_of(app.get("/v1/notes/not-a-ulid").send().await.unwrap()).await;
    assert_eq!(status, 404);
    assert_eq!(err["code"], "NOT_FOUND");
}
