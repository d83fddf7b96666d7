//! The admin API's explorer at `/api/v1/docs/`, in headless Chromium: every operation of the
//! document is listed, from assets the binary itself serves (a LAN without internet works).

use crate::chrome::Chrome;
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_api_explorer_lists_every_operation_from_assets_the_binary_serves() {
    let app = spawn_app().await;
    let document: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let operations: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    let chrome = Chrome::open(&app).await;
    chrome.goto("/api/v1/docs").await;
    assert_eq!(chrome.path().await, "/api/v1/docs/");
    chrome.find(".opblock-summary").await;
    let listed = chrome
        .run("return document.querySelectorAll('.opblock-summary').length")
        .await;
    assert_eq!(listed.as_u64(), Some(operations as u64), "{listed}");
    assert!(
        chrome
            .text(".info .title")
            .await
            .contains("mitan admin API"),
        "the document's title"
    );
    // Every script, stylesheet and image came from the service itself.
    let foreign = chrome
        .run(
            "return performance.getEntriesByType('resource')
               .map(r => r.name).filter(n => !n.startsWith(location.origin))",
        )
        .await;
    assert_eq!(foreign, serde_json::json!([]), "{foreign}");
    chrome.screenshot("api-docs").await;
    chrome.close().await;
}
