//! SMS and missed calls: a villager joins, stops or asks for help by SMS keyword or missed call,
//! and officers ask for their figures and invite villagers. [`decide`] is pure (what a message
//! means for this sender); this module is the edge that reads the store, performs the action in
//! one transaction with its replies, and leaves the sending to the outbox.

pub mod decide;
pub mod limits;
pub mod texts;

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};

use crate::clock::Clock;
use crate::commands::{self, Command};
use crate::config::Settings;
use crate::enrollment::{
    Consent, JoinOutcome, JoinRequest, Language, OptInCode, PersonStatus, Script,
};
use crate::i18n::Catalog;
use crate::outbox::{CallPlays, Composer, NewOutbound, OutboundKind};
use crate::privacy::{BlindIndex, Msisdn, Vault};
use crate::providers::{InboundSms, MissedCall};
use crate::store::Store;
use crate::store::{
    Applied, Changed, NewFraudReport, NumberKeys, PendingConsent, PersonRecord, Receipt,
    ReceiptKind, RecruiterCard, ScamChecked, SmsChange,
};
use crate::tips::audio::{tip_of_the_day, LiveAudio, Prompt};
use crate::tips::LiveTips;
use crate::turns::Turns;
use decide::{decide, guess_language, Action, Sender};
use texts::{notice_version, render, Say};
use tokio::sync::Notify;

pub use limits::Limits;

/// What became of an inbound message or call. Every case is acknowledged to the aggregator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Done,
    /// A retry of a webhook already acted on: nothing happened twice.
    Duplicate,
    /// Not from a mobile number (a short code, an alphanumeric sender): no answer, so two
    /// robots cannot talk forever.
    Ignored,
    /// Over an abuse limit: acknowledged, not processed.
    Limited,
    /// No text (an empty SMS, or media only): acknowledged, not answered.
    Empty,
}

impl Handled {
    fn label(self) -> &'static str {
        match self {
            Handled::Done => "done",
            Handled::Duplicate => "duplicate",
            Handled::Ignored => "ignored",
            Handled::Limited => "limited",
            Handled::Empty => "empty",
        }
    }
}

/// What an inbound SMS or missed call needs: the store, the keys, the texts and today's tip, the
/// clock, the turns copies of one webhook take, the abuse limits, the dispatcher's wake-up, and
/// the settings it reads.
pub struct Context<'a> {
    pub store: &'a Store,
    pub vault: &'a Vault,
    /// The words of replies.
    pub texts: &'a Catalog,
    pub tips: &'a LiveTips,
    /// The tips' recordings, for members who get tips by call.
    pub audio: &'a LiveAudio,
    pub clock: &'a dyn Clock,
    pub turns: &'a Turns,
    pub limits: &'a Limits,
    /// The scam check's rules.
    pub scams: &'a crate::scams::Matcher,
    /// Wakes an idle dispatcher once replies are queued.
    pub outbox_wake: &'a Notify,
    pub settings: &'a Settings,
}

impl Context<'_> {
    fn composer(&self) -> Composer<'_> {
        Composer::new(self.vault, self.settings.outbound.reply_ttl_secs)
    }
}

/// Everything known about one sender while their message is handled.
struct Message<'a> {
    edge: &'a Context<'a>,
    channel: &'a str,
    receipt: Option<Receipt<'a>>,
    phone: Msisdn,
    index: BlindIndex,
    tag: [u8; 32],
    person: Option<PersonRecord>,
    pending: Option<PendingConsent>,
    recruiter: Option<RecruiterCard>,
    /// The language and script replies are written in.
    language: Language,
    script: Script,
    now: DateTime<Utc>,
}

/// An inbound SMS.
#[tracing::instrument(skip_all, fields(channel))]
pub async fn receive_sms(
    edge: &Context<'_>,
    channel: &str,
    sms: &InboundSms,
) -> anyhow::Result<Handled> {
    let receipt = sms.message_id.as_deref().map(|id| Receipt {
        channel,
        kind: ReceiptKind::Sms,
        message_id: id,
    });
    let command = commands::parse(&sms.text);
    // A consent or a stop is the person's word: never refused by a limit.
    let vital = matches!(command, Command::Yes | Command::Stop | Command::Delete);
    let handled = if sms.text.trim().is_empty() {
        Handled::Empty
    } else {
        let _turn = edge.turns.take_if(receipt).await;
        match context(edge, channel, &sms.from, receipt, &sms.text, vital).await? {
            Err(handled) => handled,
            Ok(ctx) => {
                let action = match decide(command, &ctx.sender()) {
                    // A forward: the whole message is checked (never kept).
                    Action::ScamCheck(None) => Action::ScamCheck(Some(
                        sms.text
                            .trim()
                            .chars()
                            .take(commands::MAX_FORWARD)
                            .collect(),
                    )),
                    action => action,
                };
                perform(&ctx, action).await?
            }
        }
    };
    metrics::counter!("sms_inbound_total", "channel" => channel.to_string(), "outcome" => handled.label())
        .increment(1);
    Ok(handled)
}

/// A missed call: to the opt-out number it stops; to any other number of the channel it sends
/// the notice and waits for YES (a missed call alone is not consent).
#[tracing::instrument(skip_all, fields(channel))]
pub async fn receive_call(
    edge: &Context<'_>,
    channel: &str,
    call: &MissedCall,
) -> anyhow::Result<Handled> {
    let receipt = call.call_id.as_deref().map(|id| Receipt {
        channel,
        kind: ReceiptKind::Call,
        message_id: id,
    });
    let opt_out_number = edge
        .settings
        .channels
        .get(channel)
        .and_then(|c| c.optout_number.as_deref());
    let stop = match (opt_out_number, call.to.as_deref()) {
        (Some(number), Some(to)) => same_number(number, to),
        _ => false,
    };
    let _turn = edge.turns.take_if(receipt).await;
    let handled = match context(edge, channel, &call.from, receipt, "", stop).await? {
        Err(handled) => handled,
        Ok(ctx) => {
            let to_voice_number = edge
                .settings
                .channels
                .get(channel)
                .and_then(|c| c.voice_number.as_deref())
                .zip(call.to.as_deref())
                .is_some_and(|(number, to)| same_number(number, to));
            match (stop, &ctx.person, call_back(&ctx, to_voice_number)) {
                (true, _, _) => perform(&ctx, Action::Stop).await?,
                (false, _, Some(call)) => ctx.answer(vec![call]).await?,
                (false, Some(person), None) if person.status == PersonStatus::Active => {
                    let code = person.own_code.clone().unwrap_or_default();
                    perform(&ctx, Action::Reply(Say::AlreadyMember { code })).await?
                }
                (false, _, None) => perform(&ctx, Action::AskConsent(None)).await?,
            }
        }
    };
    metrics::counter!("missed_calls_total", "channel" => channel.to_string(), "outcome" => handled.label())
        .increment(1);
    Ok(handled)
}

/// The call a missed call asks for, when calls can be placed and have something to play: a
/// member who chose voice, or who called the voice number, hears today's tip; anyone else who
/// called the voice number hears the consent notice and may press 1. `None`: answer as for SMS.
fn call_back(ctx: &Message<'_>, to_voice_number: bool) -> Option<NewOutbound> {
    let edge = ctx.edge;
    let voice = edge.settings.voice.channel.as_deref()?;
    let audio = edge.audio.current();
    let member = ctx
        .person
        .as_ref()
        .filter(|p| p.status == PersonStatus::Active);
    let plays = match member {
        Some(person) if person.voice || to_voice_number => {
            let day = edge.settings.campaign.local_day(ctx.now);
            let tip = tip_of_the_day(&edge.tips.current(), &audio, day, person.language);
            if tip.is_none() {
                metrics::counter!("voice_calls_skipped_total", "reason" => "no_recording")
                    .increment(1);
            }
            CallPlays {
                tip: Some(tip?),
                language: person.language,
            }
        }
        None if to_voice_number => {
            let language = edge.settings.voice.consent_language;
            audio.prompt(Prompt::Consent, language)?;
            CallPlays {
                tip: None,
                language,
            }
        }
        _ => return None,
    };
    let person_id = member.map(|p| p.id);
    Some(
        edge.composer()
            .call_back(&ctx.phone, voice, plays, person_id, ctx.now),
    )
}

/// Whether two ways of writing a number end in the same ten digits.
fn same_number(a: &str, b: &str) -> bool {
    let tail = |s: &str| {
        let digits: Vec<char> = s.chars().filter(char::is_ascii_digit).collect();
        digits[digits.len().saturating_sub(10)..].to_vec()
    };
    let (a, b) = (tail(a), tail(b));
    !a.is_empty() && a == b
}

/// Reads what the store knows about the sender, unless the message is to be dropped: it is not
/// from a mobile number, it is a copy of one already acted on (recognised before any limit
/// counts it), or it is over the sender's limit (unless it is `vital`: a consent or a stop).
async fn context<'a>(
    edge: &'a Context<'a>,
    channel: &'a str,
    from: &str,
    receipt: Option<Receipt<'a>>,
    text: &str,
    vital: bool,
) -> anyhow::Result<Result<Message<'a>, Handled>> {
    let Ok(phone) = Msisdn::parse(from, edge.settings.phone.default_region.0) else {
        return Ok(Err(Handled::Ignored));
    };
    let store = &edge.store;
    if let Some(receipt) = &receipt {
        if store
            .seen_receipt(receipt)
            .await
            .context("looking up the webhook's receipt")?
        {
            return Ok(Err(Handled::Duplicate));
        }
    }
    store
        .rekey_on_contact(edge.vault, &phone)
        .await
        .context("moving the sender to the current key")?;
    let tag = edge.vault.consent_tag(&phone);
    if !edge.limits.inbound(&tag) && !vital {
        return Ok(Err(Handled::Limited));
    }
    let now = edge.clock.now();
    let index = edge.vault.blind_index(&phone);
    let person = store
        .person_by_index(&index)
        .await
        .context("looking up the sender")?;
    let pending = store
        .pending_consent(&tag, now)
        .await
        .context("looking up a pending consent")?;
    let recruiter = store
        .recruiter_by_phone(&index)
        .await
        .context("looking up a recruiter")?;
    let (language, script) = match (&person, &pending) {
        (Some(person), _) => (person.language, person.script),
        (None, Some(pending)) => (pending.language, pending.script),
        (None, None) => guess_language(text),
    };
    Ok(Ok(Message {
        edge,
        channel,
        receipt,
        phone,
        index,
        tag,
        person,
        pending,
        recruiter,
        language,
        script,
        now,
    }))
}

impl Message<'_> {
    fn sender(&self) -> Sender {
        let member = self
            .person
            .as_ref()
            .filter(|p| p.status == PersonStatus::Active)
            .map(|p| p.own_code.clone().unwrap_or_default());
        Sender {
            member,
            pending: self.pending.is_some(),
            recruiter: self.recruiter.is_some(),
        }
    }

    fn words(&self, say: &Say) -> String {
        render(self.edge.texts, say, self.language, self.script)
    }

    /// A message to the sender through the channel their message came in on.
    fn reply(&self, kind: OutboundKind, text: &str, person_id: Option<i64>) -> NewOutbound {
        self.edge
            .composer()
            .compose(&self.phone, self.channel, kind, text, person_id, self.now)
    }

    fn person_id(&self) -> Option<i64> {
        self.person.as_ref().map(|p| p.id)
    }

    fn keys(&self) -> NumberKeys {
        NumberKeys {
            index: self.index.clone(),
            consent_tag: self.tag,
            resume_tag: self.edge.vault.resume_tag(&self.phone),
        }
    }

    fn pending_until(&self) -> DateTime<Utc> {
        self.now + Duration::hours(i64::from(self.edge.settings.sms.pending_consent_hours))
    }

    /// Runs the change with its replies in one transaction.
    async fn apply(
        &self,
        change: &SmsChange<'_>,
        replies: &(dyn Fn(&Changed) -> Vec<NewOutbound> + Sync),
    ) -> anyhow::Result<Handled> {
        let applied = self
            .edge
            .store
            .apply_sms(self.receipt, change, replies, self.now)
            .await
            .context("acting on an SMS")?;
        self.edge.outbox_wake.notify_one();
        Ok(match applied {
            Applied::Duplicate => Handled::Duplicate,
            Applied::Done(_) => Handled::Done,
        })
    }

    /// Only answers.
    async fn answer(&self, messages: Vec<NewOutbound>) -> anyhow::Result<Handled> {
        self.apply(&SmsChange::Nothing, &|_| messages.clone()).await
    }
}

async fn perform(ctx: &Message<'_>, action: Action) -> anyhow::Result<Handled> {
    let reply = |say: &Say| ctx.reply(OutboundKind::Reply, &ctx.words(say), ctx.person_id());
    match action {
        Action::Reply(Say::Tip(_)) => {
            let tips = ctx.edge.tips.current();
            let day = ctx.edge.settings.campaign.local_day(ctx.now);
            let tip = tips.text(tips.index_for(day), ctx.language, ctx.script);
            ctx.answer(vec![reply(&Say::Tip(tip.to_string()))]).await
        }
        Action::Reply(say) => ctx.answer(vec![reply(&say)]).await,
        Action::Unknown => {
            let messages = if ctx.edge.limits.auto_reply(&ctx.tag) {
                vec![reply(&Say::ShortHelp)]
            } else {
                metrics::counter!("sms_auto_replies_withheld_total").increment(1);
                Vec::new()
            };
            ctx.answer(messages).await
        }
        Action::AskConsent(code) => ask_consent(ctx, code).await,
        Action::Consent => consent(ctx).await,
        Action::Stop => {
            let keys = ctx.keys();
            let confirm = reply_to(ctx, OutboundKind::Confirmation, &Say::Stopped);
            ctx.apply(&SmsChange::OptOut(&keys), &|changed| match changed {
                Changed::OptedOut {
                    was_suppressed: false,
                } => vec![confirm.clone()],
                _ => Vec::new(),
            })
            .await
        }
        Action::Delete => {
            let keys = ctx.keys();
            let confirm = reply_to(ctx, OutboundKind::Confirmation, &Say::Erased);
            ctx.apply(&SmsChange::Erase(&keys), &|changed| match changed {
                Changed::Erased {
                    had_number,
                    was_suppressed,
                } if *had_number || !was_suppressed => vec![confirm.clone()],
                _ => Vec::new(),
            })
            .await
        }
        Action::Language(language, script) => {
            let words = |say: &Say| render(ctx.edge.texts, say, language, script);
            if ctx.sender().member.is_some() {
                let done = ctx.reply(
                    OutboundKind::Reply,
                    &words(&Say::LanguageSet),
                    ctx.person_id(),
                );
                let change = SmsChange::Language {
                    index: &ctx.index,
                    language,
                    script,
                };
                return ctx.apply(&change, &|_| vec![done.clone()]).await;
            }
            // Someone waiting to say YES: the notice again, in the language they asked for.
            let pending = PendingConsent {
                language,
                script,
                notice_version: notice_version(ctx.edge.texts, language, script),
                ..ctx.pending.clone().context("a pending consent")?
            };
            let notice = ctx.reply(OutboundKind::Reply, &words(&Say::Notice), None);
            ctx.apply(&SmsChange::Pending(&pending), &|_| vec![notice.clone()])
                .await
        }
        Action::Status => {
            let card = ctx.recruiter.as_ref().context("a recruiter")?;
            ctx.answer(vec![reply(&Say::Status {
                count: card.recruits,
                quota: card.quota,
                code: card.code.clone().unwrap_or_default(),
            })])
            .await
        }
        Action::Code => {
            let card = ctx.recruiter.as_ref().context("a recruiter")?;
            ctx.answer(vec![reply(&Say::Code {
                code: card.code.clone().unwrap_or_default(),
            })])
            .await
        }
        Action::Invite(number) => invite(ctx, &number).await,
        Action::ScamCheck(text) => scam_check(ctx, text.as_deref().unwrap_or_default()).await,
        Action::Report(text) => report(ctx, &text).await,
        Action::Medium(voice) => {
            let settings = ctx.edge.settings;
            let number = settings
                .voice
                .channel
                .as_ref()
                .and_then(|name| settings.channels.get(name))
                .and_then(|channel| channel.voice_number.clone());
            let say = match (voice, number) {
                (false, _) => Say::VoiceOff,
                (true, Some(number)) => Say::VoiceOn { number },
                (true, None) => return ctx.answer(vec![reply(&Say::VoiceUnavailable)]).await,
            };
            let done = reply(&say);
            let change = SmsChange::Medium {
                index: &ctx.index,
                voice,
            };
            ctx.apply(&change, &|_| vec![done.clone()]).await
        }
    }
}

fn reply_to(ctx: &Message<'_>, kind: OutboundKind, say: &Say) -> NewOutbound {
    ctx.reply(kind, &ctx.words(say), ctx.person_id())
}

/// JOIN, START or a missed call: remember the wish for a while and send the notice.
async fn ask_consent(ctx: &Message<'_>, code: Option<OptInCode>) -> anyhow::Result<Handled> {
    let mut messages = Vec::new();
    let code = match code {
        Some(code) => match ctx
            .edge
            .store
            .check_code(&code, &ctx.index, ctx.now)
            .await?
        {
            Ok(()) => Some(code),
            Err(_) => {
                messages.push(reply_to(ctx, OutboundKind::Reply, &Say::CodeRefused));
                None
            }
        },
        None => None,
    };
    let pending = PendingConsent {
        tag: ctx.tag,
        language: ctx.language,
        script: ctx.script,
        code,
        invited_by: None,
        notice_version: notice_version(ctx.edge.texts, ctx.language, ctx.script),
        expires_at: ctx.pending_until(),
    };
    messages.push(reply_to(ctx, OutboundKind::Reply, &Say::Notice));
    ctx.apply(&SmsChange::Pending(&pending), &|_| messages.clone())
        .await
}

/// YES to a live notice: the person joins, credited to the code they came with.
async fn consent(ctx: &Message<'_>) -> anyhow::Result<Handled> {
    let edge = ctx.edge;
    let pending = ctx.pending.as_ref().context("a pending consent")?;
    let request = JoinRequest {
        phone: edge.vault.seal(&ctx.phone),
        consent: Consent {
            channel: "sms".to_string(),
            language: pending.language,
            script: pending.script,
            version: pending.notice_version.clone(),
            at: ctx.now,
        },
        code: pending.code.clone(),
        quota: i64::from(edge.settings.campaign.default_quota),
        code_length: edge.settings.campaign.code_length.0,
    };
    let change = SmsChange::Join {
        request: &request,
        consent_tag: &ctx.tag,
    };
    let handled = ctx
        .apply(&change, &|changed| {
            let (say, person) = match changed {
                Changed::Joined(JoinOutcome::Joined {
                    own_code,
                    person_id,
                    ..
                }) => (
                    Say::Joined {
                        code: own_code.to_string(),
                    },
                    Some(*person_id),
                ),
                Changed::Joined(JoinOutcome::Rejoined {
                    own_code,
                    person_id,
                }) => (
                    Say::Rejoined {
                        code: own_code.to_string(),
                    },
                    Some(*person_id),
                ),
                Changed::Joined(JoinOutcome::AlreadyMember {
                    own_code,
                    person_id,
                }) => (
                    Say::AlreadyMember {
                        code: own_code.to_string(),
                    },
                    Some(*person_id),
                ),
                _ => (Say::CodeRefused, None),
            };
            let text = render(edge.texts, &say, pending.language, pending.script);
            vec![ctx.reply(OutboundKind::Reply, &text, person)]
        })
        .await?;
    if handled == Handled::Done {
        metrics::counter!("joins_total", "channel" => "sms").increment(1);
    }
    Ok(handled)
}

/// The scam check: the reply is the tip of the fraud kind found (or the general advice), within
/// the number's auto-replies of the day; only the kind, the day and a member's area are counted.
/// The text itself is never stored or logged.
async fn scam_check(ctx: &Message<'_>, text: &str) -> anyhow::Result<Handled> {
    let edge = ctx.edge;
    let category = edge.scams.check(text).category;
    let kind = category.clone().unwrap_or_else(|| "none".to_string());
    metrics::counter!("scam_checks_total", "category" => kind.clone()).increment(1);
    let words = texts::scam_reply(
        edge.texts,
        &edge.tips.current(),
        category.as_deref(),
        ctx.language,
        ctx.script,
    );
    let messages = if edge.limits.auto_reply(&ctx.tag) {
        vec![ctx.reply(OutboundKind::Reply, &words, ctx.person_id())]
    } else {
        metrics::counter!("sms_auto_replies_withheld_total").increment(1);
        Vec::new()
    };
    let day = edge.settings.campaign.local_day(ctx.now);
    let area_id = ctx
        .person
        .as_ref()
        .filter(|person| person.status == PersonStatus::Active)
        .and_then(|person| person.area_id);
    let counted = ScamChecked {
        day,
        category: &kind,
        area_id,
    };
    ctx.apply(&SmsChange::ScamChecked(&counted), &|_| messages.clone())
        .await
}

/// REPORT: a fraud number, counted once per reporter within the report window. The reporter
/// hears the same thanks whether it counted or not (a second report, their own number); past
/// the day's cap of REPORTs the message is acknowledged and neither counted nor answered.
async fn report(ctx: &Message<'_>, text: &str) -> anyhow::Result<Handled> {
    let edge = ctx.edge;
    let settings = &edge.settings;
    // Every REPORT counts against the day's cap, answered or not, so that a flood of them
    // costs at most that many replies.
    if !edge.limits.report(&ctx.tag) {
        metrics::counter!("fraud_reports_total", "channel" => "sms", "outcome" => "limited")
            .increment(1);
        return Ok(Handled::Limited);
    }
    let words = crate::reports::read(text);
    let Ok(number) = Msisdn::parse(&words.number, settings.phone.default_region.0) else {
        metrics::counter!("fraud_reports_total", "channel" => "sms", "outcome" => "bad_number")
            .increment(1);
        let bad = reply_to(ctx, OutboundKind::Reply, &Say::ReportBadNumber);
        return ctx.answer(vec![bad]).await;
    };
    let thanks = reply_to(ctx, OutboundKind::Reply, &Say::Reported);
    if number == ctx.phone {
        return ctx.answer(vec![thanks]).await;
    }
    edge.store.rekey_on_contact(edge.vault, &number).await?;
    let report = NewFraudReport::of(
        edge.vault,
        &ctx.phone,
        &number,
        (words.medium, words.kind),
        settings.campaign.local_day(ctx.now),
        ctx.now + Duration::days(i64::from(settings.reports.window_days.0)),
    );
    let handled = ctx
        .apply(&SmsChange::FraudReport(&report), &|changed| {
            let counted = matches!(changed, Changed::Reported { counted: true });
            let outcome = if counted { "counted" } else { "again" };
            metrics::counter!("fraud_reports_total", "channel" => "sms", "outcome" => outcome)
                .increment(1);
            vec![thanks.clone()]
        })
        .await?;
    Ok(handled)
}

/// INVITE: the officer hears only "invited", whatever happens; the villager is asked for consent
/// unless they are a member, opted out, already invited or waiting to answer.
async fn invite(ctx: &Message<'_>, number: &str) -> anyhow::Result<Handled> {
    let edge = ctx.edge;
    let card = ctx.recruiter.as_ref().context("a recruiter")?;
    if !edge.limits.invite(card.id) {
        metrics::counter!("sms_invites_limited_total").increment(1);
        return Ok(Handled::Limited);
    }
    let Ok(invitee) = Msisdn::parse(number, edge.settings.phone.default_region.0) else {
        let bad = reply_to(ctx, OutboundKind::Reply, &Say::InviteBadNumber);
        return ctx.answer(vec![bad]).await;
    };
    let invited = reply_to(ctx, OutboundKind::Reply, &Say::Invited);
    edge.store.rekey_on_contact(edge.vault, &invitee).await?;
    let index = edge.vault.blind_index(&invitee);
    let tag = edge.vault.consent_tag(&invitee);
    let invitable = index != ctx.index
        && !edge.store.is_suppressed(&index).await?
        && edge.store.person_by_index(&index).await?.is_none()
        && edge.store.pending_consent(&tag, ctx.now).await?.is_none();
    if !invitable {
        return ctx.answer(vec![invited]).await;
    }
    let (language, script) = (ctx.language, ctx.script);
    let pending = PendingConsent {
        tag,
        language,
        script,
        code: card.code.as_deref().and_then(|c| OptInCode::parse(c).ok()),
        invited_by: Some(card.id),
        notice_version: notice_version(edge.texts, language, script),
        expires_at: ctx.pending_until(),
    };
    let text = render(edge.texts, &Say::Invitation, language, script);
    let invitation = edge.composer().compose(
        &invitee,
        &edge.settings.outbound.default_channel,
        OutboundKind::Invite,
        &text,
        None,
        ctx.now,
    );
    metrics::counter!("sms_invitations_total").increment(1);
    ctx.apply(&SmsChange::Pending(&pending), &|_| {
        vec![invited.clone(), invitation.clone()]
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::same_number;

    #[test]
    fn called_numbers_match_however_they_are_written() {
        assert!(same_number("+91 80 4719 2000", "08047192000"));
        assert!(same_number("918047192000", "8047192000"));
        assert!(!same_number("08047192000", "08047192001"));
        assert!(!same_number("", ""));
    }
}
