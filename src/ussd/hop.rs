//! The edge of the USSD menu: one hop in, one screen out, with the store in between.

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};

use super::machine::{self, Caller, Effect, MyData, Outcome, Place, Session, Step};
use super::texts::Texts;
use super::texts::{BAD_NUMBER, BUSY};
use super::{classify, input_marker, Delivery};
use crate::clock::Clock;
use crate::config::Settings;
use crate::enrollment::{Consent, JoinOutcome, JoinRequest, OptInCode, PersonStatus};
use crate::privacy::{BlindIndex, Msisdn, Vault};
use crate::providers::{HopInput, UssdHop, UssdReply, UssdSessionEnd};
use crate::store::Store;
use crate::store::{JoinError, NewFraudReport, NumberKeys, SmsChange, UssdSessionWrite};
use crate::tips::LiveTips;
use crate::turns::Turns;

/// What a hop needs: the store, the keys, the screens and today's tip, the clock, the turns
/// copies of one hop take, and the settings it reads (phone region, campaign, USSD timeouts).
pub struct Context<'a> {
    pub store: &'a Store,
    pub vault: &'a Vault,
    pub texts: &'a Texts,
    pub tips: &'a LiveTips,
    pub clock: &'a dyn Clock,
    pub turns: &'a Turns,
    /// The abuse limits SMS shares (a fraud report counts against the same daily cap).
    pub limits: &'a crate::sms::Limits,
    pub settings: &'a Settings,
}

/// Answers one hop. Never fails: a store error becomes a well-formed "service busy" screen.
#[tracing::instrument(skip_all, fields(channel))]
pub async fn serve_hop(ctx: &Context<'_>, channel: &str, hop: UssdHop) -> UssdReply {
    match serve(ctx, channel, hop).await {
        Ok(reply) => reply,
        Err(err) => {
            crate::store::log_failure("a USSD hop (answered busy)", &err);
            metrics::counter!("ussd_hops_failed_total").increment(1);
            UssdReply {
                end: true,
                text: BUSY.to_string(),
            }
        }
    }
}

/// The aggregator's end-of-session notice.
pub async fn end_session(
    ctx: &Context<'_>,
    channel: &str,
    end: &UssdSessionEnd,
) -> anyhow::Result<()> {
    ctx.store
        .end_ussd_session(channel, &end.session_id)
        .await
        .context("ending a USSD session")
}

/// The caller, as far as this hop needs them.
struct Dialler {
    phone: Msisdn,
    index: BlindIndex,
    /// Keys this caller's dropped joining sessions (never the blind index).
    resume_tag: [u8; 32],
}

async fn serve(ctx: &Context<'_>, channel: &str, hop: UssdHop) -> anyhow::Result<UssdReply> {
    let now = ctx.clock.now();
    let Ok(phone) = Msisdn::parse(&hop.phone, ctx.settings.phone.default_region.0) else {
        metrics::counter!("ussd_hops_total", "outcome" => "bad_number").increment(1);
        return Ok(end(BAD_NUMBER.to_string()));
    };
    ctx.store
        .rekey_on_contact(ctx.vault, &phone)
        .await
        .context("moving the caller to the current key")?;
    let dialler = Dialler {
        index: ctx.vault.blind_index(&phone),
        resume_tag: ctx.vault.resume_tag(&phone),
        phone,
    };
    // Copies of this hop wait for this one, then find what it stored and answer the same.
    let _turn = ctx.turns.take((channel, hop.session_id.as_str())).await;
    // A dial starts a session: there is nothing stored to load yet.
    let stored = if is_dial(&hop.input) {
        None
    } else {
        ctx.store
            .ussd_session(channel, &hop.session_id, now)
            .await
            .context("loading the USSD session")?
    };
    // Whatever comes after the end (a retry of the hop that ended it) gets the final screen.
    if let Some(ended) = stored.as_ref().filter(|s| s.ended) {
        metrics::counter!("ussd_hops_total", "outcome" => "replay").increment(1);
        return Ok(end(ended.last_reply.clone()));
    }
    let delivery = classify(
        &hop.input,
        stored.as_ref().and_then(|s| s.last_input.as_deref()),
    );
    if let (Delivery::Replay, Some(stored)) = (&delivery, &stored) {
        metrics::counter!("ussd_hops_total", "outcome" => "replay").increment(1);
        return Ok(UssdReply {
            end: false,
            text: stored.last_reply.clone(),
        });
    }
    let session = match &stored {
        Some(stored) => {
            serde_json::from_str(&stored.state).context("reading USSD session state")?
        }
        None => first_screen(ctx, channel, &hop.session_id, &dialler, now).await?,
    };
    let was_resume_offer = session.place == Place::Resume;
    // The first screen follows from what the store already holds, so a dial that goes no
    // further writes nothing (unless it offers to resume, which the next hop must remember).
    let write_nothing = delivery == Delivery::First && stored.is_none() && !was_resume_offer;
    let mut step = match delivery {
        Delivery::Input(input) => {
            let pages = ctx.texts.pages(&session).len();
            machine::step(session, &input, pages)
        }
        Delivery::First | Delivery::Replay => Step::Show(session),
    };
    while let Step::Perform(session, effect) = step {
        let outcome = perform(ctx, channel, &dialler, &session, effect, now).await?;
        step = machine::after(session, outcome);
    }
    let tag = &dialler.resume_tag;
    if was_resume_offer {
        ctx.store
            .forget_resumable_ussd_sessions(tag, channel, &hop.session_id)
            .await?;
    }
    metrics::counter!("ussd_hops_total", "outcome" => "served").increment(1);
    match step {
        Step::Show(session) => {
            let text = ctx.texts.screen(&session);
            if !write_nothing {
                save(ctx, channel, &hop, &session, &text, tag, now).await?;
            }
            Ok(UssdReply { end: false, text })
        }
        Step::End(ending, language, script) => {
            let text = ctx.texts.ending(&ending, language, script);
            // A session that ended on purpose also ends any dropped one it could resume.
            let dropped = !matches!(ending, machine::Ending::TooManyTries);
            // An ended session answers any later hop with its last screen, so the input that
            // ended it is not kept (it may be a reported number, typed in the clear).
            let ending = UssdSessionWrite {
                channel,
                session_id: &hop.session_id,
                state: "null",
                last_input: None,
                last_reply: &text,
                resume_tag: None,
                ended: true,
                expires_at: now + session_timeout(ctx),
                resume_until: None,
            };
            ctx.store
                .finish_ussd_session(&ending, dropped.then_some(tag.as_slice()))
                .await
                .context("ending the USSD session")?;
            Ok(end(text))
        }
        Step::Perform(..) => unreachable!("effects are performed above"),
    }
}

/// The session a dial starts with: members get their menu in their language; anyone who
/// dropped out while joining is offered to continue.
async fn first_screen(
    ctx: &Context<'_>,
    channel: &str,
    session_id: &str,
    dialler: &Dialler,
    now: DateTime<Utc>,
) -> anyhow::Result<Session> {
    let found = ctx
        .store
        .dial_lookup(
            &dialler.index,
            &dialler.resume_tag,
            channel,
            session_id,
            now,
        )
        .await
        .context("looking up the caller")?;
    let calls = ctx.settings.voice.channel.is_some();
    let (caller, known, voice) = match found.caller {
        Some(p) => {
            let code = p.own_code.unwrap_or_default();
            let active = p.status == PersonStatus::Active;
            let caller = if active {
                Caller::Member { code }
            } else {
                Caller::OptedOut { code }
            };
            let voice = (active && calls).then_some(p.voice);
            (caller, Some((p.language, p.script)), voice)
        }
        None => (Caller::New, None, None),
    };
    let resumable = match caller {
        Caller::Member { .. } => None,
        _ => found
            .resumable
            .and_then(|json| serde_json::from_str::<Session>(&json).ok())
            .filter(|saved| saved.place.is_joining()),
    };
    let tip = ctx
        .tips
        .current()
        .index_for(ctx.settings.campaign.local_day(now)) as u16;
    match machine::start(caller, known, tip, resumable, voice) {
        Step::Show(session) => Ok(session),
        other => anyhow::bail!("the menu cannot start with {other:?}"),
    }
}

async fn perform(
    ctx: &Context<'_>,
    channel: &str,
    dialler: &Dialler,
    session: &Session,
    effect: Effect,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let store = &ctx.store;
    Ok(match effect {
        Effect::CheckCode(code) => match store.check_code(&code, &dialler.index, now).await? {
            Ok(()) => Outcome::CodeAccepted(code),
            Err(refusal) => Outcome::CodeRefused(refusal),
        },
        Effect::Join => {
            let request = JoinRequest {
                phone: ctx.vault.seal(&dialler.phone),
                consent: Consent {
                    channel: format!("ussd:{channel}"),
                    language: session.language,
                    script: session.script,
                    version: ctx.texts.consent_version(session.language, session.script),
                    at: now,
                },
                code: session
                    .code
                    .as_deref()
                    .and_then(|c| OptInCode::parse(c).ok()),
                quota: i64::from(ctx.settings.campaign.default_quota),
                code_length: ctx.settings.campaign.code_length.0,
            };
            match store.join(&request).await {
                Ok(JoinOutcome::Joined { own_code, .. }) => {
                    metrics::counter!("joins_total", "channel" => "ussd").increment(1);
                    Outcome::Joined {
                        code: own_code.to_string(),
                    }
                }
                Ok(JoinOutcome::Rejoined { own_code, .. }) => Outcome::Rejoined {
                    code: own_code.to_string(),
                },
                Ok(JoinOutcome::AlreadyMember { own_code, .. }) => Outcome::AlreadyMember {
                    code: own_code.to_string(),
                },
                Err(JoinError::Code(refusal)) => Outcome::CodeRefused(refusal),
                Err(JoinError::Store(err)) => return Err(err).context("joining"),
            }
        }
        Effect::OptOut => {
            // As an SMS STOP: whatever is queued for the number, and any pending SMS consent, go
            // in the same transaction.
            let keys = NumberKeys {
                index: dialler.index.clone(),
                consent_tag: ctx.vault.consent_tag(&dialler.phone),
                resume_tag: dialler.resume_tag,
            };
            store.stop_everything(&keys, now).await?;
            Outcome::OptedOut
        }
        Effect::Erase => match store.person_by_index(&dialler.index).await? {
            Some(person) => {
                store.erase_person(person.id, now).await?;
                Outcome::Erased
            }
            None => Outcome::NotRegistered,
        },
        Effect::SetMedium(voice) => {
            let change = SmsChange::Medium {
                index: &dialler.index,
                voice,
            };
            store.apply_sms(None, &change, &|_| Vec::new(), now).await?;
            Outcome::MediumSet(voice)
        }
        Effect::SaveLanguage => {
            store
                .set_language(&dialler.index, session.language, session.script)
                .await?;
            Outcome::LanguageSaved
        }
        Effect::Report(typed) => report(ctx, dialler, session, &typed, now).await?,
        Effect::LoadMyData => match store.person_by_index(&dialler.index).await? {
            Some(person) => {
                let area = match person.area_id {
                    Some(id) => store.area_name(id).await?,
                    None => None,
                };
                let tz = ctx.settings.campaign.timezone.0;
                Outcome::MyData(MyData {
                    masked: dialler.phone.masked(),
                    language: person.language,
                    area,
                    joined: person
                        .consented_at
                        .with_timezone(&tz)
                        .format("%d-%m-%Y")
                        .to_string(),
                })
            }
            None => Outcome::NotRegistered,
        },
    })
}

async fn save(
    ctx: &Context<'_>,
    channel: &str,
    hop: &UssdHop,
    session: &Session,
    reply: &str,
    tag: &[u8; 32],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let ussd = &ctx.settings.ussd;
    let joining = session.place.is_joining() && !session.is_member();
    let json = serde_json::to_string(session).context("writing USSD session state")?;
    let marker = input_marker(&hop.input);
    ctx.store
        .save_ussd_session(&UssdSessionWrite {
            channel,
            session_id: &hop.session_id,
            state: &json,
            last_input: marker.as_deref(),
            last_reply: reply,
            resume_tag: joining.then_some(tag.as_slice()),
            ended: false,
            expires_at: now + session_timeout(ctx),
            resume_until: joining.then(|| now + Duration::seconds(ussd.resume_window_secs as i64)),
        })
        .await
        .context("saving the USSD session")
}

fn session_timeout(ctx: &Context<'_>) -> Duration {
    Duration::seconds(ctx.settings.ussd.session_timeout_secs as i64)
}

/// The first hop of a session: no input yet.
fn is_dial(input: &HopInput) -> bool {
    match input {
        HopInput::Path(path) => path.is_empty(),
        HopInput::Latest { input, seq } => input.is_empty() && *seq == Some(1),
    }
}

fn end(text: String) -> UssdReply {
    UssdReply { end: true, text }
}

/// A fraud number typed on the last report screen: counted once per caller per number in the
/// report window, in this hop (the number is never kept in the session). Every caller hears the
/// same thanks, counted or not (a second report, their own number, over the day's cap).
async fn report(
    ctx: &Context<'_>,
    dialler: &Dialler,
    session: &Session,
    typed: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let settings = ctx.settings;
    let Ok(number) = Msisdn::parse(typed, settings.phone.default_region.0) else {
        metrics::counter!("fraud_reports_total", "channel" => "ussd", "outcome" => "bad_number")
            .increment(1);
        return Ok(Outcome::ReportBadNumber);
    };
    let tag = ctx.vault.consent_tag(&dialler.phone);
    let outcome = if number == dialler.phone {
        "own"
    } else if !ctx.limits.report(&tag) {
        "limited"
    } else {
        ctx.store
            .rekey_on_contact(ctx.vault, &number)
            .await
            .context("moving the reported number to the current key")?;
        let report = NewFraudReport::of(
            ctx.vault,
            &dialler.phone,
            &number,
            session.report,
            settings.campaign.local_day(now),
            now + Duration::days(i64::from(settings.reports.window_days.0)),
        );
        let counted = ctx
            .store
            .report_fraud(&report, now)
            .await
            .context("recording a fraud report")?;
        if counted {
            "counted"
        } else {
            "again"
        }
    };
    metrics::counter!("fraud_reports_total", "channel" => "ussd", "outcome" => outcome)
        .increment(1);
    Ok(Outcome::Reported)
}
