//! `/tips`: the tip library. Every text is checked when saved (parts, GSM-7 for Latin texts,
//! allowed links and call-back numbers) and answered with what it costs.

use std::sync::Arc;

use axum::extract::State;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{ActionProblems, Invalid, ReadProblems, WriteProblems};
use super::extract::{Admin, Json, PathId};
use super::{audit, now};
use crate::access::Principal;
use crate::encoding::{Encoding, TextCost};
use crate::http::ApiError;
use crate::http::AppState;
use crate::tips::StoredTip;
use crate::tips::{Category, Entries, NewTip as DomainNewTip, TipText};

/// One text of a tip with what it costs as an SMS.
#[derive(Serialize, ToSchema)]
pub struct Text {
    #[schema(value_type = TextKeyName)]
    pub key: String,
    pub text: String,
    /// The DLT content template id; null until registered.
    pub template_id: Option<String>,
    #[schema(value_type = TextEncoding)]
    pub encoding: String,
    /// GSM-7 septets or UTF-16 units.
    pub units: usize,
    pub parts: usize,
}

pub(super) fn cost_fields(cost: TextCost) -> (String, usize, usize) {
    let encoding = match cost.encoding {
        Encoding::Gsm7 => "gsm7",
        Encoding::Ucs2 => "ucs2",
    };
    (encoding.into(), cost.units, cost.parts)
}

impl From<&TipText> for Text {
    fn from(text: &TipText) -> Self {
        let (encoding, units, parts) = cost_fields(text.cost);
        Self {
            key: text.key.tag().into(),
            text: text.body.clone(),
            template_id: text.template_id.clone(),
            encoding,
            units,
            parts,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Tip {
    pub id: i64,
    /// The library file's id (`tip-01`), for tips that came from one.
    pub slug: Option<String>,
    pub category: String,
    pub order: i64,
    pub active: bool,
    pub texts: Vec<Text>,
}

impl From<StoredTip> for Tip {
    fn from(tip: StoredTip) -> Self {
        Self {
            texts: tip.texts.iter().map(Text::from).collect(),
            id: tip.id,
            slug: tip.slug,
            category: tip.category,
            order: tip.order,
            active: tip.active,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"category": "otp_pin_sharing", "texts": {"hi": "बैंक कभी OTP नहीं मांगता। ठगी हो तो 1930 पर कॉल करें।", "en": "A bank never asks for your OTP. Fraud? Call 1930."}, "order": 10}))]
#[serde(deny_unknown_fields)]
pub struct NewTip {
    /// Lower-case letters, digits and `_`, e.g. `otp_pin_sharing`, with fewer than seven
    /// digits (a phone number would be shown to everyone).
    #[schema(pattern = r"^\s*[a-z0-9_]{1,64}\s*$", example = "otp_pin_sharing")]
    pub category: String,
    /// Text per language and script: keys `hi`, `hne`, `en`, `hi-Latn`, `hne-Latn` (in any
    /// case), each once. Each text is checked against the content policy (no phone numbers
    /// or links, within the SMS parts allowed).
    #[schema(value_type = BTreeMap<TextTag, String>)]
    pub texts: Entries<String>,
    /// DLT template id per text key, once registered.
    #[serde(default)]
    #[schema(value_type = BTreeMap<TextTag, String>)]
    pub template_ids: Entries<String>,
    /// Place in a drip (lower first); default 0.
    #[serde(default)]
    #[schema(minimum = -100_000, maximum = 100_000)]
    pub order: i64,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Largest place in a drip, either way: a library has tens of tips (and a phone number typed
/// here would be stored and shown).
const MAX_ORDER: i64 = 100_000;

fn check_order(invalid: &mut Invalid, order: Option<i64>) {
    if order.is_some_and(|order| !(-MAX_ORDER..=MAX_ORDER).contains(&order)) {
        invalid.add("order", format!("must be from -{MAX_ORDER} to {MAX_ORDER}"));
    }
}

/// Checks texts keyed by tag (and their template ids), recording problems under `texts.<key>`
/// and `template_ids.<key>` as the keys were given: a key that is not a text key, or one given
/// twice (`en` and `EN` are one key), is refused by name rather than one text silently winning.
pub(super) fn checked_texts(
    state: &AppState,
    texts: &Entries<String>,
    template_ids: &Entries<String>,
    invalid: &mut Invalid,
) -> Vec<TipText> {
    let policy = state.settings.campaign.content_policy();
    if texts.is_empty() && template_ids.is_empty() {
        invalid.add("texts", "at least one text is needed");
    }
    let texts = texts.clone().by_key();
    for (tag, problem) in &texts.refused {
        invalid.add(&format!("texts.{tag}"), problem);
    }
    let templates = template_ids.clone().by_key();
    for (tag, problem) in &templates.refused {
        invalid.add(&format!("template_ids.{tag}"), problem);
    }
    for (key, tag, _) in &templates.good {
        if texts.get(*key).is_none() {
            invalid.add(&format!("template_ids.{tag}"), "no text with this key");
        }
    }
    let mut checked = Vec::new();
    for (key, tag, text) in &texts.good {
        let template = templates.get(*key).map(String::as_str);
        match TipText::check(&policy, *key, text, template) {
            Ok(text) => checked.push(text),
            Err(problems) => {
                for problem in problems {
                    invalid.add(&format!("texts.{tag}"), problem);
                }
            }
        }
    }
    checked
}

/// The library in drip order.
#[utoipa::path(operation_id = "list_tips", get, path = "/tips", tag = "tips", security(("bearer" = ["admin", "officer"])),
    responses((status = 200, body = Vec<Tip>), ReadProblems))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    _who: Principal,
) -> Result<axum::Json<Vec<Tip>>, ApiError> {
    let tips = state.store.tips().await?;
    Ok(axum::Json(tips.into_iter().map(Tip::from).collect()))
}

/// One tip with its texts and what each costs as an SMS.
#[utoipa::path(operation_id = "show_tip", get, path = "/tips/{id}", tag = "tips", security(("bearer" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "The tip", minimum = 1)),
    responses((status = 200, body = Tip), ActionProblems))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    _who: Principal,
    PathId(id): PathId,
) -> Result<axum::Json<Tip>, ApiError> {
    let tip = state.store.tip(id).await?.ok_or(ApiError::NotFound)?;
    Ok(axum::Json(tip.into()))
}

/// Adds a tip; each text is answered with its encoding and SMS parts, or refused with the reason.
#[utoipa::path(operation_id = "create_tip", post, path = "/tips", tag = "tips", security(("bearer" = ["admin"])),
    request_body = NewTip,
    responses((status = 201, body = Tip, headers(("Location" = String, description = "The new tip's address"))), WriteProblems))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
    Json(new): Json<NewTip>,
) -> Result<impl IntoResponse, ApiError> {
    let saved = create_tip(&state, &who, &new).await?;
    Ok(super::created(
        format!("/tips/{}", saved.id),
        Tip::from(saved),
    ))
}

/// Checks and saves a new tip, audited, and refreshes "today's tip": the core of
/// `POST /tips`, shared with the dashboard.
pub(crate) async fn create_tip(
    state: &AppState,
    who: &Principal,
    new: &NewTip,
) -> Result<StoredTip, ApiError> {
    let mut invalid = Invalid::default();
    let category = invalid.check("category", Category::parse(&new.category));
    check_order(&mut invalid, Some(new.order));
    let texts = checked_texts(state, &new.texts, &new.template_ids, &mut invalid);
    invalid.finish()?;
    let tip = DomainNewTip {
        slug: None,
        category: category.expect("checked"),
        order: new.order,
        active: new.active,
        texts,
    };
    let id = state.store.save_tip(&tip, now(state)).await?;
    audit(state, who, "tip.create", &format!("tip:{id}"), None).await?;
    let read = state.tips.begin_read();
    state.tips.replace(read, state.store.tips().await?);
    state.store.tip(id).await?.ok_or(ApiError::NotFound)
}

/// Fields to change; absent ones stay. Texts given replace the tip's texts of their key, the
/// others stay.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"template_ids": {"en": "1107160000000012345"}}))]
#[serde(deny_unknown_fields)]
pub struct TipChanges {
    #[schema(pattern = r"^\s*[a-z0-9_]{1,64}\s*$", example = "otp_pin_sharing")]
    pub category: Option<String>,
    #[schema(minimum = -100_000, maximum = 100_000)]
    pub order: Option<i64>,
    /// `false` takes the tip out of drips and "today's tip"; broadcasts already planned keep it.
    pub active: Option<bool>,
    #[serde(default)]
    #[schema(value_type = BTreeMap<TextTag, String>)]
    pub texts: Entries<String>,
    #[serde(default)]
    #[schema(value_type = BTreeMap<TextTag, String>)]
    pub template_ids: Entries<String>,
}

/// Changes a tip: its category, order, active flag or texts (checked as when added).
#[utoipa::path(operation_id = "update_tip", patch, path = "/tips/{id}", tag = "tips", security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The tip", minimum = 1)),
    request_body = TipChanges,
    responses((status = 200, body = Tip), WriteProblems))]
pub async fn update(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
    PathId(id): PathId,
    Json(changes): Json<TipChanges>,
) -> Result<axum::Json<Tip>, ApiError> {
    let saved = update_tip(&state, &who, id, &changes).await?;
    Ok(axum::Json(saved.into()))
}

/// Checks and applies changes to a tip, audited, and refreshes "today's tip": the core of
/// `PATCH /tips/{id}`, shared with the dashboard.
pub(crate) async fn update_tip(
    state: &AppState,
    who: &Principal,
    id: i64,
    changes: &TipChanges,
) -> Result<StoredTip, ApiError> {
    let mut invalid = Invalid::default();
    let category = match &changes.category {
        Some(category) => invalid.check("category", Category::parse(category)),
        None => None,
    };
    check_order(&mut invalid, changes.order);
    let texts = if changes.texts.is_empty() && changes.template_ids.is_empty() {
        Vec::new()
    } else {
        // A template id given alone applies to the tip's stored text of its key.
        let stored = state.store.tip(id).await?.ok_or(ApiError::NotFound)?;
        let mut texts = changes.texts.clone();
        let given = changes.texts.clone().by_key();
        for (key, _, _) in changes.template_ids.clone().by_key().good {
            let stored_text = stored.texts.iter().find(|text| text.key == key);
            if let (None, Some(text)) = (given.get(key), stored_text) {
                texts.0.push((key.to_string(), text.body.clone()));
            }
        }
        checked_texts(state, &texts, &changes.template_ids, &mut invalid)
    };
    invalid.finish()?;
    let stored = crate::store::TipChanges {
        category: category.as_ref().map(Category::as_str),
        order: changes.order,
        active: changes.active,
        texts: &texts,
    };
    if !state.store.update_tip(id, &stored, now(state)).await? {
        return Err(ApiError::NotFound);
    }
    audit(state, who, "tip.update", &format!("tip:{id}"), None).await?;
    let read = state.tips.begin_read();
    state.tips.replace(read, state.store.tips().await?);
    state.store.tip(id).await?.ok_or(ApiError::NotFound)
}

/// A text's language and script: Hindi, Chhattisgarhi and English, and Hindi and Chhattisgarhi
/// in Roman letters.
#[derive(ToSchema)]
#[allow(dead_code)]
enum TextKeyName {
    #[schema(rename = "hi")]
    Hi,
    #[schema(rename = "hne")]
    Hne,
    #[schema(rename = "en")]
    En,
    #[schema(rename = "hi-Latn")]
    HiLatn,
    #[schema(rename = "hne-Latn")]
    HneLatn,
}

/// How a text travels: GSM-7 (160 characters a part) or UCS-2 (70).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum TextEncoding {
    Gsm7,
    Ucs2,
}

/// A text key as a request may write it: `hi`, `hne`, `en`, `hi-Latn` or `hne-Latn`, in any case.
#[derive(ToSchema)]
#[schema(
    pattern = "^([hH][iI]|[hH][nN][eE]|[eE][nN]|[hH][iI]-[lL][aA][tT][nN]|[hH][nN][eE]-[lL][aA][tT][nN])$"
)]
#[allow(dead_code)]
pub(super) struct TextTag(String);
