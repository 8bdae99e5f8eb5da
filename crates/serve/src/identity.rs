//! People, not ids: one person's ids in every source (`u-1001` in the application, `alice` in
//! sshd, `alice@example.com` in the identity provider), from `[[serve.identities]]`.
//!
//! Only the configuration joins ids into a person. Ids that appear together in events are not
//! joined: an event's actor fields are typed by whoever wrote the log line, and a reader's own
//! activity must not widen because a log line claims two names at once.

use std::collections::{BTreeSet, HashMap};

use crate::config::IdentityConfig;

/// The configured people, by each of their ids.
#[derive(Debug, Clone, Default)]
pub struct Identities {
    people: Vec<IdentityConfig>,
    by_id: HashMap<String, Vec<usize>>,
}

impl Identities {
    pub fn new(people: &[IdentityConfig]) -> Identities {
        let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in people.iter().enumerate() {
            for id in &p.ids {
                by_id.entry(id.clone()).or_default().push(i);
            }
        }
        Identities {
            people: people.to_vec(),
            by_id,
        }
    }

    /// The ids given and every id of a person one of them belongs to, sorted. An id that two
    /// people list is ambiguous: it widens to neither, and neither widens to it.
    pub fn expand<'a>(&self, ids: impl Iterator<Item = &'a str>) -> Vec<String> {
        let mut out = BTreeSet::new();
        for id in ids {
            out.insert(id.to_string());
            if let Some([one]) = self.by_id.get(id).map(Vec::as_slice) {
                out.extend(
                    self.people[*one]
                        .ids
                        .iter()
                        .filter(|i| !self.is_ambiguous(i))
                        .cloned(),
                );
            }
        }
        out.into_iter().collect()
    }

    /// Whether two people list the id.
    pub fn is_ambiguous(&self, id: &str) -> bool {
        self.by_id.get(id).is_some_and(|p| p.len() > 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(ids: &[&str]) -> IdentityConfig {
        IdentityConfig {
            name: None,
            ids: ids.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn an_id_expands_to_the_persons_ids() {
        let m = Identities::new(&[
            person(&["u-1001", "alice", "alice@example.com"]),
            person(&["u-2002", "bob"]),
        ]);
        assert_eq!(
            m.expand(["alice@example.com"].into_iter()),
            vec!["alice", "alice@example.com", "u-1001"]
        );
        assert_eq!(m.expand(["carol"].into_iter()), vec!["carol"]);
    }

    #[test]
    fn an_id_two_people_list_widens_to_neither() {
        let m = Identities::new(&[person(&["u-1", "admin"]), person(&["u-2", "admin"])]);
        assert!(m.is_ambiguous("admin"));
        assert_eq!(m.expand(["admin"].into_iter()), vec!["admin"]);
        assert_eq!(m.expand(["u-1"].into_iter()), vec!["u-1"]);
    }
}
