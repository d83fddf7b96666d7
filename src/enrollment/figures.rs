//! Recruitment figures and the rules for showing them: counts by status, quota progress, the
//! cascade as a tree, and small-count suppression (a count under five that describes the people
//! of one village is shown only as "fewer than five", so it cannot single anyone out).

use std::collections::HashMap;
use std::ops::AddAssign;

/// People counted by status. Erased people stay counted: their row stays, anonymous.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub active: i64,
    pub opted_out: i64,
    pub erased: i64,
}

impl StatusCounts {
    /// Everyone ever credited, whatever they did since.
    pub fn total(&self) -> i64 {
        self.active + self.opted_out + self.erased
    }
}

impl AddAssign for StatusCounts {
    fn add_assign(&mut self, other: Self) {
        self.active += other.active;
        self.opted_out += other.opted_out;
        self.erased += other.erased;
    }
}

/// What an area holds: its people (by the area they inherited) and its recruiters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AreaCounts {
    pub people: StatusCounts,
    pub recruiters: i64,
}

impl AddAssign for AreaCounts {
    fn add_assign(&mut self, other: Self) {
        self.people += other.people;
        self.recruiters += other.recruiters;
    }
}

/// One recruiter's reach.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecruiterFigures {
    /// People this recruiter's codes credited.
    pub direct: StatusCounts,
    /// People credited anywhere below this recruiter, direct recruits included.
    pub subtree: StatusCounts,
    /// Recruiters below this one (every mitan is one).
    pub subtree_recruiters: i64,
    /// Generations of people below: 0 with no recruit, 1 with direct recruits only, and so on.
    pub depth: i64,
}

/// Whole percent of the quota reached, rounded down; past 100 when the quota is beaten.
pub fn quota_percent(credited: i64, quota: i64) -> i64 {
    if quota <= 0 {
        return 0;
    }
    credited.max(0) * 100 / quota
}

/// Counts under this are never shown exactly to an audience that must not single anyone out.
pub const SMALLEST_SHOWN: i64 = 5;

/// A count as an audience may see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Exact(i64),
    /// Fewer than [`SMALLEST_SHOWN`] (zero included, so that no change from nobody to somebody
    /// shows either).
    FewerThanSmallest,
}

/// `count` as shown: exact, or hidden under five when `hide_small` (the rule for officers looking
/// at the people of a village).
pub fn shown(count: i64, hide_small: bool) -> Shown {
    if hide_small && count < SMALLEST_SHOWN {
        Shown::FewerThanSmallest
    } else {
        Shown::Exact(count)
    }
}

/// A node of the recruitment tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeNode<T> {
    pub item: T,
    pub children: Vec<TreeNode<T>>,
}

/// Builds the tree under `root` from `(id, parent, item)` rows in any order; rows not connected
/// to the root are left out. Children keep the order of the rows.
pub fn build_tree<T>(root: i64, rows: Vec<(i64, Option<i64>, T)>) -> Option<TreeNode<T>> {
    let mut items: HashMap<i64, T> = HashMap::new();
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for (id, parent, item) in rows {
        if let Some(parent) = parent.filter(|_| id != root) {
            children.entry(parent).or_default().push(id);
        }
        items.insert(id, item);
    }
    fn take<T>(
        id: i64,
        items: &mut HashMap<i64, T>,
        children: &mut HashMap<i64, Vec<i64>>,
    ) -> Option<TreeNode<T>> {
        let item = items.remove(&id)?;
        let below = children.remove(&id).unwrap_or_default();
        Some(TreeNode {
            item,
            children: below
                .into_iter()
                .filter_map(|child| take(child, items, children))
                .collect(),
        })
    }
    take(root, &mut items, &mut children)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_hidden_only_when_asked() {
        assert_eq!(shown(0, true), Shown::FewerThanSmallest);
        assert_eq!(shown(4, true), Shown::FewerThanSmallest);
        assert_eq!(shown(5, true), Shown::Exact(5));
        assert_eq!(shown(1, false), Shown::Exact(1));
    }

    #[test]
    fn quota_progress_is_whole_percent_and_may_pass_a_hundred() {
        assert_eq!(quota_percent(6, 25), 24);
        assert_eq!(quota_percent(30, 25), 120);
        assert_eq!(quota_percent(3, 0), 0);
    }

    #[test]
    fn erased_people_still_count_in_the_total() {
        let counts = StatusCounts {
            active: 3,
            opted_out: 1,
            erased: 2,
        };
        assert_eq!(counts.total(), 6);
    }

    #[test]
    fn a_tree_is_built_from_rows_in_any_order() {
        let rows = vec![
            (4, Some(2), "d"),
            (1, None, "root"),
            (2, Some(1), "b"),
            (3, Some(1), "c"),
            (9, Some(8), "stray"),
        ];
        let tree = build_tree(1, rows).unwrap();
        assert_eq!(tree.item, "root");
        let names: Vec<&str> = tree.children.iter().map(|c| c.item).collect();
        assert_eq!(names, ["b", "c"]);
        assert_eq!(tree.children[0].children[0].item, "d");
        assert!(build_tree::<&str>(7, vec![]).is_none());
    }
}
