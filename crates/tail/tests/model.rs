//! Model-based test of the tailer: random sequences of writes, partial lines, rotations
//! (rename and copytruncate, to names the globs match and to names they do not), truncation,
//! delete and recreate, and restarts from the checkpoint, so that any of these may happen while
//! no tailer runs, against a model that says which lines must come out: every complete line,
//! exactly once, except the lines of a file deleted unread while no tailer ran, which must be
//! reported lost.

use std::io::Write;
use std::path::{Path, PathBuf};

use auditlake_tail::{FileGlobs, FilePosition, TailEvent, Tailer, TailerOptions};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Write(u8),
    WritePartial,
    FinishPartial,
    Poll,
    RenameRotate,
    CopyTruncate,
    /// Rename rotation to a name the globs do not match.
    RenameOut,
    /// Copytruncate with the copy at a name the globs do not match.
    CopyTruncateOut,
    Truncate,
    DeleteRecreate,
    /// A crash, then the log is deleted before a tailer runs again: its unread lines are lost.
    DeleteWhileDown,
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u8..6).prop_map(Op::Write),
        1 => Just(Op::WritePartial),
        1 => Just(Op::FinishPartial),
        3 => Just(Op::Poll),
        1 => Just(Op::RenameRotate),
        1 => Just(Op::CopyTruncate),
        1 => Just(Op::RenameOut),
        1 => Just(Op::CopyTruncateOut),
        1 => Just(Op::Truncate),
        1 => Just(Op::DeleteRecreate),
        1 => Just(Op::DeleteWhileDown),
        2 => Just(Op::Restart),
    ]
}

struct World {
    dir: PathBuf,
    tailer: Tailer,
    checkpoint: Vec<FilePosition>,
    next: u32,
    rotations: u32,
    partial: Option<u32>,
    written: Vec<String>,
    emitted: Vec<String>,
    /// The complete lines in the current `app.log`.
    in_app: Vec<String>,
    /// A poll saw the current `app.log` content with a complete first line: the checkpoint
    /// knows it.
    app_known: bool,
    /// The running tailer holds the current `app.log` (its inode) open.
    app_open: bool,
    /// Lines of a file that left the globs unseen, held open by the running tailer only: read at
    /// its next poll, lost if it crashes first.
    held: Vec<String>,
    /// Lines deleted unread while no tailer ran.
    lost: Vec<String>,
    /// Deletions while down of a file the checkpoint knew with lines unread.
    losses_expected: usize,
    /// Losses reported for `app.log`.
    losses_reported: usize,
}

impl World {
    fn tailer(dir: &Path) -> Tailer {
        let globs = FileGlobs::new(&[format!("{}/app.log*", dir.display())], &[]).unwrap();
        Tailer::new(
            globs,
            TailerOptions {
                max_line_bytes: 4096,
                start_at_end: false,
                end_of_file_ends_line: false,
            },
        )
    }

    fn app(&self) -> PathBuf {
        self.dir.join("app.log")
    }

    fn append(&self, text: &str) {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.app())
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }

    fn poll(&mut self) {
        let mut events = self.tailer.scan(&self.checkpoint);
        let emitted = &mut self.emitted;
        self.tailer
            .read(usize::MAX, &mut events, |_, _, line| {
                emitted.push(String::from_utf8_lossy(line.bytes).into_owned())
            })
            .unwrap();
        // The checkpoint forgets what the tailer is done with and commits what was delivered.
        for e in &events {
            match e {
                TailEvent::Released { fingerprint, .. } => {
                    self.checkpoint.retain(|p| p.fingerprint != *fingerprint)
                }
                TailEvent::Lost(loss) => {
                    self.checkpoint
                        .retain(|p| p.fingerprint != loss.fingerprint);
                    if loss.path == self.app() {
                        self.losses_reported += 1;
                    }
                }
                _ => {}
            }
        }
        for pos in self.tailer.positions() {
            self.checkpoint.retain(|p| p.fingerprint != pos.fingerprint);
            self.checkpoint.push(pos);
        }
        self.app_known = !self.in_app.is_empty();
        self.app_open = self.app_known;
        self.held.clear();
    }

    /// `app.log` leaves the globs: what no tailer ever saw of it, and no tailer holds open, is
    /// never read, by anyone.
    fn leave_globs(&mut self, still_open: bool) {
        if !self.app_known {
            let unseen = self.in_app.clone();
            if still_open {
                self.held.extend(unseen);
            } else {
                self.lost.extend(unseen);
            }
        }
        self.new_app_content();
    }

    /// The current `app.log` is gone or holds new content: what it held lives on elsewhere or
    /// nowhere.
    fn new_app_content(&mut self) {
        self.in_app.clear();
        self.app_known = false;
    }

    fn truncate_app(&self) {
        std::fs::OpenOptions::new()
            .write(true)
            .open(self.app())
            .unwrap()
            .set_len(0)
            .unwrap();
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Write(n) => {
                if self.partial.is_some() {
                    return;
                }
                for _ in 0..*n {
                    let line = format!("line-{:05}", self.next);
                    self.next += 1;
                    self.append(&format!("{line}\n"));
                    self.written.push(line.clone());
                    self.in_app.push(line);
                }
            }
            Op::WritePartial => {
                if self.partial.is_none() {
                    let id = self.next;
                    self.next += 1;
                    self.append(&format!("part-{id:05}"));
                    self.partial = Some(id);
                }
            }
            Op::FinishPartial => {
                if let Some(id) = self.partial.take() {
                    self.append("-done\n");
                    self.written.push(format!("part-{id:05}-done"));
                    self.in_app.push(format!("part-{id:05}-done"));
                }
            }
            Op::Poll => self.poll(),
            Op::RenameRotate => {
                if self.partial.is_none() && self.app().exists() {
                    self.rotations += 1;
                    let to = self.dir.join(format!("app.log.r{}", self.rotations));
                    std::fs::rename(self.app(), to).unwrap();
                    self.new_app_content();
                    self.app_open = false;
                }
            }
            Op::RenameOut => {
                if self.partial.is_none() && self.app().exists() {
                    self.rotations += 1;
                    let to = self.dir.join(format!("old.r{}", self.rotations));
                    std::fs::rename(self.app(), to).unwrap();
                    self.leave_globs(self.app_open);
                    self.app_open = false;
                }
            }
            Op::CopyTruncateOut => {
                if self.partial.is_none() && self.app().exists() {
                    self.rotations += 1;
                    let to = self.dir.join(format!("old.c{}", self.rotations));
                    std::fs::copy(self.app(), to).unwrap();
                    self.truncate_app();
                    self.leave_globs(false);
                }
            }
            Op::CopyTruncate => {
                if self.partial.is_none() && self.app().exists() {
                    self.rotations += 1;
                    let to = self.dir.join(format!("app.log.c{}", self.rotations));
                    std::fs::copy(self.app(), to).unwrap();
                    self.truncate_app();
                    self.new_app_content();
                }
            }
            Op::Truncate => {
                // Lines not read before a plain truncation are gone for any reader: read first.
                if self.partial.is_none() && self.app().exists() {
                    self.poll();
                    self.truncate_app();
                    self.new_app_content();
                }
            }
            Op::DeleteRecreate => {
                // A file deleted before the tailer ever opened it is gone for any reader.
                if self.partial.is_none() && self.app().exists() {
                    self.poll();
                    std::fs::remove_file(self.app()).unwrap();
                    self.new_app_content();
                    self.app_open = false;
                }
            }
            Op::DeleteWhileDown => {
                if self.partial.is_none() && self.app().exists() {
                    self.apply(&Op::Restart);
                    let unread: Vec<String> = self
                        .in_app
                        .iter()
                        .filter(|l| !self.emitted.contains(l))
                        .cloned()
                        .collect();
                    if self.app_known && !unread.is_empty() {
                        self.losses_expected += 1;
                    }
                    self.lost.extend(unread);
                    std::fs::remove_file(self.app()).unwrap();
                    self.new_app_content();
                    self.app_open = false;
                }
            }
            Op::Restart => {
                // A crash: only the checkpoint survives.
                self.tailer = Self::tailer(&self.dir);
                self.app_open = false;
                let held = std::mem::take(&mut self.held);
                self.lost.extend(held);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_complete_line_comes_out_exactly_once(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let mut w = World {
            dir: dir.path().to_path_buf(),
            tailer: World::tailer(dir.path()),
            checkpoint: Vec::new(),
            next: 0,
            rotations: 0,
            partial: None,
            written: Vec::new(),
            emitted: Vec::new(),
            in_app: Vec::new(),
            app_known: false,
            app_open: false,
            held: Vec::new(),
            lost: Vec::new(),
            losses_expected: 0,
            losses_reported: 0,
        };
        for op in &ops {
            w.apply(op);
        }
        w.apply(&Op::FinishPartial);
        w.poll();
        let mut emitted = w.emitted.clone();
        emitted.sort();
        let mut written: Vec<String> =
            w.written.iter().filter(|l| !w.lost.contains(l)).cloned().collect();
        written.sort();
        prop_assert_eq!(emitted, written);
        prop_assert!(
            w.losses_reported >= w.losses_expected,
            "{} losses reported, {} expected",
            w.losses_reported,
            w.losses_expected
        );
    }
}
