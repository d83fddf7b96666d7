//! People and recruiters in the store: joins with consent and officers made directly, and what
//! the store knows of a number (its person, whether it is suppressed).

use mitan::clock::Clock as _;
use mitan::enrollment::{
    Consent, JoinOutcome, JoinRequest, Language, OptInCode, RecruiterKind, Script,
};
use mitan::privacy::Vault;
use mitan::store::{NewRecruiter, PersonRecord, Store};

use super::app::TestApp;
use super::numbers::msisdn;

impl TestApp {
    /// `number` joins with consent at `at`, through `code` if given, the way the USSD menu and
    /// SMS `YES` do it.
    pub async fn join(
        &self,
        number: &str,
        code: Option<&str>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> JoinOutcome {
        self.try_join(number, code, at).await.expect("join")
    }

    pub async fn try_join(
        &self,
        number: &str,
        code: Option<&str>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<JoinOutcome, mitan::store::JoinError> {
        self.state
            .store
            .join(&JoinRequest {
                phone: self.state.vault.seal(&msisdn(number)),
                consent: Consent {
                    channel: "console".into(),
                    language: Language::Hindi,
                    script: Script::Native,
                    version: "test".into(),
                    at,
                },
                code: code.map(|c| OptInCode::parse(c).expect("a well-formed code")),
                quota: 25,
                code_length: 6,
            })
            .await
    }

    /// The person stored for `number`, if any.
    pub async fn person(&self, number: &str) -> Option<PersonRecord> {
        person_in(&self.state.store, &self.state.vault, number).await
    }

    /// Whether `number` is on the suppression list (never to be messaged).
    pub async fn is_suppressed(&self, number: &str) -> bool {
        let index = self.state.vault.blind_index(&msisdn(number));
        self.state.store.is_suppressed(&index).await.unwrap()
    }
}

/// The person `store` holds for `number`, found by its blind index under `vault`'s key: for a
/// store opened beside a running binary.
pub async fn person_in(store: &Store, vault: &Vault, number: &str) -> Option<PersonRecord> {
    store
        .person_by_index(&vault.blind_index(&msisdn(number)))
        .await
        .unwrap()
}

/// A police officer recruiter; with `phone`, their phone is registered (so their SMS commands
/// are recognised as theirs).
pub async fn officer(app: &TestApp, phone: Option<&str>) -> (i64, OptInCode) {
    let sealed = phone.map(|p| app.state.vault.seal(&msisdn(p)));
    app.state
        .store
        .create_recruiter(&NewRecruiter {
            kind: RecruiterKind::Police,
            name: "SI Verma",
            area_id: None,
            phone: sealed.as_ref(),
            quota: 25,
            recruited_by: None,
            code_length: 6,
            at: app.clock.now(),
        })
        .await
        .unwrap()
}
