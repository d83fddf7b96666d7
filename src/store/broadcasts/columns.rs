//! How a broadcast's segment and content are kept in its columns: the segment as JSON, the
//! content as a kind, a tip and custom texts. Read back strictly: what cannot be read is an error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::super::{from_millis, stored, to_millis, StoreError};
use crate::broadcasts::plan::{Content, Segment};
use crate::broadcasts::TextKey;
use crate::enrollment::{Language, RecruiterKind};

#[derive(Serialize, Deserialize, Default)]
pub(super) struct SegmentJson {
    #[serde(default)]
    areas: Vec<i64>,
    #[serde(default)]
    languages: Vec<String>,
    #[serde(default)]
    recruiter_kinds: Vec<String>,
    #[serde(default)]
    joined_after: Option<i64>,
    #[serde(default)]
    joined_before: Option<i64>,
}

pub(super) fn segment_to_json(segment: &Segment) -> String {
    serde_json::to_string(&SegmentJson {
        areas: segment.areas.clone(),
        languages: segment.languages.iter().map(|l| l.tag().into()).collect(),
        recruiter_kinds: segment
            .recruiter_kinds
            .iter()
            .map(|k| k.tag().into())
            .collect(),
        joined_after: segment.joined_after.map(to_millis),
        joined_before: segment.joined_before.map(to_millis),
    })
    .expect("a segment serialises")
}

/// A stored segment. One that cannot be read whole is an error: a language or kind dropped
/// silently would widen the segment to everyone.
pub(super) fn segment_from_json(json: &str) -> Result<Segment, StoreError> {
    let unreadable = |why: String| {
        StoreError::Other(anyhow::anyhow!(
            "a broadcast's segment in the database: {why}"
        ))
    };
    let segment: SegmentJson =
        serde_json::from_str(json).map_err(|err| unreadable(err.to_string()))?;
    let languages = segment
        .languages
        .iter()
        .map(|l| stored("language", l, Language::from_tag))
        .collect::<Result<_, _>>()?;
    let recruiter_kinds = segment
        .recruiter_kinds
        .iter()
        .map(|k| stored("recruiter kind", k, RecruiterKind::from_tag))
        .collect::<Result<_, _>>()?;
    Ok(Segment {
        areas: segment.areas,
        languages,
        recruiter_kinds,
        joined_after: segment.joined_after.map(from_millis),
        joined_before: segment.joined_before.map(from_millis),
    })
}

pub(super) fn content_columns(content: &Content) -> (&'static str, Option<i64>, Option<String>) {
    match content {
        Content::Tip(id) => ("tip", Some(*id), None),
        Content::Drip => ("drip", None, None),
        Content::Custom(texts) => {
            let map: BTreeMap<&str, &str> = texts
                .iter()
                .map(|(key, text)| (key.tag(), text.as_str()))
                .collect();
            let json = serde_json::to_string(&map).expect("texts serialise");
            ("custom", None, Some(json))
        }
    }
}

/// Stored content; a kind or text key the code does not know is an error, never a drip.
pub(super) fn content_from_columns(
    kind: &str,
    tip_id: Option<i64>,
    texts: Option<&str>,
) -> Result<Content, StoreError> {
    match (kind, tip_id) {
        ("tip", Some(id)) => Ok(Content::Tip(id)),
        ("drip", _) => Ok(Content::Drip),
        ("custom", _) => {
            let map: BTreeMap<String, String> = serde_json::from_str(texts.unwrap_or_default())
                .map_err(|err| {
                    StoreError::Other(anyhow::anyhow!(
                        "a broadcast's custom texts in the database: {err}"
                    ))
                })?;
            map.into_iter()
                .map(|(tag, text)| Ok((stored("text key", &tag, TextKey::from_tag)?, text)))
                .collect::<Result<_, StoreError>>()
                .map(Content::Custom)
        }
        (other, _) => stored("broadcast content", other, |_| None),
    }
}
