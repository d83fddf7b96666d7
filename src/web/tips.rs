//! `/admin/tips`: the tip library and its editor, admins only. A text box per language and
//! script a tip can have, each with a counter (characters, GSM-7 or UCS-2, SMS parts, the
//! characters that force UCS-2 marked, and the content checks the API applies), made by the same
//! `ContentPolicy::check` that saving uses. htmx asks `POST /admin/tips/count` for a box's
//! counter as the admin types; without JavaScript the "Check" button re-renders the page with
//! every counter. Saving goes through the API's own `create_tip` / `update_tip`.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::page::{html, Chrome, ErrorPage};
use super::session::AdminViewer;
use crate::api::tips::{create_tip, update_tip, NewTip, TipChanges};
use crate::broadcasts::{ContentPolicy, Problem, TextKey};
use crate::encoding::{is_gsm7, normalize, sms_cost, Encoding};
use crate::http::{ApiError, AppState, FieldError};
use crate::tips::{Entries, StoredTip};

/// A form as posted: its fields in order, so that one given twice can be refused by name.
pub(super) struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The one value of `name` (`None` when absent); a field given twice is a problem.
    pub fn one(&self, name: &str, problems: &mut Vec<FieldError>) -> Option<String> {
        let mut found = self.0.iter().filter(|(k, _)| k == name);
        let first = found.next().map(|(_, v)| v.clone());
        if found.next().is_some() {
            problems.push(FieldError::new(name, "is given twice"));
        }
        first
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// The problems of a refused write, or `None` when it failed otherwise.
pub(super) fn field_problems(err: &ApiError) -> Option<Vec<FieldError>> {
    match err {
        ApiError::Validation(problems) => Some(problems.clone()),
        _ => None,
    }
}

/// The details of every problem under `field`.
pub(super) fn details(problems: &[FieldError], field: &str) -> Vec<String> {
    problems
        .iter()
        .filter(|p| p.field == field)
        .map(|p| p.detail.clone())
        .collect()
}

/// The words naming a text key (`admin-tips-key-hi-Latn`).
pub(super) fn key_label(chrome: &Chrome, key: TextKey) -> String {
    chrome.t(&format!("admin-tips-key-{}", key.tag()))
}

/// What a text costs and what stops it, as the counter beside its box shows it: the text as
/// typed (after NFC), and, where saving changes it (an English or Roman text has smart quotes,
/// dashes or `₹` replaced by GSM-7 look-alikes), what it will be sent as and cost then.
pub struct Counter {
    pub tag: &'static str,
    pub chars: usize,
    pub units: usize,
    pub ucs2: bool,
    pub parts: usize,
    /// The text as typed, in runs; `true` runs force UCS-2 (shown marked).
    pub preview: Vec<(String, bool)>,
    /// The text as it will be sent, when saving changes it.
    pub sent: Option<Sent>,
    /// The content checks that would refuse it (empty: it can be saved).
    pub checks: Vec<String>,
    pub empty: bool,
}

/// A text as saving makes it, and what it costs then.
pub struct Sent {
    pub text: String,
    pub ucs2: bool,
    pub parts: usize,
}

impl Counter {
    pub fn of(policy: &ContentPolicy, key: TextKey, text: &str) -> Self {
        let typed = normalize(text.trim());
        let cost = sms_cost(&typed);
        let ucs2 = cost.encoding == Encoding::Ucs2;
        let mut preview: Vec<(String, bool)> = Vec::new();
        for c in typed.chars() {
            let forces = ucs2 && !is_gsm7(c.encode_utf8(&mut [0; 4]));
            match preview.last_mut() {
                Some((run, marked)) if *marked == forces => run.push(c),
                _ => preview.push((c.to_string(), forces)),
            }
        }
        let checked = policy.check(key, text);
        Self {
            tag: key.tag(),
            chars: typed.chars().count(),
            units: cost.units,
            ucs2,
            parts: cost.parts,
            preview,
            sent: (checked.text != typed).then(|| Sent {
                ucs2: checked.cost.encoding == Encoding::Ucs2,
                parts: checked.cost.parts,
                text: checked.text.clone(),
            }),
            checks: checked
                .problems
                .iter()
                .filter(|p| **p != Problem::Empty)
                .map(ToString::to_string)
                .collect(),
            empty: typed.is_empty(),
        }
    }
}

/// One text box of the editor.
pub struct TextBox {
    pub tag: &'static str,
    pub label: String,
    pub text: String,
    pub template: String,
    pub count: Counter,
    /// Why saving refused it.
    pub problems: Vec<String>,
}

/// One row of the library.
pub struct Row {
    pub id: i64,
    pub key: String,
    pub category: String,
    pub order: i64,
    pub languages: Vec<String>,
    /// The languages it has a call recording in, a placeholder marked so.
    pub recordings: Vec<String>,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "admin/tips.html")]
struct List {
    chrome: Chrome,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "admin/tip_edit.html")]
struct Editor {
    chrome: Chrome,
    /// `None` for a new tip.
    id: Option<i64>,
    slug: Option<String>,
    category: String,
    order: String,
    active: bool,
    boxes: Vec<TextBox>,
    /// Problems of the whole form or of fields without a box of their own, with the field.
    problems: Vec<FieldError>,
    category_problems: Vec<String>,
    order_problems: Vec<String>,
    texts_problems: Vec<String>,
    /// The page answers "Check": counts shown, nothing saved.
    checked: bool,
}

impl Editor {
    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/admin/tips/{id}"),
            None => "/admin/tips".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/tip_count.html")]
struct CountFragment {
    chrome: Chrome,
    c: Counter,
}

/// `GET /admin/tips`: the library in drip order.
pub async fn list(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
) -> Response {
    let chrome = viewer.chrome(&state, "tips");
    let tips = match state.store.tips().await {
        Ok(tips) => tips,
        Err(err) => return ApiError::from(err).into_response(),
    };
    let audio = state.audio.current();
    let placeholder = chrome.t("admin-tips-placeholder");
    let rows = tips
        .into_iter()
        .map(|tip| Row {
            id: tip.id,
            recordings: crate::enrollment::Language::ALL
                .into_iter()
                .filter_map(|language| {
                    let file = audio.tip(&tip.name(), language)?;
                    let tag = language.tag();
                    Some(if file.placeholder {
                        format!("{tag} ({placeholder})")
                    } else {
                        tag.to_string()
                    })
                })
                .collect(),
            key: tip.slug.clone().unwrap_or_else(|| format!("#{}", tip.id)),
            category: tip.category,
            order: tip.order,
            languages: tip
                .texts
                .iter()
                .map(|t| key_label(&chrome, t.key))
                .collect(),
            active: tip.active,
        })
        .collect();
    html(StatusCode::OK, &List { chrome, rows })
}

/// The boxes for `texts` (by tag), checked with the campaign's policy.
fn boxes(
    state: &AppState,
    chrome: &Chrome,
    text: impl Fn(TextKey) -> (String, String),
) -> Vec<TextBox> {
    let policy = state.settings.campaign.content_policy();
    TextKey::ALL
        .into_iter()
        .map(|key| {
            let (body, template) = text(key);
            TextBox {
                tag: key.tag(),
                label: key_label(chrome, key),
                count: Counter::of(&policy, key, &body),
                text: body,
                template,
                problems: Vec::new(),
            }
        })
        .collect()
}

fn editor_of(state: &AppState, chrome: Chrome, tip: Option<&StoredTip>) -> Editor {
    let boxes = boxes(state, &chrome, |key| {
        tip.and_then(|tip| tip.texts.iter().find(|t| t.key == key))
            .map(|t| (t.body.clone(), t.template_id.clone().unwrap_or_default()))
            .unwrap_or_default()
    });
    Editor {
        chrome,
        id: tip.map(|t| t.id),
        slug: tip.and_then(|t| t.slug.clone()),
        category: tip.map(|t| t.category.clone()).unwrap_or_default(),
        order: tip.map_or(0, |t| t.order).to_string(),
        active: tip.is_none_or(|t| t.active),
        boxes,
        problems: Vec::new(),
        category_problems: Vec::new(),
        order_problems: Vec::new(),
        texts_problems: Vec::new(),
        checked: false,
    }
}

/// `GET /admin/tips/new`.
pub async fn new(State(state): State<Arc<AppState>>, AdminViewer(viewer): AdminViewer) -> Response {
    let chrome = viewer.chrome(&state, "tips");
    html(StatusCode::OK, &editor_of(&state, chrome, None))
}

/// The page for something that is not there (404).
pub(super) fn not_found(chrome: Chrome) -> Response {
    ErrorPage::answer(
        chrome,
        StatusCode::NOT_FOUND,
        "admin-not-found-title",
        "admin-not-found-detail",
    )
}

/// `GET /admin/tips/{id}`.
pub async fn edit(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<i64>,
) -> Response {
    let chrome = viewer.chrome(&state, "tips");
    match state.store.tip(id).await {
        Ok(Some(tip)) => html(StatusCode::OK, &editor_of(&state, chrome, Some(&tip))),
        Ok(None) => not_found(chrome),
        Err(err) => ApiError::from(err).into_response(),
    }
}

/// A tip as the form gives it: fields read, problems of reading them.
struct Posted {
    category: String,
    order: String,
    active: bool,
    texts: Vec<(TextKey, String, String)>,
    problems: Vec<FieldError>,
    check: bool,
}

fn read(fields: &Fields) -> Posted {
    let mut problems = Vec::new();
    let category = fields.one("category", &mut problems).unwrap_or_default();
    let order = fields.one("order", &mut problems).unwrap_or_default();
    let active = fields.one("active", &mut problems).is_some();
    let check = fields.one("action", &mut problems).as_deref() == Some("check");
    let texts = TextKey::ALL
        .into_iter()
        .map(|key| {
            let text = fields
                .one(&format!("text-{}", key.tag()), &mut problems)
                .unwrap_or_default();
            let template = fields
                .one(&format!("template-{}", key.tag()), &mut problems)
                .unwrap_or_default();
            (key, text, template)
        })
        .collect();
    Posted {
        category,
        order,
        active,
        texts,
        problems,
        check,
    }
}

impl Posted {
    fn order(&mut self) -> i64 {
        let order = self.order.trim();
        if order.is_empty() {
            return 0;
        }
        order.parse().unwrap_or_else(|_| {
            self.problems
                .push(FieldError::new("order", "must be a whole number"));
            0
        })
    }

    /// The texts and template ids given, as the API takes them (blank boxes left out).
    fn entries(&self) -> (Entries<String>, Entries<String>) {
        let texts = self
            .texts
            .iter()
            .filter(|(_, text, _)| !text.trim().is_empty())
            .map(|(key, text, _)| (key.tag().to_string(), text.clone()))
            .collect();
        let templates = self
            .texts
            .iter()
            .filter(|(_, _, template)| !template.trim().is_empty())
            .map(|(key, _, template)| (key.tag().to_string(), template.trim().to_string()))
            .collect();
        (Entries(texts), Entries(templates))
    }

    /// The editor showing what was posted, with its counters and `problems`.
    fn editor(
        self,
        state: &AppState,
        chrome: Chrome,
        id: Option<i64>,
        slug: Option<String>,
        problems: Vec<FieldError>,
    ) -> Editor {
        let mut boxes = boxes(state, &chrome, |key| {
            self.texts
                .iter()
                .find(|(k, ..)| *k == key)
                .map(|(_, text, template)| (text.clone(), template.clone()))
                .unwrap_or_default()
        });
        for b in &mut boxes {
            for name in box_fields(b.tag) {
                b.problems.extend(details(&problems, &name));
            }
        }
        let own = |p: &FieldError| {
            TextKey::ALL
                .iter()
                .any(|k| box_fields(k.tag()).contains(&p.field))
                || ["category", "order", "texts"].contains(&p.field.as_str())
        };
        Editor {
            category_problems: details(&problems, "category"),
            order_problems: details(&problems, "order"),
            texts_problems: details(&problems, "texts"),
            problems: problems.iter().filter(|p| !own(p)).cloned().collect(),
            chrome,
            id,
            slug,
            category: self.category,
            order: self.order,
            active: self.active,
            boxes,
            checked: self.check,
        }
    }
}

/// The fields whose problems show beside the box of `tag`: the form's and the API's names.
fn box_fields(tag: &str) -> [String; 4] {
    [
        format!("text-{tag}"),
        format!("texts.{tag}"),
        format!("template-{tag}"),
        format!("template_ids.{tag}"),
    ]
}

fn refused(editor: &Editor) -> Response {
    html(StatusCode::UNPROCESSABLE_ENTITY, editor)
}

/// `POST /admin/tips`: adds a tip (303 to it), or "Check" (the page with its counts).
pub async fn create(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let chrome = viewer.chrome(&state, "tips");
    let mut posted = read(&Fields(fields));
    let order = posted.order();
    if posted.check {
        let problems = std::mem::take(&mut posted.problems);
        return html(
            StatusCode::OK,
            &posted.editor(&state, chrome, None, None, problems),
        );
    }
    if !posted.problems.is_empty() {
        let problems = std::mem::take(&mut posted.problems);
        return refused(&posted.editor(&state, chrome, None, None, problems));
    }
    let (texts, template_ids) = posted.entries();
    let new = NewTip {
        category: posted.category.clone(),
        texts,
        template_ids,
        order,
        active: posted.active,
    };
    match create_tip(&state, &viewer.principal, &new).await {
        Ok(tip) => Redirect::to(&format!("/admin/tips/{}", tip.id)).into_response(),
        Err(err) => match field_problems(&err) {
            Some(problems) => refused(&posted.editor(&state, chrome, None, None, problems)),
            None => err.into_response(),
        },
    }
}

/// `POST /admin/tips/{id}`: saves the tip's category, order, active flag and texts (303 back to
/// it), or "Check". A text cannot be taken away (the API has no way to), only replaced: a box
/// emptied that held a text is refused, and the tip can be retired instead.
pub async fn update(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let chrome = viewer.chrome(&state, "tips");
    let stored = match state.store.tip(id).await {
        Ok(Some(tip)) => tip,
        Ok(None) => return not_found(chrome),
        Err(err) => return ApiError::from(err).into_response(),
    };
    let mut posted = read(&Fields(fields));
    let order = posted.order();
    let slug = stored.slug.clone();
    if posted.check {
        let problems = std::mem::take(&mut posted.problems);
        return html(
            StatusCode::OK,
            &posted.editor(&state, chrome, Some(id), slug, problems),
        );
    }
    for (key, text, _) in &posted.texts {
        if text.trim().is_empty() && stored.texts.iter().any(|t| t.key == *key) {
            let field = format!("text-{}", key.tag());
            posted.problems.push(FieldError::new(
                &field,
                chrome.t("admin-tips-cannot-remove"),
            ));
        }
    }
    if !posted.problems.is_empty() {
        let problems = std::mem::take(&mut posted.problems);
        return refused(&posted.editor(&state, chrome, Some(id), slug, problems));
    }
    let (texts, template_ids) = posted.entries();
    let changes = TipChanges {
        category: Some(posted.category.clone()),
        order: Some(order),
        active: Some(posted.active),
        texts,
        template_ids,
    };
    match update_tip(&state, &viewer.principal, id, &changes).await {
        Ok(_) => Redirect::to(&format!("/admin/tips/{id}")).into_response(),
        Err(err) => match field_problems(&err) {
            Some(problems) => refused(&posted.editor(&state, chrome, Some(id), slug, problems)),
            None => err.into_response(),
        },
    }
}

#[derive(Deserialize)]
pub struct CountQuery {
    key: String,
}

/// `POST /admin/tips/count?key=<tag>`: the counter of the box `text-<tag>` of the posted form,
/// as a fragment (htmx swaps it in as the admin types).
pub async fn count(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Query(query): Query<CountQuery>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let Some(key) = TextKey::from_tag(&query.key) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "unknown text key\n").into_response();
    };
    let fields = Fields(fields);
    let text = fields
        .all(&format!("text-{}", key.tag()))
        .into_iter()
        .next()
        .unwrap_or_default();
    let policy = state.settings.campaign.content_policy();
    let page = CountFragment {
        chrome: viewer.chrome(&state, "tips"),
        c: Counter::of(&policy, key, &text),
    };
    html(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrollment::{Language, Script};

    #[test]
    fn a_counter_marks_only_the_characters_that_force_ucs2() {
        let policy = ContentPolicy::default();
        let hindi = TextKey::new(Language::Hindi, Script::Native);
        let count = Counter::of(&policy, hindi, "OTP मत बताइए");
        assert!(count.ucs2);
        assert_eq!(
            count.preview,
            [
                ("OTP ".to_string(), false),
                ("मत".to_string(), true),
                (" ".to_string(), false),
                ("बताइए".to_string(), true)
            ]
        );
        let english = TextKey::new(Language::English, Script::Native);
        let plain = Counter::of(&policy, english, "Call 1930 now");
        assert!(!plain.ucs2);
        assert_eq!(plain.preview, [("Call 1930 now".to_string(), false)]);
        assert_eq!((plain.chars, plain.parts), (13, 1));
        assert!(plain.checks.is_empty());
        // Saving an English text swaps `₹` for "Rs.": the counter says both.
        let rupee = Counter::of(&policy, english, "Fine ₹0.");
        assert!(rupee.ucs2);
        assert_eq!(rupee.preview[1], ("₹".to_string(), true));
        let sent = rupee.sent.expect("changed by saving");
        assert_eq!((sent.text.as_str(), sent.ucs2), ("Fine Rs.0.", false));
        assert!(plain.sent.is_none());
        let link = Counter::of(&policy, english, "See bit.ly/x");
        assert_eq!(link.checks.len(), 1, "{:?}", link.checks);
    }
}
