//! Pruning row groups: what their statistics and bloom filters say of a filter.

use parquet::file::metadata::RowGroupMetaData;
use parquet::file::statistics::Statistics;

use crate::spec::{Atom, Filter};

/// What the statistics of a row group say of an atom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No row of the row group can match.
    No,
    /// Some row may match.
    Maybe,
}

impl Filter {
    /// What the row group's statistics say of each atom, clause by clause. `column` gives the
    /// index of a column in the file.
    pub fn stats_verdicts(
        &self,
        rg: &RowGroupMetaData,
        column: &dyn Fn(&str) -> Option<usize>,
    ) -> Vec<Vec<Verdict>> {
        self.clauses
            .iter()
            .map(|clause| clause.iter().map(|a| atom_verdict(a, rg, column)).collect())
            .collect()
    }
}

fn string_stats(s: &Statistics) -> Option<(&[u8], &[u8])> {
    match s {
        Statistics::ByteArray(_) => Some((s.min_bytes_opt()?, s.max_bytes_opt()?)),
        _ => None,
    }
}

/// Whether statistics rule an atom out for a row group.
fn atom_verdict(
    atom: &Atom,
    rg: &RowGroupMetaData,
    column: &dyn Fn(&str) -> Option<usize>,
) -> Verdict {
    let stats = |name: &str| column(name).and_then(|i| rg.column(i).statistics());
    let all_null = |s: &Statistics| s.null_count_opt() == Some(rg.num_rows() as u64);
    let verdict = |b: bool| if b { Verdict::Maybe } else { Verdict::No };
    match atom {
        Atom::Time { since, until } => match stats("time") {
            Some(Statistics::Int64(s)) => match (s.min_opt(), s.max_opt()) {
                (Some(&min), Some(&max)) => {
                    verdict(since.is_none_or(|lo| max >= lo) && until.is_none_or(|hi| min < hi))
                }
                _ => Verdict::Maybe,
            },
            _ => Verdict::Maybe,
        },
        Atom::Eq { column, values } => {
            let Some(s) = stats(column) else {
                return Verdict::Maybe;
            };
            if all_null(s) {
                return Verdict::No;
            }
            match string_stats(s) {
                Some((min, max)) => verdict(
                    values
                        .iter()
                        .any(|v| min <= v.as_bytes() && v.as_bytes() <= max),
                ),
                None => Verdict::Maybe,
            }
        }
        Atom::Like {
            column,
            prefix,
            case_insensitive,
            ..
        } => {
            let Some(s) = stats(column) else {
                return Verdict::Maybe;
            };
            if all_null(s) {
                return Verdict::No;
            }
            if *case_insensitive || prefix.is_empty() {
                return Verdict::Maybe;
            }
            match string_stats(s) {
                Some((min, max)) => {
                    let p = prefix.as_bytes();
                    // Some value in [min, max] starts with p.
                    verdict(max >= p && (min <= p || min.starts_with(p)))
                }
                None => Verdict::Maybe,
            }
        }
        Atom::Glob { column, prefix, .. } => {
            let Some(s) = stats(column) else {
                return Verdict::Maybe;
            };
            if all_null(s) {
                return Verdict::No;
            }
            match string_stats(s) {
                Some((min, max)) if !prefix.is_empty() => {
                    let p = prefix.as_bytes();
                    verdict(max >= p && (min <= p || min.starts_with(p)))
                }
                _ => Verdict::Maybe,
            }
        }
        Atom::Cidr { column, .. } => match stats(column) {
            Some(s) if all_null(s) => Verdict::No,
            _ => Verdict::Maybe,
        },
        Atom::All(atoms) => {
            if atoms
                .iter()
                .any(|a| atom_verdict(a, rg, column) == Verdict::No)
            {
                Verdict::No
            } else {
                Verdict::Maybe
            }
        }
    }
}

/// The equalities on columns with bloom filters that can rule an atom out: an equality itself,
/// or any equality of a conjunction (one that fails fails the conjunction).
pub fn bloom_probes(atom: &Atom) -> Vec<(&'static str, &[String])> {
    match atom {
        Atom::Eq { column, values }
            if auditlake_event::schema::BLOOM_FILTER_COLUMNS.contains(column) =>
        {
            vec![(*column, values.as_slice())]
        }
        Atom::All(atoms) => atoms
            .iter()
            .filter(|a| matches!(a, Atom::Eq { .. }))
            .flat_map(bloom_probes)
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether a clause can only be ruled out by bloom filters: every atom the statistics left
/// open has an equality on a column with bloom filters.
pub fn bloom_checkable(clause: &[Atom], verdicts: &[Verdict]) -> bool {
    clause
        .iter()
        .zip(verdicts)
        .all(|(a, v)| *v == Verdict::No || !bloom_probes(a).is_empty())
}
