//! Model-based test of the tailer: random sequences of writes, partial lines, rotations
//! (rename and copytruncate), truncation, delete and recreate, and restarts from the checkpoint,
//! against a model that says which lines must come out: every complete line, exactly once.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use auditlake_tail::{FileGlobs, FileId, Tailer, TailerOptions};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Write(u8),
    WritePartial,
    FinishPartial,
    Poll,
    RenameRotate,
    CopyTruncate,
    Truncate,
    DeleteRecreate,
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
        1 => Just(Op::Truncate),
        1 => Just(Op::DeleteRecreate),
        1 => Just(Op::Restart),
    ]
}

struct World {
    dir: PathBuf,
    tailer: Tailer,
    checkpoint: HashMap<u64, u64>,
    next: u32,
    rotations: u32,
    partial: Option<u32>,
    written: Vec<String>,
    emitted: Vec<String>,
}

impl World {
    fn tailer(dir: &Path) -> Tailer {
        let globs = FileGlobs::new(&[format!("{}/app.log*", dir.display())], &[]).unwrap();
        Tailer::new(
            globs,
            TailerOptions {
                max_line_bytes: 4096,
                start_at_end: false,
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
        let cp = self.checkpoint.clone();
        let resume = move |fp: u64, _: FileId| cp.get(&fp).copied();
        let mut events = self.tailer.scan(&resume);
        let emitted = &mut self.emitted;
        self.tailer
            .read(usize::MAX, &mut events, |_, _, line| {
                emitted.push(String::from_utf8_lossy(line.bytes).into_owned())
            })
            .unwrap();
        // The checkpoint commits what was delivered.
        for p in self.tailer.positions() {
            self.checkpoint.insert(p.fingerprint, p.offset);
        }
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
                    self.written.push(line);
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
                }
            }
            Op::Poll => self.poll(),
            Op::RenameRotate => {
                if self.partial.is_none() && self.app().exists() {
                    self.rotations += 1;
                    let to = self.dir.join(format!("app.log.r{}", self.rotations));
                    std::fs::rename(self.app(), to).unwrap();
                }
            }
            Op::CopyTruncate => {
                if self.partial.is_none() && self.app().exists() {
                    self.rotations += 1;
                    let to = self.dir.join(format!("app.log.c{}", self.rotations));
                    std::fs::copy(self.app(), to).unwrap();
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open(self.app())
                        .unwrap()
                        .set_len(0)
                        .unwrap();
                }
            }
            Op::Truncate => {
                // Lines not read before a plain truncation are gone for any reader: read first.
                if self.partial.is_none() && self.app().exists() {
                    self.poll();
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open(self.app())
                        .unwrap()
                        .set_len(0)
                        .unwrap();
                }
            }
            Op::DeleteRecreate => {
                // A file deleted before the tailer ever opened it is gone for any reader.
                if self.partial.is_none() && self.app().exists() {
                    self.poll();
                    std::fs::remove_file(self.app()).unwrap();
                }
            }
            Op::Restart => {
                // A crash: only the checkpoint survives.
                self.tailer = Self::tailer(&self.dir);
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
            checkpoint: HashMap::new(),
            next: 0,
            rotations: 0,
            partial: None,
            written: Vec::new(),
            emitted: Vec::new(),
        };
        for op in &ops {
            w.apply(op);
        }
        w.apply(&Op::FinishPartial);
        w.poll();
        let mut emitted = w.emitted.clone();
        emitted.sort();
        let mut written = w.written.clone();
        written.sort();
        prop_assert_eq!(emitted, written);
    }
}
