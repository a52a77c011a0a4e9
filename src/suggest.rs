//! "Did you mean" suggestions.

use std::cell::Cell;

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let length = word.chars().count();
    let limit = (length / 3).max(1);
    candidates
        .into_iter()
        // The distance is at least the difference in length: skip those early.
        .filter(|&c| c != word && c.chars().count().abs_diff(length) <= limit)
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|&(d, _)| d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Suggestions among the program's own names (services, params), which may
/// number thousands: each search compares every name, so a program with
/// thousands of misspelt references would take quadratic time. A check spends
/// at most `BUDGET` comparisons; references past it are still reported, without
/// a suggestion.
pub struct Budget(Cell<usize>);

const BUDGET: usize = 200_000;

impl Default for Budget {
    fn default() -> Budget {
        Budget(Cell::new(BUDGET))
    }
}

impl Budget {
    pub fn closest<'a>(
        &self,
        word: &str,
        candidates: impl ExactSizeIterator<Item = &'a str>,
    ) -> Option<&'a str> {
        let left = self.0.get().checked_sub(candidates.len())?;
        self.0.set(left);
        closest(word, candidates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_name_and_stops_at_the_budget() {
        assert_eq!(closest("memroy", ["memory", "cpu"]), Some("memory"));
        assert_eq!(closest("Memory", ["memory"]), Some("memory"));
        assert_eq!(closest("x", ["memory"]), None);
        let names: Vec<String> = (0..BUDGET / 2).map(|i| format!("svc-{i}")).collect();
        let budget = Budget::default();
        let names = || names.iter().map(String::as_str);
        assert_eq!(budget.closest("svc-1x", names()), Some("svc-1"));
        assert_eq!(budget.closest("svc-2x", names()), Some("svc-2"));
        assert_eq!(budget.closest("svc-3x", names()), None);
    }
}
