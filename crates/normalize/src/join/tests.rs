use proptest::prelude::*;

use super::*;

/// Feeds `lines` (offsets as in a file of them) and flushes at the end.
fn join_all(lines: &[String]) -> Vec<Joined> {
    let mut j = Joiner::new();
    let mut out = Vec::new();
    let mut offset = 0u64;
    for l in lines {
        let next = offset + l.len() as u64 + 1;
        j.push(offset, next, l, Flags::default(), &mut out);
        offset = next;
    }
    out.extend(j.flush());
    out
}

fn rec(kind: &str, serial: u32, body: &str) -> String {
    format!(
        "type={kind} msg=audit(1700000000.{:03}:{serial}): {body}",
        serial % 1000
    )
}

#[test]
fn a_syscall_event_is_one_and_a_user_record_is_one_each() {
    let lines = vec![
        rec("USER_LOGIN", 1, "msg='op=login res=success'"),
        rec("SYSCALL", 2, "syscall=59"),
        rec("EXECVE", 2, "argc=1 a0=\"ls\""),
        rec("EOE", 2, ""),
        rec("USER_END", 3, "msg='res=success'"),
        "not a record".to_owned(),
        rec("USER_LOGOUT", 4, "msg='res=success'"),
    ];
    let got = join_all(&lines);
    let texts: Vec<&str> = got.iter().map(|j| j.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            lines[0].clone(),
            lines[1..4].join("\n"),
            lines[4].clone(),
            lines[5].clone(),
            lines[6].clone()
        ]
    );
    assert_eq!(got[1].lines, 3);
    assert_eq!(got[1].offset, lines[0].len() as u64 + 1);
    assert_eq!(
        got[1].next_offset,
        lines[..4].iter().map(|l| l.len() as u64 + 1).sum::<u64>()
    );
}

#[test]
fn an_event_is_held_until_it_ends_and_flags_add_up() {
    let mut j = Joiner::new();
    let mut out = Vec::new();
    j.push(0, 10, &rec("SYSCALL", 7, "a=1"), Flags::default(), &mut out);
    let cut = Flags {
        truncated: true,
        ..Flags::default()
    };
    j.push(10, 20, &rec("PATH", 7, "item=0"), cut, &mut out);
    assert!(out.is_empty());
    assert_eq!(j.pending_offset(), Some(0));
    j.push(20, 30, &rec("EOE", 7, ""), Flags::default(), &mut out);
    assert_eq!(j.pending_offset(), None);
    assert_eq!(out.len(), 1);
    assert!(out[0].flags.truncated);
    assert_eq!(
        (out[0].offset, out[0].next_offset, out[0].lines),
        (0, 30, 3)
    );
    // Other nodes' records of the same stamp are other events.
    out.clear();
    j.push(
        0,
        1,
        &format!("node=a {}", rec("CWD", 8, "")),
        Flags::default(),
        &mut out,
    );
    j.push(
        1,
        2,
        &format!("node=b {}", rec("CWD", 8, "")),
        Flags::default(),
        &mut out,
    );
    assert_eq!(out.len(), 1);
    assert_eq!(j.flush().unwrap().offset, 1);
}

#[test]
fn a_huge_event_is_given_back_in_bounded_pieces() {
    let lines: Vec<String> = (0..MAX_RECORDS + 10)
        .map(|i| rec("PATH", 9, &format!("item={i}")))
        .collect();
    let got = join_all(&lines);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].lines, MAX_RECORDS);
    assert_eq!(got[1].lines, 10);
}

/// One event of the model: its serial, how many records, whether it ends with EOE.
#[derive(Debug, Clone)]
struct Ev {
    records: usize,
    eoe: bool,
    junk_after: bool,
}

fn events() -> impl Strategy<Value = Vec<Ev>> {
    prop::collection::vec(
        (1usize..6, any::<bool>(), prop::bool::weighted(0.1)).prop_map(|(records, eoe, junk)| Ev {
            records,
            eoe,
            junk_after: junk,
        }),
        0..30,
    )
}

proptest! {
    // Every line lands in exactly one joined text, in file order, and each event's records come
    // back together as one, wherever the caller flushes (at EOF, after any line: idle).
    #[test]
    fn every_record_lands_in_exactly_one_event(evs in events(), flush_at in prop::collection::vec(any::<bool>(), 0..200)) {
        let mut lines = Vec::new();
        let mut want: Vec<Vec<usize>> = Vec::new();
        for (i, ev) in evs.iter().enumerate() {
            // Neighbours have distinct serials; a serial may come back later.
            let serial = if i >= 2 && i % 5 == 0 { i as u32 - 1 } else { i as u32 + 1 };
            let mut group = Vec::new();
            for r in 0..ev.records {
                group.push(lines.len());
                lines.push(rec(if r == 0 { "SYSCALL" } else { "PATH" }, serial, &format!("item={r}")));
            }
            if ev.eoe {
                group.push(lines.len());
                lines.push(rec("EOE", serial, ""));
            }
            want.push(group);
            if ev.junk_after {
                want.push(vec![lines.len()]);
                lines.push(format!("junk {i}"));
            }
        }
        let mut j = Joiner::new();
        let mut out = Vec::new();
        let mut flushed_early = false;
        for (n, l) in lines.iter().enumerate() {
            j.push(n as u64, n as u64 + 1, l, Flags::default(), &mut out);
            if flush_at.get(n).copied().unwrap_or(false) && j.pending_offset().is_some() {
                out.extend(j.flush());
                flushed_early = true;
            }
        }
        out.extend(j.flush());
        // Every line exactly once, in order.
        let mut seen = Vec::new();
        for o in &out {
            let mut n = o.offset as usize;
            for part in o.text.split('\n') {
                prop_assert_eq!(part, lines[n].as_str());
                seen.push(n);
                n += 1;
            }
            prop_assert_eq!(n as u64, o.next_offset);
            prop_assert_eq!(o.lines, o.text.split('\n').count());
        }
        prop_assert_eq!(seen, (0..lines.len()).collect::<Vec<_>>());
        // Without early flushes, the joined events are exactly the model's.
        if !flushed_early {
            let got: Vec<Vec<usize>> = out
                .iter()
                .map(|o| (o.offset as usize..o.next_offset as usize).collect())
                .collect();
            prop_assert_eq!(got, want);
        }
    }
}
