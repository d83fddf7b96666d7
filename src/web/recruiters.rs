//! `/admin/recruiters`: the recruiters (search by name, a page at a time, progress against their
//! quota), a form to add one, and each recruiter's page: details, the cascade below them (counts
//! only, "<5" exactly where `GET /api/v1/recruiters/{id}/tree` shows it to the viewer), their
//! event codes, a form to issue one and a button to expire one. Admins only.
//!
//! Every change goes through the API's own functions (`api::recruiters::create_recruiter`,
//! `api::event_codes::{create_event_code, expire_event_code}`): the same checks, store calls and
//! audit entries. A phone typed in the form is never shown back, not even on the page that
//! re-renders the form with its problems.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::page::{html, Chrome, ErrorPage};
use super::session::{AdminViewer, Viewer};
use crate::api::dto::{Count, RecruiterKind as WireKind};
use crate::api::event_codes::{create_event_code, expire_event_code, NewEventCode};
use crate::api::recruiters::{
    cascade, create_recruiter, list_page, recruiter_with_figures, CascadeNode, ListQuery,
    NewRecruiter, QuotaProgress, PHONE_TAKEN,
};
use crate::enrollment::figures::Shown;
use crate::enrollment::{Area, EventCodeStatus, RecruiterKind};
use crate::http::{ApiError, AppState};

/// Recruiters a page of the list shows.
const PAGE: i64 = 50;
/// Generations of the cascade a recruiter's page shows.
const TREE_DEPTH: i64 = 3;
/// Kinds an admin adds here (mitans join by USSD or SMS).
const ADDABLE: [RecruiterKind; 5] = [
    RecruiterKind::Police,
    RecruiterKind::Ncc,
    RecruiterKind::Nss,
    RecruiterKind::Spo,
    RecruiterKind::Ngo,
];

/// What is wrong with the fields of a form, by field name.
#[derive(Default)]
pub struct Problems(HashMap<String, String>);

impl Problems {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }

    fn add(&mut self, field: &str, detail: String) {
        self.0.entry(field.to_string()).or_insert(detail);
    }

    /// A whole number typed in `field`, if any: empty is `None`, and so is anything else (with
    /// the problem `says`).
    fn optional_number(
        &mut self,
        field: &str,
        text: &str,
        says: impl FnOnce() -> String,
    ) -> Option<i64> {
        match text.trim() {
            "" => None,
            text => {
                let number = text.parse().ok();
                if number.is_none() {
                    self.add(field, says());
                }
                number
            }
        }
    }

    /// The field errors of a refused request, under the form's names (`renames`: API field →
    /// form field); `None` for an error that is not about fields.
    fn of(err: &ApiError, renames: &[(&str, &str)]) -> Option<Self> {
        let ApiError::Validation(errors) = err else {
            return None;
        };
        let mut problems = Self::default();
        for error in errors {
            let field = renames
                .iter()
                .find(|(api, _)| *api == error.field)
                .map_or(error.field.as_str(), |(_, form)| form);
            problems.add(field, error.detail.clone());
        }
        Some(problems)
    }
}

/// A choice of a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// Progress against the quota: `N / target` and a bar (a `<progress>`, whose value needs no
/// style attribute).
pub struct Progress {
    pub text: String,
    /// The bar's value; `None` where the count is hidden.
    pub value: Option<i64>,
    pub max: i64,
}

impl Progress {
    fn of(quota: &QuotaProgress) -> Self {
        Self {
            text: format!("{} / {}", quota.credited, quota.target),
            value: match quota.credited.0 {
                Shown::Exact(n) => Some(n.min(quota.target)),
                Shown::FewerThanSmallest => None,
            },
            max: quota.target,
        }
    }
}

pub struct Row {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub area: String,
    pub phone: String,
    pub code: String,
    pub progress: Progress,
}

/// What the add form holds: what was typed, but never the phone.
#[derive(Default)]
pub struct AddValues {
    pub name: String,
    pub kind: String,
    pub area: String,
    /// Whether a phone was typed (it has to be typed again: it is never shown back).
    pub phone_given: bool,
}

#[derive(Template)]
#[template(path = "admin/recruiters.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    rows: Vec<Row>,
    next: Option<String>,
    kinds: Vec<Choice>,
    areas: Vec<Choice>,
    form: AddValues,
    problems: Problems,
}

#[derive(Deserialize)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: Option<String>,
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    area: String,
}

/// `GET /admin/recruiters`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Query(params): Query<ListParams>,
) -> Response {
    let form = AddValues {
        kind: RecruiterKind::Police.tag().into(),
        ..AddValues::default()
    };
    list_answer(&state, &viewer, &params, form, Problems::default()).await
}

/// `POST /admin/recruiters`: 303 to the new recruiter's page, or 422 with the list and the form
/// again, its problems by field.
pub async fn add(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Form(form): Form<AddForm>,
) -> Response {
    let phone = form.phone.trim();
    let values = AddValues {
        name: form.name.clone(),
        kind: form.kind.clone(),
        area: form.area.clone(),
        phone_given: !phone.is_empty(),
    };
    let chrome = viewer.chrome(&state, "recruiters");
    let mut problems = Problems::default();
    let kind = ADDABLE.into_iter().find(|k| k.tag() == form.kind);
    if kind.is_none() {
        problems.add("kind", chrome.t("admin-rec-bad-kind"));
    }
    let area = problems.optional_number("area", &form.area, || chrome.t("admin-rec-bad-area"));
    let no_params = ListParams {
        q: String::new(),
        after: None,
    };
    let Some(kind) = kind.filter(|_| !problems.any()) else {
        return list_answer(&state, &viewer, &no_params, values, problems).await;
    };
    let new = NewRecruiter {
        name: form.name,
        kind: WireKind::from(kind),
        phone: (!phone.is_empty()).then(|| phone.to_string()),
        area,
        quota: None,
        recruited_by: None,
    };
    match create_recruiter(&state, &viewer.principal, &new).await {
        Ok(id) => Redirect::to(&format!("/admin/recruiters/{id}")).into_response(),
        Err(ApiError::Conflict(detail)) if detail == PHONE_TAKEN => {
            problems.add("phone", detail);
            list_answer(&state, &viewer, &no_params, values, problems).await
        }
        Err(err) => match Problems::of(&err, &[]) {
            Some(problems) => list_answer(&state, &viewer, &no_params, values, problems).await,
            None => err.into_response(),
        },
    }
}

async fn list_answer(
    state: &AppState,
    viewer: &Viewer,
    params: &ListParams,
    form: AddValues,
    problems: Problems,
) -> Response {
    let chrome = viewer.chrome(state, "recruiters");
    let q = params.q.trim().to_string();
    // A cursor that is not a number starts from the first page.
    let after = params.after.as_deref().and_then(|a| a.parse::<i64>().ok());
    let query = ListQuery {
        kind: None,
        area: None,
        name: (!q.is_empty()).then(|| q.clone()),
        after: after.filter(|a| *a > 0),
        limit: Some(PAGE),
    };
    let page = list_page(state, &viewer.principal, &query).await;
    let areas = state.store.areas().await.map_err(ApiError::from);
    let (page, areas) = match (page, areas) {
        (Ok(page), Ok(areas)) => (page, areas),
        (Err(err), _) | (_, Err(err)) => return err.into_response(),
    };
    let names: HashMap<i64, String> = areas.iter().map(|a| (a.id, a.name.clone())).collect();
    let rows = page
        .items
        .into_iter()
        .map(|r| Row {
            id: r.id,
            kind: kind_label(&chrome, r.kind),
            area: area_name(&names, r.area_id),
            phone: masked(r.phone_hint.as_deref()),
            code: r.code.unwrap_or_else(|| "—".into()),
            progress: Progress::of(&r.quota),
            name: r.name,
        })
        .collect();
    let next = page.next_after.map(|after| {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &q)
            .append_pair("after", &after.to_string())
            .finish();
        format!("/admin/recruiters?{query}")
    });
    let status = if problems.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ListPage {
        kinds: ADDABLE
            .into_iter()
            .map(|k| Choice {
                value: k.tag().into(),
                label: kind_label(&chrome, k.into()),
            })
            .collect(),
        areas: area_choices(&chrome, &areas),
        chrome,
        q,
        rows,
        next,
        form,
        problems,
    };
    html(status, &page)
}

fn kind_label(chrome: &Chrome, kind: WireKind) -> String {
    chrome.t(&format!(
        "admin-rec-kind-{}",
        RecruiterKind::from(kind).tag()
    ))
}

fn area_name(names: &HashMap<i64, String>, id: Option<i64>) -> String {
    id.and_then(|id| names.get(&id).cloned())
        .unwrap_or_else(|| "—".into())
}

fn area_choices(chrome: &Chrome, areas: &[Area]) -> Vec<Choice> {
    areas
        .iter()
        .map(|a| Choice {
            value: a.id.to_string(),
            label: format!(
                "{} ({})",
                a.name,
                chrome.t(&format!("admin-rec-area-{}", a.kind.tag()))
            ),
        })
        .collect()
}

/// A phone as pages show it: its last two digits at most.
fn masked(hint: Option<&str>) -> String {
    hint.map_or_else(|| "—".into(), |hint| format!("******{hint}"))
}

/// One line of the cascade as nested lists: a list opens, a recruiter's item opens (the list of
/// their recruits inside it) and closes, a list closes.
pub enum TreeLine {
    Open,
    Node {
        id: i64,
        name: String,
        kind: String,
        /// Their direct recruits, "<5" where the viewer sees it so.
        direct: Count,
        active: Count,
    },
    EndNode,
    Close,
}

/// Recruiters of the cascade a page lists at most: an officer's tree reaches thousands, and a
/// page of ten thousand items neither loads fast nor can be read.
pub const TREE_SHOWN: usize = 200;

/// The recruiters below `root` (not `root` itself) as nested lists, in the tree's order: the
/// nearest generations first, at most `limit` of them (each recruiter's page shows the rest
/// below them); with how many `root` holds.
pub fn tree_lines(chrome: &Chrome, root: &CascadeNode, limit: usize) -> (Vec<TreeLine>, usize) {
    fn walk(
        chrome: &Chrome,
        nodes: &[CascadeNode],
        shown: &std::collections::HashSet<i64>,
        lines: &mut Vec<TreeLine>,
    ) {
        let nodes: Vec<&CascadeNode> = nodes.iter().filter(|n| shown.contains(&n.id)).collect();
        if nodes.is_empty() {
            return;
        }
        lines.push(TreeLine::Open);
        for node in nodes {
            lines.push(TreeLine::Node {
                id: node.id,
                name: node.name.clone(),
                kind: kind_label(chrome, node.kind),
                direct: node.direct.total,
                active: node.direct.active,
            });
            walk(chrome, &node.children, shown, lines);
            lines.push(TreeLine::EndNode);
        }
        lines.push(TreeLine::Close);
    }
    // Generation by generation until the limit: who is shown.
    let mut shown = std::collections::HashSet::new();
    let mut total = 0;
    let mut generation: Vec<&CascadeNode> = root.children.iter().collect();
    while !generation.is_empty() {
        total += generation.len();
        for node in &generation {
            if shown.len() < limit {
                shown.insert(node.id);
            }
        }
        generation = generation
            .iter()
            .flat_map(|node| node.children.iter())
            .collect();
    }
    let mut lines = Vec::new();
    walk(chrome, &root.children, &shown, &mut lines);
    (lines, total)
}

pub struct CodeRow {
    pub code: String,
    pub label: String,
    pub expires: String,
    pub uses: String,
    pub status: String,
    pub status_tag: &'static str,
    /// Whether it may still be expired (it has not expired yet).
    pub expirable: bool,
    /// Whether it still credits joins, so its cards may be printed.
    pub printable: bool,
}

/// What the event code form holds.
#[derive(Default)]
pub struct CodeValues {
    pub label: String,
    pub expires: String,
    pub max_uses: String,
}

#[derive(Template)]
#[template(path = "admin/recruiter.html")]
struct RecruiterPage {
    chrome: Chrome,
    id: i64,
    name: String,
    kind: String,
    area: String,
    phone: String,
    code: String,
    /// Whether they have a code to print cards of.
    has_code: bool,
    created: String,
    recruited_by: Option<i64>,
    progress: Progress,
    subtree: Count,
    subtree_recruiters: Count,
    depth: i64,
    tree: Vec<TreeLine>,
    tree_depth: String,
    /// "200 of 10,699" when the tree is longer than a page lists.
    tree_cut: Option<String>,
    codes: Vec<CodeRow>,
    form: CodeValues,
    problems: Problems,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    label: String,
    #[serde(default)]
    expires: String,
    #[serde(default)]
    max_uses: String,
}

/// `GET /admin/recruiters/{id}`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = recruiter_id(&id) else {
        return not_found(&state, &viewer);
    };
    recruiter_answer(
        &state,
        &viewer,
        id,
        CodeValues::default(),
        Problems::default(),
    )
    .await
}

/// `POST /admin/recruiters/{id}/event-codes` (`label`, `expires` as a date: the code works to
/// the end of that day in the campaign's time zone, `max_uses` optional): 303 to the
/// recruiter's page, or 422 with the page and the form again.
pub async fn issue_code(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<String>,
    Form(form): Form<CodeForm>,
) -> Response {
    let Some(id) = recruiter_id(&id) else {
        return not_found(&state, &viewer);
    };
    let chrome = viewer.chrome(&state, "recruiters");
    let mut problems = Problems::default();
    let expires = end_of_day(&state, form.expires.trim());
    if expires.is_none() {
        problems.add("expires", chrome.t("admin-rec-bad-date"));
    }
    let max_uses = problems.optional_number("max_uses", &form.max_uses, || {
        chrome.t("admin-rec-bad-number")
    });
    let values = CodeValues {
        label: form.label.clone(),
        expires: form.expires.clone(),
        max_uses: form.max_uses.clone(),
    };
    let Some(expires_at) = expires.filter(|_| !problems.any()) else {
        return recruiter_answer(&state, &viewer, id, values, problems).await;
    };
    // An unknown recruiter is this page's 404, not a field of the form.
    match state.store.recruiter(id).await {
        Ok(Some(_)) => {}
        Ok(None) => return not_found(&state, &viewer),
        Err(err) => return ApiError::from(err).into_response(),
    }
    let new = NewEventCode {
        recruiter_id: id,
        label: form.label,
        expires_at,
        max_uses,
    };
    match create_event_code(&state, &viewer.principal, &new).await {
        Ok(_) => Redirect::to(&format!("/admin/recruiters/{id}")).into_response(),
        Err(err) => match Problems::of(&err, &[("expires_at", "expires")]) {
            Some(problems) => recruiter_answer(&state, &viewer, id, values, problems).await,
            None => err.into_response(),
        },
    }
}

/// `POST /admin/recruiters/{id}/event-codes/{code}/expire`: the code stops working now; 303 to
/// the recruiter's page (again if it had already stopped).
pub async fn expire_code(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Path((id, code)): Path<(String, String)>,
) -> Response {
    let Some(id) = recruiter_id(&id) else {
        return not_found(&state, &viewer);
    };
    match expire_event_code(&state, &viewer.principal, id, &code).await {
        Ok(_) => Redirect::to(&format!("/admin/recruiters/{id}")).into_response(),
        Err(ApiError::NotFound) => not_found(&state, &viewer),
        Err(err) => err.into_response(),
    }
}

/// A recruiter's id as the path has it; anything else finds nothing.
pub(super) fn recruiter_id(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|id| *id > 0)
}

pub(super) fn not_found(state: &AppState, viewer: &Viewer) -> Response {
    ErrorPage::answer(
        viewer.chrome(state, "recruiters"),
        StatusCode::NOT_FOUND,
        "admin-not-found-title",
        "admin-not-found-detail",
    )
}

/// The first instant after `date` (YYYY-MM-DD) in the campaign's time zone.
fn end_of_day(state: &AppState, date: &str) -> Option<DateTime<Utc>> {
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let next = day.succ_opt()?.and_hms_opt(0, 0, 0)?;
    next.and_local_timezone(state.settings.campaign.timezone.0)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

async fn recruiter_answer(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    form: CodeValues,
    problems: Problems,
) -> Response {
    let who = &viewer.principal;
    let recruiter = match recruiter_with_figures(state, who, id).await {
        Ok(recruiter) => recruiter,
        Err(ApiError::NotFound) => return not_found(state, viewer),
        Err(err) => return err.into_response(),
    };
    // One more than is listed (and the recruiter), to know whether the list is cut.
    let tree = cascade(state, who, id, TREE_DEPTH, TREE_SHOWN as i64 + 2).await;
    let codes = state.store.event_codes(who.scope(), Some(id)).await;
    let areas = state.store.areas().await;
    let (tree, codes, areas) = match (tree, codes, areas) {
        (Ok(tree), Ok(codes), Ok(areas)) => (tree, codes, areas),
        (Err(err), _, _) => return err.into_response(),
        (_, Err(err), _) | (_, _, Err(err)) => return ApiError::from(err).into_response(),
    };
    let chrome = viewer.chrome(state, "recruiters");
    let tz = state.settings.campaign.timezone.0;
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%d-%m-%Y %H:%M").to_string();
    let now = state.clock.now();
    let codes = codes
        .into_iter()
        .map(|c| {
            let status = EventCodeStatus::at(c.expires_at, c.max_uses, c.uses, now);
            CodeRow {
                label: c.label.unwrap_or_default(),
                expires: c.expires_at.map_or_else(|| "—".into(), local),
                uses: match c.max_uses {
                    Some(max) => format!("{} / {max}", c.uses),
                    None => format!("{} / {}", c.uses, chrome.t("admin-rec-unlimited")),
                },
                status: chrome.t(&format!("admin-rec-code-{}", status.tag())),
                status_tag: status.tag(),
                expirable: status != EventCodeStatus::Expired,
                printable: status == EventCodeStatus::Active,
                code: c.code,
            }
        })
        .collect();
    let names: HashMap<i64, String> = areas.into_iter().map(|a| (a.id, a.name)).collect();
    let about = recruiter.about;
    let status = if problems.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (lines, in_tree) = tree_lines(&chrome, &tree, TREE_SHOWN);
    let below = recruiter.figures.subtree_recruiters.to_string();
    let page = RecruiterPage {
        id,
        kind: kind_label(&chrome, about.kind),
        area: area_name(&names, about.area_id),
        phone: masked(about.phone_hint.as_deref()),
        has_code: about.code.is_some(),
        code: about.code.unwrap_or_else(|| "—".into()),
        created: local(about.created),
        recruited_by: about.recruited_by,
        progress: Progress::of(&about.quota),
        subtree: recruiter.figures.subtree.total,
        subtree_recruiters: recruiter.figures.subtree_recruiters,
        depth: recruiter.figures.depth,
        tree: lines,
        tree_depth: TREE_DEPTH.to_string(),
        tree_cut: (in_tree > TREE_SHOWN).then(|| {
            chrome.t2(
                "admin-rec-tree-cut",
                ("shown", &TREE_SHOWN.to_string()),
                ("total", &below),
            )
        }),
        codes,
        form,
        problems,
        name: about.name,
        chrome,
    };
    html(status, &page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::dto::StatusFigures;
    use crate::enrollment::figures::StatusCounts;
    use crate::i18n::Catalog;

    fn node(id: i64, active: i64, hide: bool, children: Vec<CascadeNode>) -> CascadeNode {
        CascadeNode {
            id,
            kind: WireKind::Mitan,
            name: format!("m{id}"),
            area_id: None,
            direct: StatusFigures::of(
                StatusCounts {
                    active,
                    ..StatusCounts::default()
                },
                hide,
            ),
            children,
        }
    }

    #[test]
    fn the_tree_nests_and_shows_counts_as_the_api_hides_them() {
        let chrome = Chrome::new(&Catalog::new("*1#"), "en", None, "recruiters");
        let root = node(
            1,
            9,
            false,
            vec![
                node(2, 3, true, vec![node(4, 7, true, vec![])]),
                node(3, 2, false, vec![]),
            ],
        );
        let (lines, total) = tree_lines(&chrome, &root, TREE_SHOWN);
        assert_eq!(total, 3);
        let shape: Vec<String> = lines
            .iter()
            .map(|line| match line {
                TreeLine::Open => "(".into(),
                TreeLine::Close => ")".into(),
                TreeLine::EndNode => ".".into(),
                TreeLine::Node { id, direct, .. } => format!("{id}:{direct}"),
            })
            .collect();
        assert_eq!(
            shape,
            ["(", "2:<5", "(", "4:7", ".", ")", ".", "3:2", ".", ")"]
        );
        assert!(tree_lines(&chrome, &node(1, 0, false, vec![]), TREE_SHOWN)
            .0
            .is_empty());
    }

    #[test]
    fn a_long_tree_lists_the_nearest_generations_up_to_the_limit() {
        let chrome = Chrome::new(&Catalog::new("*1#"), "en", None, "recruiters");
        // Two direct recruits, the first with three of their own, each of those with one.
        let grandchildren = |base: i64| {
            (0..3)
                .map(|i| {
                    node(
                        base + i,
                        1,
                        false,
                        vec![node(base + 10 + i, 0, false, vec![])],
                    )
                })
                .collect::<Vec<_>>()
        };
        let root = node(
            1,
            2,
            false,
            vec![
                node(2, 3, false, grandchildren(100)),
                node(3, 0, false, vec![]),
            ],
        );
        let (lines, total) = tree_lines(&chrome, &root, 4);
        assert_eq!(total, 8);
        let shown: Vec<i64> = lines
            .iter()
            .filter_map(|line| match line {
                TreeLine::Node { id, .. } => Some(*id),
                _ => None,
            })
            .collect();
        // Both direct recruits first, then the next generation until four are shown.
        assert_eq!(shown, [2, 100, 101, 3]);
    }

    #[test]
    fn every_word_of_these_pages_is_in_english_and_hindi() {
        fn ids(locale: &str) -> Vec<String> {
            let path = format!(
                "{}/locales/{locale}/dashboard-rec.ftl",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(&path).unwrap();
            let mut ids: Vec<String> = text
                .lines()
                .filter_map(|line| line.split_once(" = ").map(|(id, _)| id.to_string()))
                .filter(|id| !id.starts_with(['#', ' ']))
                .collect();
            ids.sort();
            ids
        }
        let english = ids("en");
        assert_eq!(ids("hi"), english);
        assert!(english.iter().all(|id| id.starts_with("admin-rec-")));
        // Every id these pages ask for is there (the kinds and statuses are made up in code).
        let mut used: Vec<String> = Vec::new();
        let found = regex::Regex::new(r#""(admin-rec-[a-z0-9-]+[a-z0-9])""#).unwrap();
        for file in [
            "templates/admin/recruiters.html",
            "templates/admin/recruiter.html",
            "src/web/recruiters.rs",
            "src/web/cards.rs",
        ] {
            let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).unwrap();
            used.extend(found.captures_iter(&text).map(|c| c[1].to_string()));
        }
        used.extend(
            ADDABLE
                .iter()
                .chain([RecruiterKind::Mitan].iter())
                .map(|k| format!("admin-rec-kind-{}", k.tag())),
        );
        used.extend(
            crate::enrollment::AreaKind::ALL
                .iter()
                .map(|k| format!("admin-rec-area-{}", k.tag())),
        );
        used.extend(
            [
                EventCodeStatus::Active,
                EventCodeStatus::Expired,
                EventCodeStatus::UsedUp,
            ]
            .iter()
            .map(|s| format!("admin-rec-code-{}", s.tag())),
        );
        for id in used {
            assert!(english.contains(&id), "{id} is not in dashboard-rec.ftl");
        }
    }
}
