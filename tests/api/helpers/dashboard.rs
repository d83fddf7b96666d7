//! The dashboard as a browser uses it: users made as `mitan user create` makes them, and a client
//! that keeps its session cookie and says which origin its forms come from. Every page it reads
//! is scanned for test numbers, as the API's answers are.

use mitan::access::{hash_password, Role};
use mitan::store::NewUser;

use super::app::TestApp;
use super::numbers::assert_no_number_in;

/// A browser: its own cookie jar, forms posted from the app's own origin.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
}

/// A page as the browser got it, its body already scanned for numbers.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    /// Where a redirect pointed, if it was one (redirects are not followed).
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The elements `selector` finds, as text.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let document = scraper::Html::parse_document(&self.body);
        let selector = scraper::Selector::parse(selector).expect("a CSS selector");
        document
            .select(&selector)
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect()
    }

    /// The text of the one element `selector` finds; fails the test unless there is one.
    #[track_caller]
    pub fn text(&self, selector: &str) -> String {
        let found = self.texts(selector);
        assert_eq!(found.len(), 1, "{selector}: {found:?}\n{}", self.body);
        found[0].clone()
    }
}

impl TestApp {
    /// A dashboard user with a password; officers see `recruiter`'s subtree.
    pub async fn dashboard_user(&self, name: &str, role: Role, recruiter: Option<i64>) -> String {
        let password = format!("{name}-correct-horse");
        self.state
            .store
            .create_user(&NewUser {
                username: name,
                role,
                recruiter_id: recruiter,
                password_hash: &hash_password(&password),
                at: chrono::Utc::now(),
            })
            .await
            .expect("create a dashboard user");
        password
    }

    /// A browser with no session yet.
    pub fn browser(&self) -> Browser<'_> {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser { app: self, client }
    }

    /// A browser signed in as a new user `name` of `role`.
    pub async fn signed_in(&self, name: &str, role: Role, recruiter: Option<i64>) -> Browser<'_> {
        let password = self.dashboard_user(name, role, recruiter).await;
        let browser = self.browser();
        let answer = browser
            .post(
                "/admin/login",
                &[("username", name), ("password", &password)],
            )
            .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        browser
    }
}

impl Browser<'_> {
    /// The origin the app's own pages have.
    pub fn origin(&self) -> String {
        self.app.address.clone()
    }

    pub async fn get(&self, path: &str) -> Page {
        let response = self.client.get(self.app.url(path)).send().await.unwrap();
        read(response, path).await
    }

    /// A form post from one of the app's own pages.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let origin = self.origin();
        self.post_from(path, form, Some(&origin)).await
    }

    /// A form post as a page of `origin` would make it (`None`: no `Origin` header at all).
    pub async fn post_from(&self, path: &str, form: &[(&str, &str)], origin: Option<&str>) -> Page {
        let mut request = self.client.post(self.app.url(path)).form(form);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        read(request.send().await.unwrap(), path).await
    }
}

async fn read(response: reqwest::Response, path: &str) -> Page {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response.text().await.unwrap();
    assert_no_number_in(&body, &format!("the page {path}"));
    Page {
        status,
        headers,
        location,
        body,
    }
}
