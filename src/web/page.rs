//! What every page shares: the words in the viewer's language, who is signed in, the navigation,
//! and turning a template into an answer.

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::access::Role;
use crate::i18n::{Catalog, LanguageIdentifier};

/// The languages pages are shown in.
pub const LANGUAGES: [&str; 2] = ["en", "hi"];

/// The frame around a page: words, the signed-in user, the navigation.
pub struct Chrome {
    pub lang: &'static str,
    /// The signed-in user's name; `None` on the sign-in page.
    pub user: Option<String>,
    pub admin: bool,
    /// The navigation entry of this page (`overview`, `recruiters`, …).
    pub current: &'static str,
    /// Training mode (`mitan serve --demo`): the navigation offers the simulator.
    pub training: bool,
    locale: LanguageIdentifier,
    catalog: Catalog,
}

/// One entry of the navigation.
pub struct NavItem {
    pub id: &'static str,
    pub href: &'static str,
    pub label: String,
}

impl Chrome {
    pub fn new(
        catalog: &Catalog,
        language: &str,
        user: Option<(&str, Role)>,
        current: &'static str,
    ) -> Self {
        let lang = LANGUAGES
            .into_iter()
            .find(|l| *l == language)
            .unwrap_or("en");
        Self {
            lang,
            user: user.map(|(name, _)| name.to_string()),
            admin: user.is_some_and(|(_, role)| role == Role::Admin),
            current,
            training: false,
            locale: lang.parse().expect("a valid locale"),
            catalog: catalog.clone(),
        }
    }

    /// A message in the page's language.
    pub fn t(&self, id: &str) -> String {
        self.catalog.message(id, &self.locale, &[])
    }

    /// A message with one argument.
    pub fn t1(&self, id: &str, name: &'static str, value: &str) -> String {
        self.catalog
            .message(id, &self.locale, &[(name, value.to_string())])
    }

    /// A message with two arguments.
    pub fn t2(
        &self,
        id: &str,
        (first, one): (&'static str, &str),
        (second, two): (&'static str, &str),
    ) -> String {
        self.catalog.message(
            id,
            &self.locale,
            &[(first, one.to_string()), (second, two.to_string())],
        )
    }

    /// The navigation this user may follow: officers see only their own figures.
    pub fn nav(&self) -> Vec<NavItem> {
        let all: &[(&str, &str, bool)] = &[
            ("overview", "/admin", false),
            ("recruiters", "/admin/recruiters", true),
            ("tips", "/admin/tips", true),
            ("broadcasts", "/admin/broadcasts", true),
            ("people", "/admin/people", true),
            ("scams", "/admin/scams", true),
            ("reports", "/admin/reports", true),
            ("audit", "/admin/audit", true),
            ("exports", "/admin/exports", true),
            ("tokens", "/admin/tokens", true),
            ("simulator", "/admin/simulator", false),
        ];
        all.iter()
            .filter(|(_, _, admin_only)| self.admin || !admin_only)
            .filter(|(id, _, _)| self.training || *id != "simulator")
            .map(|(id, href, _)| NavItem {
                id,
                href,
                label: self.t(&format!("admin-nav-{id}")),
            })
            .collect()
    }

    /// The other language, for the switch in the header.
    pub fn other_lang(&self) -> &'static str {
        if self.lang == "hi" {
            "en"
        } else {
            "hi"
        }
    }
}

/// A rendered page with `status`; a template that fails to render is a 500 (and a bug).
pub fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "a page failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A page that only says why the request was refused or failed.
#[derive(Template)]
#[template(path = "admin/error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub title: String,
    pub detail: String,
}

impl ErrorPage {
    pub fn answer(chrome: Chrome, status: StatusCode, title_id: &str, detail_id: &str) -> Response {
        let page = Self {
            title: chrome.t(title_id),
            detail: chrome.t(detail_id),
            chrome,
        };
        html(status, &page)
    }
}
