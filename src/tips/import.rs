//! Reading a tip file for `mitan tips import`: the seed JSON format (`config/tips.json`) or a CSV
//! with the header `id,category,order,lang,script,text,template_id` (one text per row; an optional
//! `active` column). Every text is a row of the report: valid ones are saved, each invalid one
//! is named with what is wrong with it.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Category, NewTip, SeedFile, TipText};
use crate::broadcasts::{ContentPolicy, TextKey};

/// One text of one tip, as a file gives it.
#[derive(Debug, Clone)]
struct Row {
    /// How the report names the row: `line 4` in a CSV, `tip-07 hi` in JSON.
    label: String,
    slug: String,
    category: String,
    order: Option<i64>,
    active: bool,
    key: Result<TextKey, String>,
    text: String,
    template_id: Option<String>,
}

/// A row that could not be saved, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: String,
    pub problem: String,
}

/// What a file holds once read and checked: the tips to save (each with its valid texts and the
/// number of rows it came from) and the rows refused.
#[derive(Debug, Default)]
pub struct ImportPlan {
    pub tips: Vec<(NewTip, usize)>,
    pub errors: Vec<RowError>,
    pub rows: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    /// From the file name: `.csv` is CSV, anything else JSON.
    pub fn of(path: &std::path::Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("csv") => Format::Csv,
            _ => Format::Json,
        }
    }
}

/// Reads and checks a whole file. `Err` only when the file as a whole cannot be read (not JSON
/// of the seed format, or a CSV without the expected header); bad rows are in the plan.
pub fn plan(content: &str, format: Format, policy: &ContentPolicy) -> Result<ImportPlan, String> {
    let (rows, mut errors) = match format {
        Format::Json => json_rows(content)?,
        Format::Csv => csv_rows(content)?,
    };
    let count = rows.len() + errors.len();
    let (tips, row_errors) = check(rows, policy);
    errors.extend(row_errors);
    Ok(ImportPlan {
        tips,
        errors,
        rows: count,
    })
}

/// One row per text. A text key given twice (in any case) is a row of its own, refused by
/// [`check`] as a second text of its language; an unknown key is refused by name, and so is a
/// template id without a text or given twice.
fn json_rows(content: &str) -> Result<(Vec<Row>, Vec<RowError>), String> {
    let file = SeedFile::parse(content).map_err(|err| format!("not a tip file: {err}"))?;
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for tip in file.tips {
        let templates = tip.template_ids.by_key();
        for (tag, problem) in &templates.refused {
            errors.push(RowError {
                row: format!("{} template_ids.{tag}", tip.id),
                problem: problem.clone(),
            });
        }
        let mut texts = Vec::new();
        for (tag, text) in tip.texts.0 {
            let key = TextKey::from_tag(&tag).ok_or_else(|| unknown_key(&tag));
            texts.push((tag, key, text));
        }
        for (key, tag, _) in &templates.good {
            if !texts.iter().any(|(_, k, _)| k.as_ref() == Ok(key)) {
                errors.push(RowError {
                    row: format!("{} template_ids.{tag}", tip.id),
                    problem: "no text with this key".into(),
                });
            }
        }
        for (tag, key, text) in texts {
            let template_id = key
                .as_ref()
                .ok()
                .and_then(|key| templates.get(*key).cloned().flatten());
            rows.push(Row {
                label: format!("{} {tag}", tip.id),
                slug: tip.id.clone(),
                category: tip.category.clone(),
                order: tip.order,
                active: tip.active,
                key,
                template_id,
                text,
            });
        }
    }
    Ok((rows, errors))
}

fn unknown_key(tag: &str) -> String {
    format!("unknown text key {tag:?}: use hi, hne, en, hi-Latn or hne-Latn")
}

#[derive(Debug, Deserialize)]
struct CsvRow {
    id: String,
    category: String,
    order: Option<String>,
    lang: String,
    script: Option<String>,
    text: String,
    template_id: Option<String>,
    active: Option<String>,
}

const CSV_HEADER: [&str; 7] = [
    "id",
    "category",
    "order",
    "lang",
    "script",
    "text",
    "template_id",
];

fn csv_rows(content: &str) -> Result<(Vec<Row>, Vec<RowError>), String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .flexible(false)
        .from_reader(content.as_bytes());
    let header = reader
        .headers()
        .map_err(|err| format!("cannot read the CSV header: {err}"))?
        .clone();
    let missing: Vec<&str> = CSV_HEADER
        .into_iter()
        .filter(|name| !header.iter().any(|h| h == *name))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the CSV header lacks {}; expected {}",
            missing.join(", "),
            CSV_HEADER.join(",")
        ));
    }
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let (line, result) = match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                (line, record.deserialize::<CsvRow>(Some(&header)))
            }
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line());
                (line, Err(err))
            }
        };
        let label = format!("line {line}");
        match result.map_err(|err| err.to_string()).and_then(csv_row) {
            Ok(mut row) => {
                row.label = format!("{label} ({} {})", row.slug, row.key_label());
                rows.push(row);
            }
            Err(problem) => errors.push(RowError {
                row: label,
                problem,
            }),
        }
    }
    Ok((rows, errors))
}

fn csv_row(row: CsvRow) -> Result<Row, String> {
    let order = match row
        .order
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        None => None,
        Some(text) => Some(
            text.parse()
                .map_err(|_| format!("order {text:?} is not a whole number"))?,
        ),
    };
    let active = match row.active.as_deref().map(str::trim) {
        None | Some("") | Some("true") | Some("1") | Some("yes") => true,
        Some("false") | Some("0") | Some("no") => false,
        Some(other) => return Err(format!("active {other:?} is not true or false")),
    };
    let script = row.script.unwrap_or_default();
    let key = TextKey::from_parts(&row.lang, &script).ok_or_else(|| {
        format!(
            "unknown language {:?} or script {script:?} (hi, hne, en; devanagari or roman)",
            row.lang
        )
    });
    Ok(Row {
        label: String::new(),
        slug: row.id.trim().to_string(),
        category: row.category,
        order,
        active,
        key,
        text: row.text,
        template_id: row.template_id,
    })
}

impl Row {
    fn key_label(&self) -> String {
        self.key
            .as_ref()
            .map_or_else(|_| "?".to_string(), |k| k.tag().to_string())
    }
}

/// Groups rows into tips (in the order they first appear), checking each row.
fn check(rows: Vec<Row>, policy: &ContentPolicy) -> (Vec<(NewTip, usize)>, Vec<RowError>) {
    let mut tips: Vec<(NewTip, usize)> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut first_label: BTreeMap<String, String> = BTreeMap::new();
    let mut errors = Vec::new();
    for row in rows {
        let mut refuse = |problem: String| {
            errors.push(RowError {
                row: row.label.clone(),
                problem,
            })
        };
        if row.slug.is_empty() {
            refuse("the tip id is empty".into());
            continue;
        }
        let category = match Category::parse(&row.category) {
            Ok(category) => category,
            Err(problem) => {
                refuse(problem);
                continue;
            }
        };
        let key = match &row.key {
            Ok(key) => *key,
            Err(problem) => {
                refuse(problem.clone());
                continue;
            }
        };
        let text = match TipText::check(policy, key, &row.text, row.template_id.as_deref()) {
            Ok(text) => text,
            Err(problems) => {
                let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
                refuse(all.join("; "));
                continue;
            }
        };
        let at = *index.entry(row.slug.clone()).or_insert_with(|| {
            first_label.insert(row.slug.clone(), row.label.clone());
            tips.push((
                NewTip {
                    slug: Some(row.slug.clone()),
                    category: category.clone(),
                    order: row.order.unwrap_or(0),
                    active: row.active,
                    texts: Vec::new(),
                },
                0,
            ));
            tips.len() - 1
        });
        let (tip, count) = &mut tips[at];
        let first = &first_label[&row.slug];
        if tip.category != category || row.order.is_some_and(|o| o != tip.order) {
            refuse(format!(
                "category or order differs from {first}, the first row of {}",
                row.slug
            ));
            continue;
        }
        if tip.texts.iter().any(|t| t.key == key) {
            refuse(format!("{} already has a {key} text", row.slug));
            continue;
        }
        tip.texts.push(text);
        *count += 1;
    }
    (tips, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_plan(csv: &str) -> ImportPlan {
        plan(csv, Format::Csv, &ContentPolicy::default()).unwrap()
    }

    #[test]
    fn the_shipped_library_reads_whole() {
        let plan = plan(super::super::SEED, Format::Json, &ContentPolicy::default()).unwrap();
        assert_eq!(plan.errors, vec![]);
        assert_eq!(plan.tips.len(), 24);
        assert_eq!(plan.rows, 24 * 4);
        let (first, rows) = &plan.tips[0];
        assert_eq!(first.slug.as_deref(), Some("tip-01"));
        assert_eq!((first.order, first.active, *rows), (1, true, 4));
    }

    #[test]
    fn a_csv_saves_its_good_rows_and_names_each_bad_one() {
        let csv = "id,category,order,lang,script,text,template_id\n\
            tip-a,otp,1,hi,devanagari,ठगी हो तो 1930 पर कॉल करें।,1107160000000012345\n\
            tip-a,otp,1,en,,Cheated? Call 1930.,\n\
            tip-a,otp,1,hi,roman,Thagi ho to 9876543210 par call karein.,\n\
            tip-b,Bad Category,2,en,,Call 1930.,\n\
            tip-c,qr,3,xx,,Call 1930.,\n\
            tip-c,qr,3,en,,Visit bit.ly/x,\n\
            tip-c,qr,3,en,,Call 1930.,TBD\n\
            tip-c,qr,x,en,,Call 1930.,\n\
            tip-d,qr,4,en,,Dial *401# now.\n\
            tip-a,otp,1,en,,Again? Call 1930.,\n";
        let plan = csv_plan(csv);
        assert_eq!(plan.rows, 10);
        let tips: Vec<_> = plan
            .tips
            .iter()
            .map(|(t, n)| (t.slug.clone().unwrap(), t.texts.len(), *n))
            .collect();
        assert_eq!(tips, [("tip-a".to_string(), 2, 2)]);
        let errors: Vec<(&str, &str)> = plan
            .errors
            .iter()
            .map(|e| (e.row.as_str(), e.problem.as_str()))
            .collect();
        let expect_line = |line: usize, fragment: &str| {
            assert!(
                errors
                    .iter()
                    .any(|(row, problem)| row.starts_with(&format!("line {line}"))
                        && problem.contains(fragment)),
                "line {line} should say {fragment:?}: {errors:#?}"
            );
        };
        expect_line(4, "10-digit number ending 10");
        expect_line(5, "category");
        expect_line(6, "unknown language");
        expect_line(7, "bit.ly");
        expect_line(8, "template id");
        expect_line(9, "order");
        expect_line(10, "");
        expect_line(11, "already has a en text");
        assert_eq!(errors.len(), 8);
    }

    #[test]
    fn a_csv_without_the_header_is_refused_whole() {
        let err = plan("a,b\n1,2\n", Format::Csv, &ContentPolicy::default()).unwrap_err();
        assert!(err.contains("lacks id"), "{err}");
        let err = plan("{\"tips\": 3}", Format::Json, &ContentPolicy::default()).unwrap_err();
        assert!(err.contains("not a tip file"), "{err}");
    }
}
