//! `/simulator`: a basic feature phone drawn in the page, for trainers on a projector and for
//! translators reviewing screens. It exists only in training mode (`mitan serve --demo`, see
//! [`crate::demo`]): on a real campaign every route here answers 404, before any sign-in.
//!
//! The page (`templates/admin/simulator.html`, `assets/simulator.js`) dials and answers through
//! `POST /admin/simulator/hop`, the same USSD edge an aggregator reaches, on the console channel; each
//! answer comes with its size against the screen's limit. SMS go through `POST /admin/simulator/sms`
//! (the SMS edge) and the replies the console channel "sent" are read back from
//! `GET /admin/simulator/inbox`. Every trainee gets a demo phone of their own when the page loads.

use std::sync::Arc;

use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};

use super::page::{html, Chrome};
use super::session::Viewer;
use crate::demo::Demo;
use crate::encoding::{sms_cost, Encoding, USSD_GSM7_MAX, USSD_UCS2_MAX};
use crate::http::AppState;
use crate::privacy::Msisdn;
use crate::providers::{HopInput, InboundSms, UssdHop, UssdSessionEnd};

/// Longest input the page may send (a USSD path or an SMS): a handset sends far less.
const MAX_INPUT: usize = 480;

/// Training mode, or 404: the first extractor of every route here, so that a real campaign
/// answers 404 before anything else is looked at.
pub struct Training(Arc<Demo>);

impl FromRequestParts<Arc<AppState>> for Training {
    type Rejection = Response;

    async fn from_request_parts(
        _: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        match &state.demo {
            Some(demo) => Ok(Self(demo.clone())),
            None => Err(StatusCode::NOT_FOUND.into_response()),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/simulator.html")]
struct Page {
    chrome: Chrome,
    phone: String,
    ussd_code: String,
    officer_code: String,
    timeout_secs: u64,
    gsm7_max: usize,
    ucs2_max: usize,
    keys: [&'static str; 12],
}

/// `GET /simulator`: the address trainers are given; the page lives beside the dashboard's
/// (`/admin/simulator`), where its sign-in cookie reaches.
pub async fn entry(Training(_): Training) -> Response {
    axum::response::Redirect::to("/admin/simulator").into_response()
}

/// `GET /admin/simulator`: the phone, with a fresh demo number.
pub async fn page(
    Training(demo): Training,
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
) -> Response {
    html(
        StatusCode::OK,
        &Page {
            chrome: viewer.chrome(&state, "simulator"),
            phone: demo.next_phone(),
            ussd_code: state.settings.campaign.ussd_code.clone(),
            officer_code: demo.officer_code.clone(),
            timeout_secs: state.settings.ussd.session_timeout_secs,
            gsm7_max: USSD_GSM7_MAX,
            ucs2_max: USSD_UCS2_MAX,
            keys: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"],
        },
    )
}

#[derive(Deserialize)]
pub struct HopForm {
    phone: String,
    session: String,
    /// Every input of the session so far, joined by `*` (empty: the dial).
    #[serde(default)]
    text: String,
}

/// A screen as the page shows it.
#[derive(Serialize)]
pub struct Screen {
    text: String,
    end: bool,
    /// Its size in the units of its encoding, against the limit of that encoding.
    units: usize,
    limit: usize,
    encoding: &'static str,
}

/// `POST /admin/simulator/hop`: one hop, answered with the screen.
pub async fn hop(
    Training(_): Training,
    State(state): State<Arc<AppState>>,
    _viewer: Viewer,
    Form(form): Form<HopForm>,
) -> Response {
    if let Err(why) = check(&form.phone, &form.session, &form.text) {
        return refuse(why);
    }
    let reply = crate::ussd::serve_hop(
        &state.ussd(),
        console(&state),
        UssdHop {
            session_id: form.session,
            phone: form.phone,
            input: HopInput::Path(form.text),
        },
    )
    .await;
    let cost = sms_cost(&reply.text);
    let (encoding, limit) = match cost.encoding {
        Encoding::Gsm7 => ("GSM-7", USSD_GSM7_MAX),
        Encoding::Ucs2 => ("UCS-2", USSD_UCS2_MAX),
    };
    Json(Screen {
        units: cost.units,
        limit,
        encoding,
        end: reply.end,
        text: reply.text,
    })
    .into_response()
}

#[derive(Deserialize)]
pub struct EndForm {
    session: String,
}

/// `POST /admin/simulator/end`: the red key, as the aggregator's end-of-session notice.
pub async fn end(
    Training(_): Training,
    State(state): State<Arc<AppState>>,
    _viewer: Viewer,
    Form(form): Form<EndForm>,
) -> Response {
    if let Err(why) = check("", &form.session, "") {
        return refuse(why);
    }
    let ended = crate::ussd::end_session(
        &state.ussd(),
        console(&state),
        &UssdSessionEnd {
            session_id: form.session,
        },
    )
    .await;
    match ended {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => {
            crate::store::log_failure("ending a simulated USSD session", &err);
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct SmsForm {
    phone: String,
    text: String,
}

/// `POST /admin/simulator/sms`: an SMS from the demo phone; its replies reach the inbox.
pub async fn sms(
    Training(_): Training,
    State(state): State<Arc<AppState>>,
    _viewer: Viewer,
    Form(form): Form<SmsForm>,
) -> Response {
    if let Err(why) = check(&form.phone, "sms", &form.text) {
        return refuse(why);
    }
    let message = InboundSms {
        message_id: Some(format!("sim-{:032x}", rand::random::<u128>())),
        from: form.phone,
        to: None,
        text: form.text,
    };
    match crate::sms::receive_sms(&state.sms(), console(&state), &message).await {
        Ok(_) => {
            state.outbox_wake.notify_one();
            StatusCode::NO_CONTENT.into_response()
        }
        Err(err) => {
            crate::store::log_failure("a simulated SMS", &err);
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct InboxQuery {
    phone: String,
}

#[derive(Serialize)]
pub struct Inbox {
    messages: Vec<String>,
}

/// `GET /admin/simulator/inbox?phone=…`: what the console channel sent the demo phone, oldest first.
pub async fn inbox(
    Training(_): Training,
    State(state): State<Arc<AppState>>,
    _viewer: Viewer,
    Query(query): Query<InboxQuery>,
) -> Response {
    let region = state.settings.phone.default_region.0;
    let Ok(phone) = Msisdn::parse(&query.phone, region) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "phone: not a phone number",
        )
            .into_response();
    };
    Json(Inbox {
        messages: state.console.to(phone.e164()),
    })
    .into_response()
}

/// The console channel training mode sends through.
fn console(state: &AppState) -> &str {
    &state.settings.outbound.default_channel
}

/// A page's request within what a handset could send, or why not (answered 422).
fn check(phone: &str, session: &str, text: &str) -> Result<(), &'static str> {
    if phone.len() > 32 {
        return Err("phone: too long");
    }
    if session.is_empty() || session.len() > 64 {
        return Err("session: 1 to 64 characters");
    }
    if text.len() > MAX_INPUT || text.contains('\0') {
        return Err("text: at most 480 bytes, no NUL");
    }
    Ok(())
}

fn refuse(why: &'static str) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, why).into_response()
}
