//! Evaluating a filter over Arrow record batches.

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBuilder, RecordBatch, Scalar, StringArray,
    TimestampMicrosecondArray,
};
use arrow::compute::kernels::cmp;
use arrow::compute::{and, ilike, like, or, prep_null_mask_filter, take};
use arrow::datatypes::Int32Type;

use crate::addr::in_nets;
use crate::error::{FilterError, Result};
use crate::spec::{Atom, Filter};

impl Filter {
    /// The rows of a batch that holds (at least) [`Filter::columns`] the filter selects; nulls
    /// do not match.
    pub fn evaluate(&self, batch: &RecordBatch) -> Result<BooleanArray> {
        evaluate(&self.clauses, batch)
    }
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| FilterError::UnknownColumn {
            name: name.to_string(),
        })
}

/// Evaluates `f` over a string column of the batch: a dictionary-encoded column once per
/// distinct value, the rows then taking their value's answer (a null key stays null). Missing
/// or of another type, the column is unknown to the filter.
fn over_strings(
    batch: &RecordBatch,
    name: &str,
    f: impl Fn(&StringArray) -> Result<BooleanArray>,
) -> Result<BooleanArray> {
    let unknown = || FilterError::UnknownColumn {
        name: name.to_string(),
    };
    let col = column(batch, name)?;
    if let Some(dict) = col.as_dictionary_opt::<Int32Type>() {
        let values = dict.values().as_string_opt::<i32>().ok_or_else(unknown)?;
        let hits = f(values)?;
        let rows = take(&hits, dict.keys(), None).map_err(FilterError::arrow("filtering rows"))?;
        return Ok(rows.as_boolean().clone());
    }
    f(col.as_string_opt::<i32>().ok_or_else(unknown)?)
}

fn eval_atom(atom: &Atom, batch: &RecordBatch) -> Result<BooleanArray> {
    let err = FilterError::arrow("filtering rows");
    match atom {
        Atom::Time { since, until } => {
            let col = column(batch, "time")?;
            let tz = match col.data_type() {
                arrow::datatypes::DataType::Timestamp(_, tz) => tz.clone(),
                _ => None,
            };
            let scalar = |v: i64| {
                Scalar::new(TimestampMicrosecondArray::from(vec![v]).with_timezone_opt(tz.clone()))
            };
            let mut out = BooleanArray::from(vec![true; batch.num_rows()]);
            if let Some(lo) = since {
                out = and(&out, &cmp::gt_eq(col, &scalar(*lo)).map_err(err)?).map_err(err)?;
            }
            if let Some(hi) = until {
                out = and(&out, &cmp::lt(col, &scalar(*hi)).map_err(err)?).map_err(err)?;
            }
            Ok(out)
        }
        Atom::Eq { column: c, values } => over_strings(batch, c, |col| {
            let mut out: Option<BooleanArray> = None;
            for v in values {
                let m =
                    cmp::eq(col, &Scalar::new(StringArray::from(vec![v.as_str()]))).map_err(err)?;
                out = Some(match out {
                    None => m,
                    Some(o) => or(&o, &m).map_err(err)?,
                });
            }
            Ok(out.unwrap_or_else(|| BooleanArray::from(vec![false; col.len()])))
        }),
        Atom::Like {
            column: c,
            pattern,
            case_insensitive,
            ..
        } => over_strings(batch, c, |col| {
            let p = Scalar::new(StringArray::from(vec![pattern.as_str()]));
            if *case_insensitive {
                ilike(col, &p).map_err(err)
            } else {
                like(col, &p).map_err(err)
            }
        }),
        Atom::Glob {
            column: c,
            glob,
            prefix,
        } => over_strings(batch, c, |strings| {
            // `prefix*` and a glob without syntax need no automaton (the syntax is
            // case-sensitive and `*` crosses dots: see auditlake_event::glob).
            Ok(match glob.glob().glob().strip_prefix(prefix.as_str()) {
                Some("*") => strings
                    .iter()
                    .map(|v| v.map(|v| v.starts_with(prefix.as_str())))
                    .collect(),
                Some("") => strings.iter().map(|v| v.map(|v| v == prefix)).collect(),
                _ => strings
                    .iter()
                    .map(|v| v.map(|v| glob.is_match(v)))
                    .collect(),
            })
        }),
        Atom::Cidr { column: c, nets } => over_strings(batch, c, |strings| {
            let mut b = BooleanBuilder::with_capacity(strings.len());
            for v in strings.iter() {
                let hit = v.is_some_and(|s| in_nets(s, nets));
                b.append_value(hit);
            }
            Ok(b.finish())
        }),
        Atom::All(atoms) => {
            let mut out = BooleanArray::from(vec![true; batch.num_rows()]);
            for a in atoms {
                let m = eval_atom(a, batch)?;
                let m = if m.null_count() > 0 {
                    prep_null_mask_filter(&m)
                } else {
                    m
                };
                out = and(&out, &m).map_err(err)?;
            }
            Ok(out)
        }
    }
}

/// Evaluates clauses over a batch that holds (at least) [`Filter::columns`]; nulls do not
/// match.
pub fn evaluate(clauses: &[Vec<Atom>], batch: &RecordBatch) -> Result<BooleanArray> {
    let err = FilterError::arrow("filtering rows");
    let mut out: Option<BooleanArray> = None;
    for clause in clauses {
        let mut any: Option<BooleanArray> = None;
        for atom in clause {
            let m = eval_atom(atom, batch)?;
            let m = if m.null_count() > 0 {
                prep_null_mask_filter(&m)
            } else {
                m
            };
            any = Some(match any {
                None => m,
                Some(a) => or(&a, &m).map_err(err)?,
            });
        }
        let any = any.unwrap_or_else(|| BooleanArray::from(vec![false; batch.num_rows()]));
        out = Some(match out {
            None => any,
            Some(o) => and(&o, &any).map_err(err)?,
        });
    }
    Ok(out.unwrap_or_else(|| BooleanArray::from(vec![true; batch.num_rows()])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FilterSpec, address_forms, canonical_address, parse_net};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use chrono::Utc;
    use std::sync::Arc;

    fn batch() -> RecordBatch {
        let s = |n: &str| Field::new(n, DataType::Utf8, true);
        let schema = Schema::new(vec![
            Field::new(
                "time",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
            s("action"),
            s("src_ip"),
            s("actor_id"),
            s("actor_name"),
            s("actor_email"),
            s("message"),
            s("raw"),
        ]);
        let strs = |v: Vec<Option<&str>>| Arc::new(StringArray::from(v)) as ArrayRef;
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(
                    TimestampMicrosecondArray::from(vec![10, 20, 30, 40]).with_timezone("UTC"),
                ),
                strs(vec![
                    Some("authentication.login"),
                    Some("authentication.mfa.totp"),
                    Some("data.export"),
                    Some("auth_x"),
                ]),
                strs(vec![
                    Some("10.1.2.3"),
                    Some("192.168.0.9"),
                    None,
                    Some("2001:db8::1"),
                ]),
                strs(vec![Some("alice"), Some("bob"), None, Some("carol")]),
                strs(vec![Some("Alice A"), None, None, Some("Carol")]),
                strs(vec![Some("alice@example.com"), None, Some("x@y"), None]),
                strs(vec![None, Some("Exported 100% of it"), None, None]),
                strs(vec![None, None, None, Some("RAW line")]),
            ],
        )
        .unwrap()
    }

    fn rows(spec: FilterSpec) -> Vec<usize> {
        let f = spec.compile(Utc::now()).unwrap();
        let m = evaluate(&f.clauses, &batch()).unwrap();
        (0..m.len()).filter(|&i| m.value(i)).collect()
    }

    #[test]
    fn action_globs_use_the_shared_syntax() {
        let spec = |a: &[&str]| FilterSpec {
            actions: a.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        assert_eq!(rows(spec(&["authentication.*"])), vec![0, 1]);
        assert_eq!(rows(spec(&["auth_*"])), vec![3]);
        assert_eq!(
            rows(spec(&["*.export", "authentication.login"])),
            vec![0, 2]
        );
        assert_eq!(rows(spec(&["authentication.m??.totp"])), vec![1]);
        // the syntax of tier matches and alert rules: classes and alternatives too
        assert_eq!(rows(spec(&["authentication.{login,mfa.totp}"])), vec![0, 1]);
        assert_eq!(rows(spec(&["[d]ata.*"])), rows(spec(&["data.*"])));
        // `%` and `_` are no wildcards
        assert_eq!(rows(spec(&["auth%*"])), Vec::<usize>::new());
        let err = spec(&["a[*"]).compile(Utc::now()).unwrap_err().to_string();
        assert!(
            err.contains("--action") && err.contains("invalid glob"),
            "{err}"
        );
    }

    #[test]
    fn prefix_and_literal_globs_match_as_the_automaton_does() {
        let names = [
            "authentication.login",
            "authentication.",
            "authentication",
            "Authentication.login",
            "authentication.mfa.totp",
            "data.export",
            "a/b.c",
            "",
        ];
        let schema = std::sync::Arc::new(Schema::new(vec![Field::new(
            "action",
            DataType::Utf8,
            true,
        )]));
        let mut values: Vec<Option<&str>> = names.iter().copied().map(Some).collect();
        values.push(None);
        let batch =
            RecordBatch::try_new(schema, vec![std::sync::Arc::new(StringArray::from(values))])
                .unwrap();
        for pattern in [
            "authentication.*",
            "a*",
            "*",
            "data.export",
            "a/*",
            "authentication.**",
        ] {
            let glob = auditlake_event::glob::action_glob(pattern)
                .unwrap()
                .compile_matcher();
            let want: Vec<Option<bool>> = names
                .iter()
                .map(|n| Some(glob.is_match(n)))
                .chain([None])
                .collect();
            let atom = Atom::Glob {
                column: "action",
                glob,
                prefix: auditlake_event::glob::literal_prefix(pattern).to_string(),
            };
            let got: Vec<Option<bool>> = eval_atom(&atom, &batch).unwrap().iter().collect();
            assert_eq!(got, want, "{pattern}");
        }
    }

    #[test]
    fn ip_addresses_and_blocks() {
        let spec = |a: &[&str]| FilterSpec {
            ips: a.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        assert_eq!(rows(spec(&["10.0.0.0/8"])), vec![0]);
        assert_eq!(rows(spec(&["192.168.0.9"])), vec![1]);
        assert_eq!(rows(spec(&["10.1.2.3/32", "2001:db8::/32"])), vec![0, 3]);
        assert_eq!(rows(spec(&["10.1.2.99/24"])), vec![0]);
        assert!(parse_net("10.1.2").is_err());
        assert!(parse_net("10.0.0.0/33").is_err());
    }

    #[test]
    fn actor_matches_id_name_or_email_and_text_is_case_insensitive() {
        let actor = |a: &str| FilterSpec {
            actors: vec![a.into()],
            ..Default::default()
        };
        assert_eq!(rows(actor("alice")), vec![0]);
        assert_eq!(rows(actor("Carol")), vec![3]);
        assert_eq!(rows(actor("x@y")), vec![2]);
        let text = |t: &str| FilterSpec {
            text: Some(t.into()),
            ..Default::default()
        };
        assert_eq!(rows(text("ALICE")), vec![0]);
        assert_eq!(rows(text("100%")), vec![1]);
        assert_eq!(rows(text("raw LINE")), vec![3]);
        assert_eq!(rows(text("192.168")), vec![1]);
        assert_eq!(rows(text("_")), Vec::<usize>::new());
    }

    #[test]
    fn dictionary_columns_get_the_answers_of_plain_ones() {
        let plain = batch();
        let dict_type = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        let fields: Vec<Field> = plain
            .schema()
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Utf8 => f.as_ref().clone().with_data_type(dict_type.clone()),
                _ => f.as_ref().clone(),
            })
            .collect();
        let columns: Vec<ArrayRef> = plain
            .columns()
            .iter()
            .map(|c| match c.data_type() {
                DataType::Utf8 => arrow::compute::cast(c, &dict_type).unwrap(),
                _ => c.clone(),
            })
            .collect();
        let dict = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let specs = [
            FilterSpec {
                actions: list(&["authentication.*"]),
                ..Default::default()
            },
            FilterSpec {
                actions: list(&["*.export", "authentication.login", "auth_?"]),
                ..Default::default()
            },
            FilterSpec {
                ips: list(&["10.0.0.0/8", "2001:db8::/32"]),
                ..Default::default()
            },
            FilterSpec {
                actors: list(&["Carol"]),
                ..Default::default()
            },
            FilterSpec {
                text: Some("raw LINE".into()),
                ..Default::default()
            },
            FilterSpec {
                actor_id: Some("bob".into()),
                actions: list(&["authentication.*"]),
                ..Default::default()
            },
        ];
        for spec in specs {
            let f = spec.clone().compile(Utc::now()).unwrap();
            assert_eq!(
                evaluate(&f.clauses, &dict).unwrap(),
                evaluate(&f.clauses, &plain).unwrap(),
                "{spec:?}"
            );
        }
    }

    #[test]
    fn time_range_is_half_open() {
        let f = Filter {
            clauses: vec![vec![Atom::Time {
                since: Some(20),
                until: Some(40),
            }]],
            ..Default::default()
        };
        let m = evaluate(&f.clauses, &batch()).unwrap();
        assert_eq!(m, BooleanArray::from(vec![false, true, true, false]));
    }

    #[test]
    fn an_address_matches_the_forms_applications_write() {
        let spec = |a: &[&str]| FilterSpec {
            ips: a.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let forms = address_forms("2001:db8::1".parse().unwrap());
        assert!(
            forms.contains(&"2001:db8:0:0:0:0:0:1".to_string()),
            "{forms:?}"
        );
        assert!(forms.contains(&"2001:DB8::1".to_string()), "{forms:?}");
        assert!(forms.contains(&"2001:0db8:0000:0000:0000:0000:0000:0001".to_string()));
        assert_eq!(
            address_forms("::ffff:10.1.2.3".parse().unwrap()),
            address_forms("10.1.2.3".parse().unwrap())
        );
        // Row 3 is 2001:db8::1: asked for in another form, it still matches.
        assert_eq!(rows(spec(&["2001:0DB8:0:0::1"])), vec![3]);
        assert_eq!(
            canonical_address("::ffff:10.1.2.3").as_deref(),
            Some("10.1.2.3")
        );
        assert_eq!(canonical_address("nope"), None);
    }

    #[test]
    fn a_subject_is_the_actor_or_the_user_an_account_event_is_about() {
        let schema = Arc::new(Schema::new(
            [
                "action",
                "actor_id",
                "actor_name",
                "actor_email",
                "resource_type",
                "resource_id",
            ]
            .map(|n| Field::new(n, DataType::Utf8, true))
            .to_vec(),
        ));
        let col = |v: Vec<Option<&str>>| Arc::new(StringArray::from(v)) as ArrayRef;
        let b = RecordBatch::try_new(
            schema,
            vec![
                col(vec![
                    Some("authentication.login"),
                    Some("account.lock"),
                    Some("resource.update"),
                    Some("account.lock"),
                ]),
                col(vec![
                    Some("u-1"),
                    Some("admin"),
                    Some("admin"),
                    Some("admin"),
                ]),
                col(vec![None, None, None, None]),
                col(vec![Some("a@x"), None, None, None]),
                col(vec![None, Some("user"), Some("user"), Some("user")]),
                col(vec![None, Some("u-1"), Some("u-1"), Some("u-2")]),
            ],
        )
        .unwrap();
        let mut f = Filter::default();
        f.push_subject("a@x", &["u-1".to_string()]);
        let m = evaluate(&f.clauses, &b).unwrap();
        assert_eq!(m, BooleanArray::from(vec![true, true, false, false]));
    }

    #[test]
    fn a_row_and_its_event_get_the_same_answer() {
        use auditlake_event::{AuditEvent, Outcome, to_record_batch};
        let event = |id: &str, time: i64, action: &str, actor: (&str, &str), ip: &str| AuditEvent {
            event_id: id.into(),
            time,
            category: action.split('.').next().unwrap().into(),
            action: action.into(),
            outcome: if id.ends_with('f') {
                Outcome::Failure
            } else {
                Outcome::Success
            },
            actor_id: Some(actor.0.into()),
            actor_email: Some(actor.1.into()),
            src_ip: Some(ip.into()),
            resource_type: Some("user".into()),
            resource_id: Some("u-2".into()),
            ..Default::default()
        };
        let day = 86_400_000_000_i64;
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-21T00:00:00Z")
            .unwrap()
            .timestamp_micros();
        let events = vec![
            event(
                "1",
                t0 - 1,
                "authentication.login",
                ("u-1", "a@x"),
                "10.0.0.1",
            ),
            event(
                "2f",
                t0 + 1,
                "authentication.login",
                ("u-1", "a@x"),
                "::ffff:10.0.0.2",
            ),
            event(
                "3",
                t0 + day - 1,
                "account.lock",
                ("admin", "root@x"),
                "2001:db8::1",
            ),
            event("4f", t0 + day, "data.export", ("u-2", "b@x"), "192.168.1.1"),
        ];
        let batch = to_record_batch(&events).unwrap();
        let spec = |f: fn(&mut FilterSpec)| {
            let mut s = FilterSpec::default();
            f(&mut s);
            s
        };
        let specs = [
            spec(|s| s.until = Some("2026-11-21".into())),
            spec(|s| s.since = Some("2026-11-21".into())),
            spec(|s| s.actors = vec!["a@x".into(), "u-2".into()]),
            spec(|s| s.actions = vec!["auth*".into(), "data.export".into()]),
            spec(|s| s.outcomes = vec!["failure".into()]),
            spec(|s| s.ips = vec!["10.0.0.0/8".into(), "2001:db8::1".into()]),
            spec(|s| s.resource = Some("user:u-2".into())),
            spec(|s| s.text = Some("ROOT".into())),
            spec(|s| s.categories = vec!["account".into()]),
        ];
        let now = Utc::now();
        for s in specs {
            let f = s.compile(now).unwrap();
            let rows = f.evaluate(&batch).unwrap();
            let one_by_one: Vec<bool> = events.iter().map(|e| f.matches(e)).collect();
            let by_rows: Vec<bool> = (0..rows.len()).map(|i| rows.value(i)).collect();
            assert_eq!(by_rows, one_by_one, "{s:?}");
        }
        let mut f = Filter::default();
        f.push_subject("b@x", &["u-2".to_string()]);
        let rows = f.evaluate(&batch).unwrap();
        let by_rows: Vec<bool> = (0..rows.len()).map(|i| rows.value(i)).collect();
        let one_by_one: Vec<bool> = events.iter().map(|e| f.matches(e)).collect();
        assert_eq!(by_rows, one_by_one);
        assert_eq!(by_rows, [false, false, true, true]);
    }
}
