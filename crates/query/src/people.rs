//! People, not ids: which actor ids, usernames and e-mails are one person.
//!
//! A person is joined from two kinds of evidence:
//!
//! - **configured** (`[[identity.people]]`): ids an operator says are one person, and
//! - **learned**: an event whose actor carries several ids at once (its `actor_id` with an
//!   `actor_name` or `actor_email`) links them, e.g. the application's `u-1001` with the
//!   username `alice`, which is sshd's `actor_id`. Only the sources in `learn_sources` teach
//!   (every source when the list is empty); `learn = false` keeps to the configuration.
//!
//! An alias is **ambiguous** when it would join two people: two configured people list it, two
//! different `actor_id`s carry it, or it is a configured person's id and an id outside that
//! person carries it.
//! An ambiguous alias joins no one; [`People::ambiguous`] lists it with who claims it, so that
//! a page can say why two ids were not merged. A person's own activity (the `user` role) is
//! widened only through links that are not ambiguous.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use arrow::array::{Array, AsArray, StringArray};
use auditlake_filter::FilterSpec;
use auditlake_storage::ObjectStore;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{QueryError, Result};

/// `[identity]`: how ids are joined into people.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// Learn links from events that carry several of a person's ids together.
    #[serde(default = "yes")]
    pub learn: bool,
    /// The sources whose events teach links; every source when empty. Leave out a source
    /// where people choose their own display names or usernames freely.
    #[serde(default)]
    pub learn_sources: Vec<String>,
    /// How often `auditlake serve` learns again from the archive, in seconds.
    #[serde(default = "default_learn_interval_secs")]
    pub learn_interval_secs: u64,
    /// People with several ids (`[[identity.people]]`).
    #[serde(default)]
    pub people: Vec<PersonConfig>,
}

fn yes() -> bool {
    true
}
fn default_learn_interval_secs() -> u64 {
    600
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            learn: true,
            learn_sources: Vec::new(),
            learn_interval_secs: default_learn_interval_secs(),
            people: Vec::new(),
        }
    }
}

impl IdentityConfig {
    /// Checks what serde cannot; errors name the key.
    pub fn validate(&self) -> std::result::Result<(), String> {
        for (i, p) in self.people.iter().enumerate() {
            if p.ids.is_empty() || p.ids.iter().any(|id| id.trim().is_empty()) {
                return Err(format!("identity.people[{i}].ids: empty id or no ids"));
            }
        }
        if self.learn_sources.iter().any(|s| s.is_empty()) {
            return Err("identity.learn_sources: an empty source name".into());
        }
        Ok(())
    }
}

/// `[[identity.people]]`: one person's ids in every source (`u-1001`, `alice`,
/// `alice@example.com`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PersonConfig {
    /// The name shown for the person; the first id when absent.
    #[serde(default)]
    pub name: Option<String>,
    pub ids: Vec<String>,
}

/// One person: every id joined to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    /// The id the person is shown and grouped by: the first configured id, else the
    /// `actor_id` seen most often.
    pub key: String,
    /// The configured name, else the `actor_name` seen most often with the key.
    pub name: Option<String>,
    /// Every id of the person, sorted (the key among them).
    pub ids: Vec<String>,
    /// Whether an operator configured the person.
    pub configured: bool,
    /// The links learned from events: which id carried which alias, where, how often.
    pub learned: Vec<Link>,
}

/// An `actor_id` seen carrying an alias (its `actor_name` or `actor_email`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub actor_id: String,
    pub alias: String,
    /// Events, by source.
    pub sources: BTreeMap<String, u64>,
}

/// An alias that would join several people, and who claims it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ambiguous {
    pub alias: String,
    /// The ids (or configured people, by their first id) it would join.
    pub claimed_by: Vec<String>,
    /// Why it joined no one.
    pub why: &'static str,
}

/// Evidence gathered from events, turned into [`People`] by [`PeopleBuilder::finish`].
#[derive(Debug, Default)]
pub struct PeopleBuilder {
    configured: Vec<PersonConfig>,
    /// alias -> actor_id -> source -> events.
    claims: HashMap<String, HashMap<String, BTreeMap<String, u64>>>,
    /// actor_id -> events, and its names with their counts.
    seen: HashMap<String, (u64, HashMap<String, u64>)>,
    learn_sources: Option<BTreeSet<String>>,
}

impl PeopleBuilder {
    pub fn new(config: &IdentityConfig) -> PeopleBuilder {
        PeopleBuilder {
            configured: config.people.clone(),
            learn_sources: (!config.learn_sources.is_empty())
                .then(|| config.learn_sources.iter().cloned().collect()),
            ..Default::default()
        }
    }

    /// One event's actor.
    pub fn observe(
        &mut self,
        source: &str,
        actor_id: Option<&str>,
        name: Option<&str>,
        email: Option<&str>,
    ) {
        self.observe_n(source, actor_id, name, email, 1);
    }

    /// `n` events of the same actor.
    pub fn observe_n(
        &mut self,
        source: &str,
        actor_id: Option<&str>,
        name: Option<&str>,
        email: Option<&str>,
        n: u64,
    ) {
        let Some(id) = actor_id.filter(|i| !i.is_empty()) else {
            return;
        };
        let seen = self.seen.entry_ref_or_default(id);
        seen.0 += n;
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            *seen.1.entry_ref_or_default(name) += n;
        }
        if self
            .learn_sources
            .as_ref()
            .is_some_and(|s| !s.contains(source))
        {
            return;
        }
        for alias in [name, email].into_iter().flatten() {
            if alias.is_empty() || alias == id {
                continue;
            }
            *self
                .claims
                .entry_ref_or_default(alias)
                .entry_ref_or_default(id)
                .entry_ref_or_default(source) += n;
        }
    }

    /// Joins the evidence into people.
    pub fn finish(self) -> People {
        let mut ambiguous: BTreeMap<String, Ambiguous> = BTreeMap::new();
        // Configured people: an id two of them list joins neither.
        let mut owner: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, p) in self.configured.iter().enumerate() {
            for id in p.ids.iter().collect::<BTreeSet<_>>() {
                owner.entry(id).or_default().push(i);
            }
        }
        for (id, who) in &owner {
            if who.len() > 1 {
                ambiguous.insert(
                    id.to_string(),
                    Ambiguous {
                        alias: id.to_string(),
                        claimed_by: who
                            .iter()
                            .map(|&i| self.configured[i].ids[0].clone())
                            .collect(),
                        why: "configured for several people",
                    },
                );
            }
        }
        let configured_of = |id: &str| match owner.get(id).map(Vec::as_slice) {
            Some([one]) => Some(*one),
            _ => None,
        };
        let mut uf = UnionFind::default();
        for p in &self.configured {
            let ids: Vec<&str> = p
                .ids
                .iter()
                .map(String::as_str)
                .filter(|id| !ambiguous.contains_key(*id))
                .collect();
            for id in &ids {
                uf.add(id);
            }
            for w in ids.windows(2) {
                uf.union(w[0], w[1]);
            }
        }
        // Learned links: an alias carried by one actor id only, and not tying two configured
        // people together.
        let mut links: Vec<Link> = Vec::new();
        let mut claims: Vec<_> = self.claims.into_iter().collect();
        claims.sort_by(|a, b| a.0.cmp(&b.0));
        for (alias, by) in claims {
            if ambiguous.contains_key(&alias) {
                continue;
            }
            let mut ids: Vec<&String> = by.keys().collect();
            ids.sort();
            // Claimers that one configured person already joins count as one.
            let people: BTreeSet<String> = ids
                .iter()
                .map(|id| match configured_of(id) {
                    Some(p) => format!("\0{p}"),
                    None => id.to_string(),
                })
                .collect();
            if people.len() > 1 {
                ambiguous.insert(
                    alias.clone(),
                    Ambiguous {
                        alias: alias.clone(),
                        claimed_by: ids.iter().map(|s| s.to_string()).collect(),
                        why: "carried by several actor ids",
                    },
                );
                continue;
            }
            // A configured person is closed: an id outside it that carries one of its ids
            // does not join it (an account named after someone is not that someone).
            if let Some(a) = configured_of(&alias) {
                if configured_of(ids[0]) != Some(a) {
                    ambiguous.insert(
                        alias.clone(),
                        Ambiguous {
                            alias: alias.clone(),
                            claimed_by: vec![self.configured[a].ids[0].clone(), ids[0].clone()],
                            why: "an id of a configured person, carried by another id",
                        },
                    );
                    continue;
                }
            }
            for (id, sources) in by {
                uf.add(&id);
                uf.add(&alias);
                uf.union(&id, &alias);
                links.push(Link {
                    actor_id: id,
                    alias: alias.clone(),
                    sources,
                });
            }
        }
        // Components of more than one id are people.
        let mut groups: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
        for id in uf.ids() {
            let root = uf.find_index(&id);
            groups.entry(root).or_default().insert(id);
        }
        let mut persons: Vec<Person> = Vec::new();
        for ids in groups.into_values().filter(|g| g.len() > 1) {
            let conf = ids.iter().find_map(|id| configured_of(id));
            let key = match conf {
                Some(p) => self.configured[p].ids[0].clone(),
                None => ids
                    .iter()
                    .filter(|id| self.seen.contains_key(*id))
                    .max_by(|a, b| self.seen[*a].0.cmp(&self.seen[*b].0).then_with(|| b.cmp(a)))
                    .unwrap_or_else(|| ids.first().expect("a group has ids"))
                    .clone(),
            };
            let name = conf
                .and_then(|p| self.configured[p].name.clone())
                .or_else(|| {
                    self.seen.get(&key).and_then(|(_, names)| {
                        names
                            .iter()
                            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                            .map(|(n, _)| n.clone())
                    })
                });
            let learned: Vec<Link> = links
                .iter()
                .filter(|l| ids.contains(&l.actor_id))
                .cloned()
                .collect();
            persons.push(Person {
                key,
                name,
                ids: ids.into_iter().collect(),
                configured: conf.is_some(),
                learned,
            });
        }
        persons.sort_by(|a, b| a.key.cmp(&b.key));
        let by_id = persons
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.ids.iter().map(move |id| (id.clone(), i)))
            .collect();
        People {
            persons,
            by_id,
            ambiguous: ambiguous.into_values().collect(),
        }
    }
}

/// Who is who: every person of more than one id, and the aliases that joined no one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct People {
    persons: Vec<Person>,
    by_id: HashMap<String, usize>,
    ambiguous: Vec<Ambiguous>,
}

impl People {
    /// The configured people only, without looking at events.
    pub fn configured(config: &IdentityConfig) -> People {
        PeopleBuilder::new(config).finish()
    }

    /// The configured people and what the archive's events teach (within `filter`, which a
    /// reader's scope does not narrow: the map is the archive's, not a reader's).
    pub async fn learn(
        store: Arc<dyn ObjectStore>,
        config: &IdentityConfig,
        filter: FilterSpec,
        now: DateTime<Utc>,
    ) -> Result<People> {
        let mut b = PeopleBuilder::new(config);
        if config.learn {
            let columns = ["source", "actor_id", "actor_name", "actor_email"];
            crate::reports::scan(&store, filter, &columns, now, |batch| {
                let col = |n: &str| -> Result<&StringArray> {
                    batch
                        .column_by_name(n)
                        .and_then(|c| c.as_string_opt::<i32>())
                        .ok_or_else(|| QueryError::UnknownColumn { name: n.into() })
                };
                let (s, id, name, email) = (
                    col("source")?,
                    col("actor_id")?,
                    col("actor_name")?,
                    col("actor_email")?,
                );
                // Objects are sorted by actor: a run of rows of one actor is observed once.
                let row = |i| (opt(s, i), opt(id, i), opt(name, i), opt(email, i));
                let rows = batch.num_rows();
                let mut start = 0;
                while start < rows {
                    let run = row(start);
                    let end = (start + 1..rows).find(|&i| row(i) != run).unwrap_or(rows);
                    let (source, id, name, email) = run;
                    b.observe_n(source.unwrap_or(""), id, name, email, (end - start) as u64);
                    start = end;
                }
                Ok(())
            })
            .await?;
        }
        Ok(b.finish())
    }

    /// Every person of more than one id, by key.
    pub fn persons(&self) -> &[Person] {
        &self.persons
    }

    /// The person an id belongs to.
    pub fn person_of(&self, id: &str) -> Option<&Person> {
        self.by_id.get(id).map(|&i| &self.persons[i])
    }

    /// The id a row is grouped under: its person's key, or the id itself.
    pub fn key_of<'a>(&'a self, id: &'a str) -> &'a str {
        self.person_of(id).map_or(id, |p| p.key.as_str())
    }

    /// The ids given and every id of the people they belong to, sorted and distinct.
    pub fn expand<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut out = BTreeSet::new();
        for id in ids {
            out.insert(id.to_string());
            if let Some(p) = self.person_of(id) {
                out.extend(p.ids.iter().cloned());
            }
        }
        out.into_iter().collect()
    }

    /// Aliases that joined no one, sorted.
    pub fn ambiguous(&self) -> &[Ambiguous] {
        &self.ambiguous
    }

    /// The ambiguous aliases that concern any of `ids` (claimed by one of them, or one of them).
    pub fn ambiguous_for<'a>(&'a self, ids: &'a [String]) -> impl Iterator<Item = &'a Ambiguous> {
        self.ambiguous
            .iter()
            .filter(move |a| ids.contains(&a.alias) || a.claimed_by.iter().any(|c| ids.contains(c)))
    }
}

fn opt(a: &StringArray, i: usize) -> Option<&str> {
    a.is_valid(i).then(|| a.value(i))
}

/// A union-find over string ids.
#[derive(Debug, Default)]
struct UnionFind {
    index: HashMap<String, usize>,
    names: Vec<String>,
    parent: Vec<usize>,
}

impl UnionFind {
    fn add(&mut self, id: &str) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.parent.len();
        self.parent.push(i);
        self.names.push(id.to_string());
        self.index.insert(id.to_string(), i);
        i
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: &str, b: &str) {
        let (a, b) = (self.add(a), self.add(b));
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }

    fn find_index(&mut self, id: &str) -> usize {
        let i = self.index[id];
        self.root(i)
    }

    fn ids(&self) -> Vec<String> {
        self.names.clone()
    }
}

/// `HashMap::entry` without allocating the key when it is present.
trait EntryRef<V> {
    fn entry_ref_or_default(&mut self, key: &str) -> &mut V;
}

impl<V: Default> EntryRef<V> for HashMap<String, V> {
    fn entry_ref_or_default(&mut self, key: &str) -> &mut V {
        if !self.contains_key(key) {
            self.insert(key.to_string(), V::default());
        }
        self.get_mut(key).expect("just inserted")
    }
}

impl<V: Default> EntryRef<V> for BTreeMap<String, V> {
    fn entry_ref_or_default(&mut self, key: &str) -> &mut V {
        if !self.contains_key(key) {
            self.insert(key.to_string(), V::default());
        }
        self.get_mut(key).expect("just inserted")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, ids: &[&str]) -> PersonConfig {
        PersonConfig {
            name: Some(name.into()),
            ids: ids.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn config(people: Vec<PersonConfig>) -> IdentityConfig {
        IdentityConfig {
            people,
            ..Default::default()
        }
    }

    fn learned(
        config: &IdentityConfig,
        events: &[(&str, &str, Option<&str>, Option<&str>)],
    ) -> People {
        let mut b = PeopleBuilder::new(config);
        for (s, id, n, e) in events {
            b.observe(s, Some(id), *n, *e);
        }
        b.finish()
    }

    #[test]
    fn a_configured_id_expands_to_the_persons_ids() {
        let m = People::configured(&config(vec![
            person("Alice", &["u-1001", "alice", "alice@example.com"]),
            person("Bob", &["u-2002", "bob"]),
        ]));
        assert_eq!(
            m.expand(["alice@example.com"]),
            vec!["alice", "alice@example.com", "u-1001"]
        );
        assert_eq!(m.expand(["carol"]), vec!["carol"]);
        assert_eq!(m.person_of("bob").unwrap().name.as_deref(), Some("Bob"));
        assert_eq!(m.key_of("bob"), "u-2002");
    }

    #[test]
    fn an_id_two_configured_people_list_joins_neither() {
        let m = People::configured(&config(vec![
            person("One", &["u-1", "admin"]),
            person("Two", &["u-2", "admin"]),
        ]));
        assert_eq!(m.expand(["admin"]), vec!["admin"]);
        assert_eq!(m.expand(["u-1"]), vec!["u-1"]);
        assert_eq!(m.ambiguous()[0].alias, "admin");
        assert_eq!(m.ambiguous()[0].claimed_by, vec!["u-1", "u-2"]);
    }

    #[test]
    fn an_event_carrying_an_id_and_a_username_joins_them_across_sources() {
        let m = learned(
            &IdentityConfig::default(),
            &[
                ("billing", "u-1002", Some("bob"), None),
                ("idp", "u-1002", Some("Bob Chen"), Some("bob@example.com")),
                ("idp", "u-1002", Some("Bob Chen"), Some("bob@example.com")),
                ("sshd", "bob", None, None),
            ],
        );
        let p = m.person_of("bob").expect("sshd's bob is u-1002");
        assert_eq!(p.key, "u-1002");
        assert_eq!(p.name.as_deref(), Some("Bob Chen"));
        assert_eq!(p.ids, vec!["Bob Chen", "bob", "bob@example.com", "u-1002"]);
        assert!(!p.configured);
        let bob = p.learned.iter().find(|l| l.alias == "bob").unwrap();
        assert_eq!(bob.sources, BTreeMap::from([("billing".to_string(), 1)]));
    }

    #[test]
    fn an_alias_two_actor_ids_carry_joins_neither_and_is_reported() {
        let m = learned(
            &IdentityConfig::default(),
            &[
                ("app", "u-1", Some("admin"), Some("one@example.com")),
                ("app", "u-2", Some("admin"), None),
                ("sshd", "admin", None, None),
            ],
        );
        assert_eq!(m.expand(["admin"]), vec!["admin"]);
        assert_eq!(m.expand(["u-2"]), vec!["u-2"]);
        assert_eq!(m.expand(["u-1"]), vec!["one@example.com", "u-1"]);
        let a = &m.ambiguous()[0];
        assert_eq!(
            (a.alias.as_str(), a.why),
            ("admin", "carried by several actor ids")
        );
        assert_eq!(a.claimed_by, vec!["u-1", "u-2"]);
        let ids = ["u-2".to_string()];
        let mine: Vec<_> = m.ambiguous_for(&ids).collect();
        assert_eq!(mine.len(), 1);
    }

    #[test]
    fn a_learned_link_between_two_configured_people_is_refused() {
        let c = config(vec![
            person("Alice", &["u-1", "alice"]),
            person("Mallory", &["u-9", "mallory"]),
        ]);
        // Mallory's account carries the username alice.
        let m = learned(&c, &[("app", "u-9", Some("alice"), None)]);
        assert_eq!(m.expand(["u-9"]), vec!["mallory", "u-9"]);
        assert_eq!(m.expand(["u-1"]), vec!["alice", "u-1"]);
        assert_eq!(
            m.ambiguous()[0].why,
            "an id of a configured person, carried by another id"
        );
        // Nor does an unconfigured account named after a configured person join them.
        let m = learned(&c, &[("app", "u-5", Some("alice"), None)]);
        assert_eq!(m.expand(["u-5"]), vec!["u-5"]);
        assert_eq!(m.expand(["alice"]), vec!["alice", "u-1"]);
    }

    #[test]
    fn two_ids_of_one_configured_person_may_carry_the_same_alias() {
        let c = config(vec![person("Alice", &["u-1", "alice"])]);
        let m = learned(
            &c,
            &[
                ("app", "u-1", Some("Alice Martin"), None),
                ("wiki", "alice", Some("Alice Martin"), None),
            ],
        );
        assert!(m.ambiguous().is_empty());
        assert_eq!(m.expand(["alice"]), vec!["Alice Martin", "alice", "u-1"]);
        assert!(m.person_of("Alice Martin").unwrap().configured);
    }

    #[test]
    fn only_the_learn_sources_teach() {
        let c = IdentityConfig {
            learn_sources: vec!["idp".into()],
            ..Default::default()
        };
        let m = learned(
            &c,
            &[
                ("forum", "u-7", Some("alice"), None),
                ("idp", "u-1", Some("alice2"), None),
            ],
        );
        assert_eq!(m.expand(["u-7"]), vec!["u-7"]);
        assert_eq!(m.expand(["u-1"]), vec!["alice2", "u-1"]);
    }

    #[test]
    fn a_person_of_one_id_is_no_person() {
        let m = learned(&IdentityConfig::default(), &[("sshd", "root", None, None)]);
        assert!(m.persons().is_empty());
        assert_eq!(m.key_of("root"), "root");
    }

    #[test]
    fn validate_names_the_key() {
        let c = config(vec![person("x", &["u-1", " "])]);
        assert_eq!(
            c.validate().unwrap_err(),
            "identity.people[0].ids: empty id or no ids"
        );
    }
}
