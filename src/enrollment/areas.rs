//! Areas: district → thana (police station) → village or ward. Which kind sits under which, the
//! areas file loaded into an empty database, and the roll-up of figures from villages upwards.

use std::collections::HashMap;
use std::ops::AddAssign;

use serde::Deserialize;

use super::{display_name, NameError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AreaKind {
    District,
    Thana,
    Village,
}

impl AreaKind {
    pub const ALL: [AreaKind; 3] = [AreaKind::District, AreaKind::Thana, AreaKind::Village];

    pub fn tag(self) -> &'static str {
        match self {
            AreaKind::District => "district",
            AreaKind::Thana => "thana",
            AreaKind::Village => "village",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.tag() == tag)
    }

    /// The kind of area this kind sits under; `None` for a district, which sits under nothing.
    pub fn parent_kind(self) -> Option<AreaKind> {
        match self {
            AreaKind::District => None,
            AreaKind::Thana => Some(AreaKind::District),
            AreaKind::Village => Some(AreaKind::Thana),
        }
    }
}

/// A stored area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: AreaKind,
    pub name: String,
}

/// Areas to create in an empty database, parents before children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaPlan {
    pub districts: Vec<DistrictPlan>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictPlan {
    pub name: String,
    pub thanas: Vec<ThanaPlan>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThanaPlan {
    pub name: String,
    pub villages: Vec<String>,
}

/// The Bilaspur example (`config/areas.toml`), used when `campaign.areas_file` is not set.
pub const BUILT_IN_AREAS: &str = include_str!("../../config/areas.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AreasFile {
    district: Vec<DistrictEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DistrictEntry {
    name: String,
    #[serde(default)]
    thanas: Vec<ThanaEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThanaEntry {
    name: String,
    #[serde(default)]
    villages: Vec<String>,
}

impl AreaPlan {
    /// Reads an areas file. The error is one line: where, and what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: AreasFile = toml::from_str(text).map_err(|err| {
            let line = err
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            let message = err.message().replace('\n', " ");
            match line {
                Some(line) => format!("line {line}: {message}"),
                None => message,
            }
        })?;
        if file.district.is_empty() {
            return Err("no [[district]] given".into());
        }
        let named = |what: &str, name: &str| {
            display_name(name).map_err(|err: NameError| format!("{what} {name:?}: {err}"))
        };
        let mut districts = Vec::new();
        for district in file.district {
            let name = named("district", &district.name)?;
            let mut thanas = Vec::new();
            for thana in district.thanas {
                let thana_name = named("thana", &thana.name)?;
                let villages = thana
                    .villages
                    .iter()
                    .map(|village| named("village", village))
                    .collect::<Result<Vec<_>, _>>()?;
                unique(&villages, &format!("thana {thana_name:?} lists village"))?;
                thanas.push(ThanaPlan {
                    name: thana_name,
                    villages,
                });
            }
            let thana_names: Vec<String> = thanas.iter().map(|t| t.name.clone()).collect();
            unique(&thana_names, &format!("district {name:?} lists thana"))?;
            districts.push(DistrictPlan { name, thanas });
        }
        let district_names: Vec<String> = districts.iter().map(|d| d.name.clone()).collect();
        unique(&district_names, "the file lists district")?;
        Ok(Self { districts })
    }
}

fn unique(names: &[String], what: &str) -> Result<(), String> {
    for (at, name) in names.iter().enumerate() {
        if names[..at].contains(name) {
            return Err(format!("{what} {name:?} twice"));
        }
    }
    Ok(())
}

/// Adds each area's own figures to itself and to every area above it, so that a thana shows its
/// villages' people and a district its thanas'. Areas missing from `own` count as zero.
pub fn roll_up<T>(areas: &[Area], own: &HashMap<i64, T>) -> HashMap<i64, T>
where
    T: Default + Copy + AddAssign,
{
    let parents: HashMap<i64, Option<i64>> = areas.iter().map(|a| (a.id, a.parent_id)).collect();
    let mut total: HashMap<i64, T> = areas.iter().map(|a| (a.id, T::default())).collect();
    for (&id, &figures) in own {
        let mut at = Some(id);
        // The depth bound guards against a loop in hand-edited data.
        for _ in 0..=AreaKind::ALL.len() {
            let Some(area) = at else { break };
            let Some(sum) = total.get_mut(&area) else {
                break;
            };
            *sum += figures;
            at = parents.get(&area).copied().flatten();
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_file_is_bilaspur_with_its_thanas() {
        let plan = AreaPlan::parse(BUILT_IN_AREAS).unwrap();
        assert_eq!(plan.districts.len(), 1);
        assert_eq!(plan.districts[0].name, "Bilaspur");
        let thanas: Vec<&str> = plan.districts[0]
            .thanas
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(thanas.len(), 13);
        for expected in ["Ratanpur", "Civil Lines", "Sirgitti", "Chowki Malhar"] {
            assert!(thanas.contains(&expected), "{expected} missing");
        }
    }

    #[test]
    fn a_bad_areas_file_says_where_and_what() {
        let err = AreaPlan::parse("[[district]]\nname = \"Bilaspur\"\nthanaz = []\n").unwrap_err();
        assert!(err.starts_with("line 3: unknown field `thanaz`"), "{err}");
        let err = AreaPlan::parse(
            "[[district]]\nname = \"Bilaspur\"\nthanas = [{ name = \"Koni\" }, { name = \"Koni\" }]",
        )
        .unwrap_err();
        assert_eq!(err, "district \"Bilaspur\" lists thana \"Koni\" twice");
        let err = AreaPlan::parse("[[district]]\nname = \"  \"\n").unwrap_err();
        assert!(err.starts_with("district \"  \": "), "{err}");
        assert!(AreaPlan::parse("").is_err());
    }

    #[test]
    fn villages_roll_up_into_their_thana_and_district() {
        let area = |id, parent_id, kind| Area {
            id,
            parent_id,
            kind,
            name: format!("a{id}"),
        };
        let areas = [
            area(1, None, AreaKind::District),
            area(2, Some(1), AreaKind::Thana),
            area(3, Some(2), AreaKind::Village),
            area(4, Some(2), AreaKind::Village),
            area(5, Some(1), AreaKind::Thana),
        ];
        let own = HashMap::from([(3, 2_i64), (4, 5), (2, 1), (5, 10)]);
        let total = roll_up(&areas, &own);
        assert_eq!(total[&3], 2);
        assert_eq!(total[&4], 5);
        assert_eq!(total[&2], 8);
        assert_eq!(total[&5], 10);
        assert_eq!(total[&1], 18);
    }
}
