//! USSD as a villager's handset makes it: `Handset` dials, presses and hangs up over Africa's
//! Talking on the app in-process; `africastalking_hop` posts one raw hop to any running mitan,
//! and `Binary::join_by_ussd` makes a whole join on the real binary.

use rand::Rng as _;

use super::app::TestApp;
use super::binary::Binary;

/// A feature phone on the Africa's Talking channel: one USSD session at a time.
pub struct Handset<'a> {
    app: &'a TestApp,
    pub phone: String,
    pub session: String,
    channel: String,
    path: Vec<String>,
}

/// What the handset shows after a hop.
#[derive(Debug, Clone)]
pub struct Screen {
    pub end: bool,
    pub text: String,
}

impl Screen {
    /// Fails the test unless the screen contains `fragment`.
    #[track_caller]
    pub fn says(&self, fragment: &str) -> &Self {
        assert!(
            self.text.contains(fragment),
            "expected {fragment:?} on the screen:\n{}",
            self.text
        );
        self
    }
}

impl TestApp {
    pub fn handset(&self, phone: &str) -> Handset<'_> {
        Handset {
            app: self,
            phone: phone.to_string(),
            session: format!("ATUid_{:032x}", rand::thread_rng().gen::<u128>()),
            channel: "africastalking".into(),
            path: Vec::new(),
        }
    }
}

impl Handset<'_> {
    /// Dials the campaign's code: a new session.
    pub async fn dial(&mut self) -> Screen {
        self.session = format!("ATUid_{:032x}", rand::thread_rng().gen::<u128>());
        self.path.clear();
        self.send().await
    }

    /// Types an input and presses send.
    pub async fn press(&mut self, input: &str) -> Screen {
        self.path.push(input.to_string());
        self.send().await
    }

    /// Sends the last hop again, as an aggregator retrying would.
    pub async fn resend(&self) -> Screen {
        self.send().await
    }

    /// Sends the path typed so far as one hop: the screen answered (a 200 `text/plain` `CON `
    /// or `END ` reply, or the test fails).
    pub async fn send(&self) -> Screen {
        let url = self.app.url(&format!("/webhooks/{}/ussd", self.channel));
        let path = self.path.join("*");
        let response = post_hop(&self.app.client, &url, &self.session, &self.phone, &path)
            .await
            .expect("USSD hop");
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        let body = response.text().await.unwrap();
        if let Some(text) = body.strip_prefix("CON ") {
            Screen {
                end: false,
                text: text.to_string(),
            }
        } else if let Some(text) = body.strip_prefix("END ") {
            Screen {
                end: true,
                text: text.to_string(),
            }
        } else {
            panic!("not a USSD reply: {body:?}")
        }
    }

    /// The aggregator's end-of-session notice (the person hung up or the network closed it).
    pub async fn hang_up(&self) {
        let response = self
            .app
            .client
            .post(
                self.app
                    .url(&format!("/webhooks/{}/ussd/end", self.channel)),
            )
            .form(&[
                ("sessionId", self.session.as_str()),
                ("phoneNumber", self.phone.as_str()),
                ("status", "Incomplete"),
                ("input", &self.path.join("*")),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    /// The session as the store holds it now, unless it has ended or expired.
    pub async fn stored_session(&self) -> Option<mitan::store::StoredUssdSession> {
        use mitan::clock::Clock as _;
        self.app
            .state
            .store
            .ussd_session(&self.channel, &self.session, self.app.clock.now())
            .await
            .unwrap()
    }
}

/// The hops of an English USSD join over Africa's Talking, each path what the aggregator sends:
/// the dial, English, Join, no code, both pages of the notice, agree.
pub const ENGLISH_JOIN: [&str; 7] = [
    "",
    "3",
    "3*1",
    "3*1*0",
    "3*1*0*1",
    "3*1*0*1*1",
    "3*1*0*1*1*1",
];

/// Posts one Africa's Talking USSD hop to `url` (a running mitan's `/webhooks/…/ussd`) and
/// returns the raw answer, `CON `/`END ` included; fails unless it is 200.
pub async fn africastalking_hop(
    client: &reqwest::Client,
    url: &str,
    session: &str,
    phone: &str,
    path: &str,
) -> String {
    let response = post_hop(client, url, session, phone, path)
        .await
        .expect("USSD hop");
    assert_eq!(response.status(), 200, "a hop is always answered 200");
    response.text().await.unwrap()
}

/// The same hop where the service may be going away (a signal, a kill): the raw answer, or
/// `None` if none came.
pub async fn try_africastalking_hop(
    client: &reqwest::Client,
    url: &str,
    session: &str,
    phone: &str,
    path: &str,
) -> Option<String> {
    let response = post_hop(client, url, session, phone, path).await.ok()?;
    response.text().await.ok()
}

impl Binary {
    /// `phone`'s whole English USSD join over Africa's Talking ([`ENGLISH_JOIN`]) in `session`,
    /// up to the first `END`: the screens seen, `CON `/`END ` included; fails on an answer that
    /// is neither.
    pub async fn join_by_ussd(&self, phone: &str, session: &str) -> Vec<String> {
        let client = reqwest::Client::new();
        let url = self.url("/webhooks/africastalking/ussd");
        let mut screens = Vec::new();
        for path in ENGLISH_JOIN {
            let text = africastalking_hop(&client, &url, session, phone, path).await;
            assert!(
                text.starts_with("CON ") || text.starts_with("END "),
                "{text:?}"
            );
            let ended = text.starts_with("END ");
            screens.push(text);
            if ended {
                break;
            }
        }
        screens
    }
}

/// One hop as Africa's Talking posts it: the session, the service code, the number, the
/// network, and the path typed so far.
async fn post_hop(
    client: &reqwest::Client,
    url: &str,
    session: &str,
    phone: &str,
    path: &str,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(url)
        .form(&[
            ("sessionId", session),
            ("serviceCode", "*384*25#"),
            ("phoneNumber", phone),
            ("networkCode", "40445"),
            ("text", path),
        ])
        .send()
        .await
}
