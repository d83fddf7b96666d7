//! The floor of the USSD benchmark: the least any axum service can do for a USSD hop.
//!
//!     cargo run --release --example bench_floor -- [ADDRESS]      # default 127.0.0.1:9900
//!
//! It takes `POST /webhooks/{channel}/ussd` with the Africa's Talking form (`sessionId`,
//! `serviceCode`, `phoneNumber`, `networkCode`, `text`), parses every field, and answers mitan's
//! first screen as a fixed `CON` text, whatever the input: no session, no number check, no
//! database, no middleware. It runs as mitan's server does (`src/main.rs`): tokio's default
//! multi-threaded runtime (one worker per core) and mimalloc as the allocator, so that what
//! mitan costs above this line is what mitan does, not how it was started.
//! `scripts/bench-ussd.sh` runs it beside mitan and divides.

use axum::http::header;
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mitan's language menu in English, the screen a first hop gets.
const FIRST_SCREEN: &str =
    "CON Cyber Mitan / साइबर मितान\n1 हिंदी Hindi\n2 छत्तीसगढ़ी CG\n3 English\n4 Hindi (ABC)";

/// The whole Africa's Talking hop, read as mitan reads it (every field, as owned strings).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // parsed to pay for parsing, never looked at
struct Hop {
    session_id: String,
    service_code: String,
    phone_number: String,
    network_code: String,
    text: String,
}

async fn hop(Form(_hop): Form<Hop>) -> ([(header::HeaderName, &'static str); 1], &'static str) {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        FIRST_SCREEN,
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9900".into());
    let app = Router::new().route("/webhooks/{channel}/ussd", post(hop));
    let listener = tokio::net::TcpListener::bind(&address).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
