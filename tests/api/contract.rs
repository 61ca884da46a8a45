//! template.yaml, the route tables and the OpenAPI document agree; every
//! route declares who may call it (deny by default).

use std::collections::BTreeSet;
use std::path::Path;

use crm_http::Access;
use devserver::{model, openapi, template::Template};

fn template() -> Template {
    Template::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml")).unwrap()
}

fn template_routes() -> Vec<(String, bool)> {
    model::functions(&template())
        .unwrap()
        .into_iter()
        .flat_map(|f| {
            f.triggers
                .into_iter()
                .filter_map(|t| match &t {
                    model::Trigger::Http { public, .. } => Some((t.route_key()?, *public)),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_template_route_declares_its_access_and_public_means_public() {
    let declared = openapi::declared_access();
    for (key, public) in template_routes() {
        let access = declared.iter().find(|(k, _)| *k == key).map(|(_, a)| *a);
        match access {
            None => panic!("{key} is in template.yaml but no route table declares its access"),
            Some(Access::Public) => assert!(public, "{key} is Public in code but behind the authorizer in template.yaml"),
            Some(Access::Permission(p)) => assert!(!public, "{key} needs `{p}` but template.yaml makes it Authorizer: NONE"),
            Some(Access::AnyOf(any)) => assert!(!public, "{key} needs one of {any:?} but template.yaml makes it Authorizer: NONE"),
        }
    }
}

#[test]
fn every_route_in_code_is_deployed_once() {
    let template: BTreeSet<String> = template_routes().into_iter().map(|(k, _)| k).collect();
    let mut seen = BTreeSet::new();
    for (key, _) in openapi::declared_access() {
        assert!(template.contains(key), "{key} is handled in code but not declared in template.yaml");
        assert!(seen.insert(key), "{key} declared twice");
    }
    assert_eq!(template_routes().len(), template.len(), "a route key appears twice in template.yaml");
}

#[test]
fn the_published_openapi_document_is_up_to_date() {
    let generated = openapi::document().unwrap();
    let committed: serde_json::Value = serde_json::from_str(platform::routes::openapi::get::DOCUMENT).unwrap();
    assert_eq!(generated, committed, "docs/openapi.json is stale: run `make openapi`");
}

#[tokio::test]
async fn the_api_serves_its_openapi_document() {
    let resp = reqwest::get(format!("{}/v1/openapi.json", crate::helpers::stack().url)).await.unwrap();
    assert_eq!(resp.status(), 200);
    let doc: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["paths"]["/v1/notes"]["post"]["x-permission"], "note.create");
}

#[tokio::test]
async fn cors_preflight_follows_the_template() {
    let s = crate::helpers::stack();
    let client = reqwest::Client::new();
    let ok = client
        .request(reqwest::Method::OPTIONS, format!("{}/v1/notes", s.url))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 204);
    assert_eq!(ok.headers()["access-control-allow-origin"], "http://localhost:5173");
    assert!(ok.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));

    let evil = client
        .request(reqwest::Method::OPTIONS, format!("{}/v1/notes", s.url))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(!evil.headers().contains_key("access-control-allow-origin"));

    let simple = client.get(format!("{}/health", s.url)).header("origin", "http://localhost:5173").send().await.unwrap();
    assert_eq!(simple.headers()["access-control-allow-origin"], "http://localhost:5173");
    assert!(simple.headers()["access-control-expose-headers"].to_str().unwrap().contains("etag"));
}

fn sample(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_sample_events_are_what_the_functions_read() {
    // API Gateway payloads become the Request a deployed function sees.
    let req = lambda_http::request::from_str(&sample("apigw-notes-post.json").to_string()).unwrap();
    let ctx = crm_http::RequestContext::from_request(&req);
    assert_eq!(ctx.route_key, "POST /v1/notes");
    assert_eq!(ctx.principal.unwrap().tenant_id.to_string(), "01JDEM0TENANT0000000000000");
    let _: aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request =
        serde_json::from_value(sample("authorizer-request.json")).unwrap();

    // The stream sample carries an outbox event; the SQS sample carries the same event via EventBridge.
    let stream: crm_events::stream::StreamEvent = serde_json::from_value(sample("dynamodb-stream-outbox.json")).unwrap();
    let from_stream = crm_events::stream::outbox_event(&stream.records[0]).unwrap().unwrap();
    let sqs: crm_events::SqsEvent = serde_json::from_value(sample("sqs-activity.json")).unwrap();
    let from_queue = crm_events::consumer::parse_message(&sqs.records[0].body).unwrap();
    assert_eq!(from_stream, from_queue);

    // The provider webhook samples parse into the reports the webhooks apply.
    let bounce = notifications::dlr::brevo(&sample("webhook-brevo-hard-bounce.json")).unwrap();
    assert_eq!(bounce.outcome, notifications::dlr::Outcome::Bounced);
    assert_eq!(bounce.tag.unwrap().0.to_string(), "01JDEM0TENANT0000000000000");
    let dlr: Vec<notifications::dlr::Report> =
        notifications::dlr::infobip(&sample("webhook-infobip-dlr.json")).unwrap().into_iter().map(Result::unwrap).collect();
    assert_eq!((dlr[0].outcome.clone(), dlr[0].address.as_deref()), (notifications::dlr::Outcome::Delivered, Some("+201001234567")));

    // The envelope schema lists exactly the envelope's fields.
    let schema = sample("schemas/domain-event.schema.json");
    let envelope = serde_json::to_value(&from_stream).unwrap();
    let fields: BTreeSet<&str> = envelope.as_object().unwrap().keys().map(String::as_str).collect();
    let declared: BTreeSet<&str> = schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields, declared);
}
