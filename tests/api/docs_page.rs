//! `GET /docs`: the API reference, rendered by the pinned Redoc bundle the
//! platform function serves, loaded in headless Chromium (Debian's
//! `chromium-headless-shell`; `make test` installs it).

use crate::helpers::stack;

pub fn browser() -> String {
    ["chromium-headless-shell", "chromium", "chromium-browser"]
        .iter()
        .find(|b| std::process::Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
        .map(|b| b.to_string())
        .expect("no headless Chromium: `make test` installs Debian's chromium-headless-shell (infra/test.sh)")
}

#[tokio::test]
async fn the_reference_page_renders_the_operations_in_a_headless_browser() {
    let url = format!("{}/docs", stack().url);
    let page = reqwest::get(&url).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"), "nothing from elsewhere");
    let asset = reqwest::get(format!("{}/docs/redoc.standalone.js", stack().url)).await.unwrap();
    assert_eq!((asset.status().as_u16(), asset.content_length().unwrap_or(0) > 1_000_000), (200, true));
    assert_eq!(reqwest::get(format!("{}/docs/nope.js", stack().url)).await.unwrap().status(), 404);

    let dom = tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(browser())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--window-size=1280,20000",
                "--virtual-time-budget=30000",
                "--dump-dom",
                &url,
            ])
            .output()
            .expect("chromium runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    })
    .await
    .unwrap();
    assert!(dom.contains(r#"data-rendered="ok""#), "Redoc did not finish rendering: {:.2000}", dom);
    assert!(!dom.contains("Something went wrong"), "Redoc reported an error");
    let doc: serde_json::Value = serde_json::from_str(platform::routes::openapi::get::DOCUMENT).unwrap();
    let operations: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|p| p.as_object().unwrap().values().map(|op| op["operationId"].as_str().unwrap().to_string()))
        .collect();
    let rendered = operations.iter().filter(|id| dom.contains(&format!("operation/{id}\""))).count();
    assert_eq!(rendered, operations.len(), "every operation has its section");
    assert!(
        dom.contains("Create note") && dom.contains("CreateNoteRequest") || dom.contains("Trimmed, 1 to 10 000 characters"),
        "a typed body is shown"
    );
}
