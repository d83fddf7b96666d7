//! Signing in and out. A session is a random cookie (`HttpOnly`, `SameSite=Strict`, `Secure` when
//! `server.public_url` is https) whose SHA-256 the database keeps, so any instance serves it and a
//! copy of the database opens none; signing out deletes it. Wrong passwords are slowed per
//! username (`dashboard.login_attempts_per_minute`) and every sign-in, failure and refusal is in
//! the audit log.

use std::sync::Arc;

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine as _;
use rand::RngCore as _;
use serde::Deserialize;

use super::page::{html, Chrome, ErrorPage};
use crate::access::{hash_password, token_hash, verify_password, Holder, Principal, Role};
use crate::http::AppState;
use crate::privacy::without_numbers;
use crate::store::{NewAuditEntry, UserRecord};

/// The session cookie.
pub const COOKIE: &str = "mitan_session";

/// The signed-in user of a page request; without a live session the request is sent to the
/// sign-in page.
pub struct Viewer {
    pub user: UserRecord,
    pub principal: Principal,
}

/// A viewer with the admin role; an officer gets 403.
pub struct AdminViewer(pub Viewer);

impl Viewer {
    pub fn chrome(&self, state: &AppState, current: &'static str) -> Chrome {
        let mut chrome = Chrome::new(
            state.texts.catalog(),
            &self.user.language,
            Some((&self.user.username, self.user.role)),
            current,
        );
        chrome.training = state.demo.is_some();
        chrome
    }
}

impl FromRequestParts<Arc<AppState>> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(COOKIE) else {
            return Err(Redirect::to("/admin/login").into_response());
        };
        let now = state.clock.now();
        let user = state
            .store
            .session_user(&token_hash(cookie.value()), now)
            .await
            .map_err(|err| crate::http::ApiError::from(err).into_response())?;
        let Some(user) = user else {
            return Err(Redirect::to("/admin/login").into_response());
        };
        let principal = Principal {
            holder: Holder::User(user.id),
            name: user.username.clone(),
            role: user.role,
            recruiter_id: user.recruiter_id,
        };
        Ok(Viewer { user, principal })
    }
}

impl FromRequestParts<Arc<AppState>> for AdminViewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        if viewer.user.role != Role::Admin {
            let chrome = viewer.chrome(state, "");
            return Err(ErrorPage::answer(
                chrome,
                StatusCode::FORBIDDEN,
                "admin-forbidden-title",
                "admin-forbidden-detail",
            ));
        }
        Ok(AdminViewer(viewer))
    }
}

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    chrome: Chrome,
    /// Why the last attempt failed, in words.
    problem: Option<String>,
    username: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    lang: Option<String>,
}

/// `GET /admin/login`: the form (`username`, `password`).
pub async fn form(
    State(state): State<Arc<AppState>>,
    axum::extract::Query(query): axum::extract::Query<LoginQuery>,
) -> Response {
    let chrome = Chrome::new(
        state.texts.catalog(),
        query.lang.as_deref().unwrap_or("en"),
        None,
        "login",
    );
    let page = LoginPage {
        chrome,
        problem: None,
        username: String::new(),
    };
    html(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct Credentials {
    username: String,
    password: String,
    #[serde(default)]
    lang: Option<String>,
}

/// A password hash that matches nothing, checked when the username does not exist so that the
/// answer takes as long either way.
fn unknown_user_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("no user has this password"))
}

/// `POST /admin/login`.
pub async fn sign_in(
    State(state): State<Arc<AppState>>,
    jar: CookieJar,
    Form(credentials): Form<Credentials>,
) -> Response {
    let lang = credentials.lang.as_deref().unwrap_or("en");
    let chrome = || Chrome::new(state.texts.catalog(), lang, None, "login");
    let username = credentials.username.trim().to_string();
    let now = state.clock.now();
    // Neither the username as typed (it may be anything, a number even) nor the password is
    // ever logged or stored; the audit log keeps the username without any number in it.
    let shown = without_numbers(&username.chars().take(60).collect::<String>());
    let refuse = |status, problem_id: &str| {
        let chrome = chrome();
        let problem = Some(chrome.t(problem_id));
        html(
            status,
            &LoginPage {
                chrome,
                problem,
                username: shown.clone(),
            },
        )
    };
    if !state.logins.allow(&username) {
        audit(&state, now, "login.limited", &shown).await;
        return refuse(StatusCode::TOO_MANY_REQUESTS, "admin-login-limited");
    }
    let user = match state.store.user_by_name(&username).await {
        Ok(user) => user,
        Err(err) => return crate::http::ApiError::from(err).into_response(),
    };
    let hash = user
        .as_ref()
        .map_or(unknown_user_hash(), |u| u.password_hash.as_str());
    let password = credentials.password;
    let verified = tokio::task::spawn_blocking({
        let hash = hash.to_string();
        move || verify_password(&password, &hash)
    })
    .await
    .unwrap_or(false);
    let user = match user {
        Some(user) if verified && user.disabled_at.is_none() => user,
        _ => {
            audit(&state, now, "login.failed", &shown).await;
            return refuse(StatusCode::UNAUTHORIZED, "admin-login-failed");
        }
    };
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hours = i64::from(state.settings.dashboard.session_hours.max(1));
    let expires = now + chrono::Duration::hours(hours);
    if let Err(err) = state
        .store
        .open_session(&token_hash(&token), user.id, now, expires)
        .await
    {
        return crate::http::ApiError::from(err).into_response();
    }
    if let Some(lang) = credentials
        .lang
        .filter(|l| super::page::LANGUAGES.contains(&l.as_str()))
    {
        let _ = state.store.set_user_language(user.id, &lang).await;
    }
    audit(&state, now, "login", &format!("user:{}", user.id)).await;
    let secure = state.settings.server.public_url.starts_with("https://");
    let cookie = Cookie::build((COOKIE, token))
        .path("/admin")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        // No Max-Age: the cookie ends with the browser (shared computers at a thana), and the
        // server ends the session after `dashboard.session_hours` anyway.
        .build();
    (jar.add(cookie), Redirect::to("/admin")).into_response()
}

/// `POST /admin/logout`: the session ends on the server, and the cookie goes.
pub async fn sign_out(State(state): State<Arc<AppState>>, jar: CookieJar) -> Response {
    if let Some(cookie) = jar.get(COOKIE) {
        if let Err(err) = state.store.close_session(&token_hash(cookie.value())).await {
            return crate::http::ApiError::from(err).into_response();
        }
    }
    let gone = Cookie::build((COOKIE, "")).path("/admin").build();
    (jar.remove(gone), Redirect::to("/admin/login")).into_response()
}

#[derive(Deserialize)]
pub struct LanguageChoice {
    language: String,
}

/// `POST /admin/language`: the pages' language, remembered for this user.
pub async fn choose_language(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Form(choice): Form<LanguageChoice>,
) -> Response {
    if !super::page::LANGUAGES.contains(&choice.language.as_str()) {
        return StatusCode::UNPROCESSABLE_ENTITY.into_response();
    }
    if let Err(err) = state
        .store
        .set_user_language(viewer.user.id, &choice.language)
        .await
    {
        return crate::http::ApiError::from(err).into_response();
    }
    Redirect::to("/admin").into_response()
}

async fn audit(state: &AppState, at: chrono::DateTime<chrono::Utc>, action: &str, target: &str) {
    let entry = NewAuditEntry {
        at,
        actor: "dashboard",
        action,
        target: Some(target),
        detail: None,
    };
    if let Err(err) = state.store.append_audit(&entry).await {
        crate::store::log_failure("recording a sign-in in the audit log", &err.into());
    }
}
