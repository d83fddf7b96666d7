//! USSD as a villager's handset makes it: `Handset` dials, presses and hangs up over Africa's
//! Talking, and `africastalking_hop` posts one raw hop to any running mitan.

use rand::Rng as _;

use super::app::TestApp;

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

    pub async fn send(&self) -> Screen {
        let response = self
            .app
            .client
            .post(self.app.url(&format!("/webhooks/{}/ussd", self.channel)))
            .form(&[
                ("sessionId", self.session.as_str()),
                ("serviceCode", "*384*25#"),
                ("phoneNumber", self.phone.as_str()),
                ("networkCode", "40445"),
                ("text", &self.path.join("*")),
            ])
            .send()
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
    let response = client
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
        .expect("USSD hop");
    assert_eq!(response.status(), 200, "a hop is always answered 200");
    response.text().await.unwrap()
}
