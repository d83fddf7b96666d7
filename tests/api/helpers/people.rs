//! People and recruiters made directly in the store: a join with consent, and officers.

use mitan::enrollment::{Consent, JoinOutcome, JoinRequest, Language, OptInCode, Script};
use mitan::privacy::Msisdn;

use super::app::TestApp;

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
        let msisdn = Msisdn::parse(number, phonenumber::country::Id::IN).expect("valid number");
        self.state
            .store
            .join(&JoinRequest {
                phone: self.state.vault.seal(&msisdn),
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
}

/// A police officer recruiter; with `phone`, their phone is registered (so their SMS commands
/// are recognised as theirs).
pub async fn officer(
    app: &TestApp,
    phone: Option<&mitan::privacy::Msisdn>,
) -> (i64, mitan::enrollment::OptInCode) {
    use mitan::clock::Clock as _;
    let sealed = phone.map(|p| app.state.vault.seal(p));
    app.state
        .store
        .create_recruiter(&mitan::store::NewRecruiter {
            kind: mitan::enrollment::RecruiterKind::Police,
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
