//! Did-you-mean suggestions: the closest candidate by Levenshtein distance, if close enough to be
//! a plausible typo.

/// Edit distance between `a` and `b` (insertions, deletions, substitutions), over chars.
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate closest to `word`, if it is within a third of the word's length (at least 1;
/// at least 2 for words of 5+ chars). Case differences count as half a typo, so `Rollback`
/// finds `rollback`.
pub(crate) fn closest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let lower = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(if word.len() >= 5 { 2 } else { 1 });
    candidates
        .iter()
        .map(|c| (levenshtein(&lower, &c.to_lowercase()), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `did you mean "x"?` for a value, if a candidate is close.
pub(crate) fn did_you_mean_value(word: &str, candidates: &[&str]) -> Option<String> {
    closest(word, candidates).map(|c| format!("did you mean \"{c}\"?"))
}

/// `"a", "b", "c"`: candidates sorted and quoted, as Docker lists allowed values.
pub(crate) fn one_of(candidates: &[&str]) -> String {
    let mut sorted = candidates.to_vec();
    sorted.sort_unstable();
    let quoted: Vec<String> = sorted.iter().map(|c| format!("\"{c}\"")).collect();
    quoted.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(levenshtein("rollbak", "rollback"), 1);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }

    #[test]
    fn suggests_only_close_words() {
        let c = ["continue", "pause", "rollback"];
        assert_eq!(closest("rollbak", &c), Some("rollback"));
        assert_eq!(closest("Pause", &c), Some("pause"));
        assert_eq!(closest("explode", &c), None);
        assert_eq!(one_of(&["rollback", "pause", "continue"]), "\"continue\", \"pause\", \"rollback\"");
    }
}
