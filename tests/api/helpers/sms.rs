//! SMS, missed calls and the outbox: texts and calls as the console channel's aggregator posts
//! them, the dispatcher run by hand, and what each number received.

use mitan::clock::Clock as _;
use mitan::outbox::OutboundKind;
use rand::Rng as _;

use super::app::TestApp;
use super::numbers::msisdn;

/// A fresh aggregator message id.
pub fn message_id() -> String {
    format!("ATXid_{:032x}", rand::thread_rng().gen::<u128>())
}

impl TestApp {
    /// Texts mitan on the console channel (the Africa's Talking dialect) from `from`.
    pub async fn sms(&self, from: &str, text: &str) -> reqwest::Response {
        self.sms_on("console", from, text, &message_id()).await
    }

    /// Texts mitan on an Africa's Talking-dialect channel with a given message id (a retry
    /// repeats it).
    pub async fn sms_on(
        &self,
        channel: &str,
        from: &str,
        text: &str,
        id: &str,
    ) -> reqwest::Response {
        let response = self
            .client
            .post(self.url(&format!("/webhooks/{channel}/sms")))
            .form(&[
                ("from", from),
                ("to", "56767"),
                ("text", text),
                ("id", id),
                ("date", "2026-11-28 12:00:00"),
                ("networkCode", "40445"),
            ])
            .send()
            .await
            .expect("SMS webhook");
        assert!(response.status().is_success(), "{}", response.status());
        response
    }

    /// Texts from `from`, delivers what is due, and returns what `from` received in answer.
    pub async fn text(&self, from: &str, body: &str) -> Vec<String> {
        let before = self.inbox(from).len();
        self.sms(from, body).await;
        self.deliver().await;
        self.inbox(from)[before..].to_vec()
    }

    /// A missed call on the console channel from `from` to `to`.
    pub async fn missed_call(&self, from: &str, to: &str) -> reqwest::Response {
        self.client
            .post(self.url("/webhooks/console/missed-call"))
            .form(&[
                ("sessionId", message_id().as_str()),
                ("callerNumber", from),
                ("destinationNumber", to),
                ("isActive", "1"),
            ])
            .send()
            .await
            .expect("missed-call webhook")
    }

    pub fn dispatcher(&self) -> mitan::dispatcher::Dispatcher {
        mitan::dispatcher::Dispatcher::new(self.state.dispatch())
    }

    /// Runs the dispatcher until nothing is due; what each step did.
    pub async fn deliver(&self) -> Vec<mitan::outbox::Outcome> {
        self.dispatcher()
            .run_until_idle()
            .await
            .expect("dispatching")
    }

    /// Every SMS the console channel has sent to `number`, oldest first.
    pub fn inbox(&self, number: &str) -> Vec<String> {
        self.state.console.to(msisdn(number).e164())
    }

    /// The last SMS `number` received; fails if there is none.
    #[track_caller]
    pub fn last_sms(&self, number: &str) -> String {
        self.inbox(number)
            .last()
            .cloned()
            .unwrap_or_else(|| panic!("{number} received no SMS"))
    }

    /// Queues a message to `number` on `channel` the way a broadcast (or a reply) would, outside
    /// any webhook, for `person` if given; its id.
    pub async fn queue(
        &self,
        channel: &str,
        number: &str,
        kind: OutboundKind,
        text: &str,
        person: Option<i64>,
    ) -> i64 {
        let now = self.clock.now();
        let message =
            self.state
                .composer()
                .compose(&msisdn(number), channel, kind, text, person, now);
        self.state.store.enqueue(&message, now).await.unwrap()
    }

    pub async fn outbox(&self) -> Vec<mitan::store::OutboxEntry> {
        self.state.store.outbox_entries().await.unwrap()
    }
}

impl super::Binary {
    /// `from` texts `body` to the running binary's console channel (the Africa's Talking form).
    pub async fn sms(&self, from: &str, body: &str) {
        let answer = reqwest::Client::new()
            .post(self.url("/webhooks/console/sms"))
            .form(&[
                ("from", from),
                ("to", "56767"),
                ("text", body),
                ("id", message_id().as_str()),
                ("date", "2026-11-28 12:00:00"),
            ])
            .send()
            .await
            .expect("SMS webhook");
        assert!(answer.status().is_success(), "{}", answer.status());
    }
}
