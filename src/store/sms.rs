//! SMS: pending consents, webhook receipts, recruiters recognised by their phone, and the one
//! transaction an inbound message's effect, its receipt and its replies share.

use chrono::{DateTime, Utc};

use super::enrollment::{erase_in, join_in, opt_out_in};
use super::outbox::{cancel_queued_in, insert_outbound};
use super::recruiters::with_fresh_code;
use super::tx::{Sql, WriteTx};
use super::StoreError;
use super::{from_millis, on_pool, on_reader, to_millis, JoinError, Store};
use crate::enrollment::{
    CodeRefusal, JoinOutcome, JoinRequest, Language, OptInCode, RecruiterKind, Script,
};
use crate::outbox::NewOutbound;
use crate::privacy::BlindIndex;

/// Someone who asked to join (JOIN, a missed call) or was invited, waiting for their YES.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingConsent {
    /// The vault's consent tag of the number (never the blind index).
    pub tag: [u8; 32],
    pub language: Language,
    pub script: Script,
    /// The code to credit at YES.
    pub code: Option<OptInCode>,
    /// The recruiter who invited them.
    pub invited_by: Option<i64>,
    /// Version of the notice they were sent.
    pub notice_version: String,
    pub expires_at: DateTime<Utc>,
}

/// What kind of webhook a receipt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiptKind {
    Sms,
    Call,
}

/// An aggregator's id for an inbound message or call: seen once, acted on once.
#[derive(Debug, Clone, Copy, Hash)]
pub struct Receipt<'a> {
    pub channel: &'a str,
    pub kind: ReceiptKind,
    pub message_id: &'a str,
}

/// The keyed forms of a number a STOP or DELETE needs: its blind index (people, suppressions),
/// its consent tag (pending consents, queued messages) and its USSD resume tag.
#[derive(Debug, Clone)]
pub struct NumberKeys {
    pub index: BlindIndex,
    pub consent_tag: [u8; 32],
    pub resume_tag: [u8; 32],
}

/// The state change an inbound SMS or call causes.
#[derive(Debug, Clone)]
pub enum SmsChange<'a> {
    Nothing,
    /// Remember (or renew) a pending consent.
    Pending(&'a PendingConsent),
    /// The YES: join, and forget the pending consent.
    Join {
        request: &'a JoinRequest,
        consent_tag: &'a [u8; 32],
    },
    /// Stop everything: opt out, suppress, cancel what is queued, forget pending consents and
    /// any half-finished USSD registration.
    OptOut(&'a NumberKeys),
    /// As `OptOut`, and erase the person's number.
    Erase(&'a NumberKeys),
    Language {
        index: &'a BlindIndex,
        language: Language,
        script: Script,
    },
    /// A member chose how tips come: by call (`voice`) or by SMS.
    Medium {
        index: &'a BlindIndex,
        voice: bool,
    },
    /// A scam check was answered: one more of its kind that day (in the member's area).
    ScamChecked(&'a ScamChecked<'a>),
    /// A fraud number was reported (counted once per reporter per number).
    FraudReport(&'a super::NewFraudReport),
}

/// What the scam-check figures keep of one check: the kind found (`none` included), the local
/// day, and the area of a member. Never the text, never the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScamChecked<'a> {
    pub day: chrono::NaiveDate,
    pub category: &'a str,
    pub area_id: Option<i64>,
}

/// What the change did, for choosing the replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    Nothing,
    PendingSaved,
    Joined(JoinOutcome),
    /// The code went bad since the notice (expired, used up): nothing joined, the pending consent
    /// now has no code.
    CodeRefused(CodeRefusal),
    /// `was_suppressed`: the number had already stopped before (no second confirmation).
    OptedOut {
        was_suppressed: bool,
    },
    Erased {
        had_number: bool,
        was_suppressed: bool,
    },
    /// Whether a member's medium was set (false: not an active member).
    MediumSet {
        member: bool,
    },
    LanguageSet {
        member: bool,
    },
    /// `counted`: false when this reporter had reported the number already.
    Reported {
        counted: bool,
    },
}

/// Whether the webhook was acted on, or was a retry of one that was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Duplicate,
    Done(Changed),
}

/// A recruiter, as their own STATUS and CODE commands need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecruiterCard {
    pub id: i64,
    pub kind: RecruiterKind,
    pub quota: i64,
    pub code: Option<String>,
    /// Everyone who ever joined through them (erasure does not lower it).
    pub recruits: i64,
}

/// Produces the messages to queue once the change is known (the reply to a join names the new
/// member's code).
pub type Replies<'a> = &'a (dyn Fn(&Changed) -> Vec<NewOutbound> + Sync);

impl ReceiptKind {
    fn as_str(self) -> &'static str {
        match self {
            ReceiptKind::Sms => "sms",
            ReceiptKind::Call => "call",
        }
    }
}

impl Store {
    /// Whether this webhook was already acted on (its receipt is recorded).
    pub async fn seen_receipt(&self, receipt: &Receipt<'_>) -> Result<bool, StoreError> {
        let seen: Option<i32> = on_reader!(self, pool => {
            sqlx::query_scalar(
                "SELECT 1 FROM webhook_receipts WHERE channel = $1 AND kind = $2 \
                 AND message_id = $3",
            )
            .bind(receipt.channel)
            .bind(receipt.kind.as_str())
            .bind(receipt.message_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(seen.is_some())
    }

    /// Acts on one inbound SMS or call in one write transaction: records its receipt (a retry
    /// finds it and changes nothing), makes the change, and queues the replies `replies` chooses.
    pub async fn apply_sms(
        &self,
        receipt: Option<Receipt<'_>>,
        change: &SmsChange<'_>,
        replies: Replies<'_>,
        now: DateTime<Utc>,
    ) -> Result<Applied, StoreError> {
        // Only a join uses the code; every other change ignores it.
        let code_length = match change {
            SmsChange::Join { request, .. } => request.code_length,
            _ => 4,
        };
        with_fresh_code(code_length, |own_code| async move {
            let mut tx = self.begin_write().await?;
            let applied =
                apply_sms_in(&mut tx, receipt, change, replies, &own_code, self, now).await?;
            if matches!(applied, Applied::Done(_)) {
                tx.commit().await?;
                // An opt-out or erasure deleted the number's unfinished USSD sessions.
                if matches!(change, SmsChange::OptOut(_) | SmsChange::Erase(_)) {
                    self.forget_live_sessions();
                }
            }
            Ok(applied)
        })
        .await
    }

    /// Stops everything for a number at once, from any channel: opt-out and suppression, what is
    /// queued for it, pending consents and half-finished USSD registrations, in one transaction.
    pub async fn stop_everything(
        &self,
        keys: &NumberKeys,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.apply_sms(None, &SmsChange::OptOut(keys), &|_| Vec::new(), now)
            .await
            .map(|_| ())
    }

    /// The live pending consent of a number, if any.
    pub async fn pending_consent(
        &self,
        tag: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<PendingConsent>, StoreError> {
        #[allow(clippy::type_complexity)]
        let row: Option<(String, String, Option<String>, Option<i64>, String, i64)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT language, script, code, invited_by, notice_version, expires_at \
                 FROM sms_pending_consents WHERE tag = $1 AND expires_at > $2",
            )
            .bind(tag.as_slice())
            .bind(to_millis(now))
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(
            |(language, script, code, invited_by, notice_version, expires_at)| PendingConsent {
                tag: *tag,
                language: Language::from_tag(&language).unwrap_or(Language::Hindi),
                script: Script::from_tag(&script).unwrap_or_default(),
                code: code.and_then(|c| OptInCode::parse(&c).ok()),
                invited_by,
                notice_version,
                expires_at: from_millis(expires_at),
            },
        ))
    }

    /// The recruiter whose registered phone (an officer's), or whose active membership (a
    /// mitan's), has this blind index.
    pub async fn recruiter_by_phone(
        &self,
        index: &BlindIndex,
    ) -> Result<Option<RecruiterCard>, StoreError> {
        let row: Option<(i64, String, i64, Option<String>, i64)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT r.id, r.kind, r.quota, c.code, \
                 (SELECT COUNT(*) FROM people joined WHERE joined.recruited_by = r.id) \
                 FROM recruiters r \
                 LEFT JOIN people p ON p.id = r.person_id \
                 LEFT JOIN codes c ON c.recruiter_id = r.id AND c.kind = 'permanent' \
                 WHERE r.phone_index = $1 OR (p.phone_index = $1 AND p.status = 'active') \
                 ORDER BY CASE WHEN r.phone_index = $1 THEN 0 ELSE 1 END LIMIT 1",
            )
            .bind(index.as_bytes())
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(id, kind, quota, code, recruits)| RecruiterCard {
            id,
            kind: RecruiterKind::from_tag(&kind).unwrap_or(RecruiterKind::Mitan),
            quota,
            code,
            recruits,
        }))
    }

    /// Forgets pending consents past their expiry and receipts older than `receipts_before`.
    /// Returns how many pending consents went.
    pub async fn purge_sms(
        &self,
        now: DateTime<Utc>,
        receipts_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let purged = on_pool!(self, pool => {
            let pending = sqlx::query("DELETE FROM sms_pending_consents WHERE expires_at <= $1")
                .bind(to_millis(now))
                .execute(pool)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM webhook_receipts WHERE seen_at < $1")
                .bind(to_millis(receipts_before))
                .execute(pool)
                .await?;
            pending
        });
        Ok(purged)
    }
}

/// The body of [`Store::apply_sms`], in its write transaction: the receipt (a retry finds it and
/// stops here), the change, the replies. A duplicate is rolled back by the caller.
async fn apply_sms_in(
    tx: &mut WriteTx<'_>,
    receipt: Option<Receipt<'_>>,
    change: &SmsChange<'_>,
    replies: Replies<'_>,
    own_code: &OptInCode,
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Applied, StoreError> {
    let at = to_millis(now);
    if let Some(receipt) = receipt {
        let fresh = tx
            .execute(
                Sql::new(
                    "INSERT INTO webhook_receipts (channel, kind, message_id, seen_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(receipt.channel)
                .bind(receipt.kind.as_str())
                .bind(receipt.message_id)
                .bind(at),
            )
            .await?;
        if fresh == 0 {
            return Ok(Applied::Duplicate);
        }
    }
    let changed = match change {
        SmsChange::Nothing => Changed::Nothing,
        SmsChange::Pending(pending) => {
            tx.execute(
                Sql::new(
                    "INSERT INTO sms_pending_consents (tag, language, script, code, \
                     invited_by, notice_version, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tag) DO UPDATE SET \
                     language = excluded.language, script = excluded.script, \
                     code = excluded.code, invited_by = excluded.invited_by, \
                     notice_version = excluded.notice_version, \
                     expires_at = excluded.expires_at",
                )
                .bind(pending.tag.as_slice())
                .bind(pending.language.tag())
                .bind(pending.script.tag())
                .bind(pending.code.as_ref().map(OptInCode::as_str))
                .bind(pending.invited_by)
                .bind(&pending.notice_version)
                .bind(at)
                .bind(to_millis(pending.expires_at)),
            )
            .await?;
            Changed::PendingSaved
        }
        SmsChange::Join {
            request,
            consent_tag,
        } => match join_in(tx, request, own_code, store.burst_per_hour).await {
            Ok(outcome) => {
                forget_pending(tx, consent_tag).await?;
                Changed::Joined(outcome)
            }
            Err(JoinError::Code(refusal)) => {
                tx.execute(
                    Sql::new(
                        "UPDATE sms_pending_consents SET code = NULL, invited_by = NULL \
                         WHERE tag = $1",
                    )
                    .bind(consent_tag.as_slice()),
                )
                .await?;
                Changed::CodeRefused(refusal)
            }
            Err(JoinError::Store(err)) => return Err(err),
        },
        SmsChange::OptOut(keys) | SmsChange::Erase(keys) => {
            let was_suppressed: Option<i32> = tx
                .fetch_optional_value(
                    Sql::new("SELECT 1 FROM suppressions WHERE phone_index = $1")
                        .bind(keys.index.as_bytes()),
                )
                .await?;
            let was_suppressed = was_suppressed.is_some();
            opt_out_in(tx, &keys.index, at).await?;
            cancel_queued_in(tx, keys.consent_tag.as_slice(), at).await?;
            forget_pending(tx, &keys.consent_tag).await?;
            tx.execute(
                Sql::new("DELETE FROM ussd_sessions WHERE resume_tag = $1")
                    .bind(keys.resume_tag.as_slice()),
            )
            .await?;
            if let SmsChange::Erase(_) = change {
                let person: Option<i64> = tx
                    .fetch_optional_value(
                        Sql::new("SELECT id FROM people WHERE phone_index = $1")
                            .bind(keys.index.as_bytes()),
                    )
                    .await?;
                let had_number = match person {
                    Some(id) => erase_in(tx, id, at).await?,
                    None => false,
                };
                Changed::Erased {
                    had_number,
                    was_suppressed,
                }
            } else {
                Changed::OptedOut { was_suppressed }
            }
        }
        SmsChange::Language {
            index,
            language,
            script,
        } => {
            let changed = tx
                .execute(
                    Sql::new(
                        "UPDATE people SET language = $2, script = $3 \
                         WHERE phone_index = $1 AND status = 'active'",
                    )
                    .bind(index.as_bytes())
                    .bind(language.tag())
                    .bind(script.tag()),
                )
                .await?;
            Changed::LanguageSet {
                member: changed == 1,
            }
        }
        SmsChange::Medium { index, voice } => {
            let changed = tx
                .execute(
                    Sql::new(
                        "UPDATE people SET medium = $2 WHERE phone_index = $1 AND status = 'active'",
                    )
                    .bind(index.as_bytes())
                    .bind(if *voice { "voice" } else { "sms" }),
                )
                .await?;
            Changed::MediumSet {
                member: changed == 1,
            }
        }
        SmsChange::ScamChecked(checked) => {
            tx.execute(
                Sql::new(
                    "INSERT INTO scam_checks (day, category, area_id, checks) VALUES ($1, $2, $3, 1) \
                     ON CONFLICT (day, category, area_id) DO UPDATE SET checks = scam_checks.checks + 1",
                )
                .bind(checked.day.format("%Y-%m-%d").to_string())
                .bind(checked.category)
                .bind(checked.area_id.unwrap_or(0)),
            )
            .await?;
            Changed::Nothing
        }
        SmsChange::FraudReport(report) => Changed::Reported {
            counted: super::reports::report_in(tx, report, now).await?,
        },
    };
    for message in replies(&changed) {
        insert_outbound(tx, &message, at).await?;
    }
    Ok(Applied::Done(changed))
}

async fn forget_pending(tx: &mut WriteTx<'_>, consent_tag: &[u8; 32]) -> Result<(), sqlx::Error> {
    tx.execute(
        Sql::new("DELETE FROM sms_pending_consents WHERE tag = $1").bind(consent_tag.as_slice()),
    )
    .await?;
    Ok(())
}
