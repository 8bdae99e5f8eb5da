use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::TailError;

/// One complete line, without its line ending (`\n` or `\r\n`).
#[derive(Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// Byte offset of the line's first byte in the file.
    pub offset: u64,
    /// The line's bytes, at most `max_line_bytes` of them.
    pub bytes: &'a [u8],
    /// The line was longer than `max_line_bytes` and was cut.
    pub truncated: bool,
    /// The line had no newline: the file ended there and was let go (or read by `--once`).
    pub unterminated: bool,
    /// Byte offset just past the line's newline (or the file's end): where reading resumes.
    pub next_offset: u64,
}

/// A long line being skipped: its first bytes are kept until its newline arrives.
#[derive(Debug)]
struct LongLine {
    offset: u64,
    head: Vec<u8>,
}

/// Where a reader's bytes come from.
#[derive(Debug)]
enum Input {
    /// The file's bytes, read at the file's position.
    Plain(File),
    /// A gzip file's decompressed bytes (offsets count them); the file is kept for its identity.
    Gzip {
        file: File,
        content: Box<flate2::read::MultiGzDecoder<crate::gzip::FileAt>>,
    },
    /// A gzip file read to its end and let go of: it never grows, so nothing more comes.
    Closed,
}

/// Reads complete lines from a file, starting at a byte offset, with bounded memory.
///
/// A last line without its newline is held back (not returned) until the newline arrives: call
/// [`LineReader::next_line`] again after the file grows. A line longer than `max_line_bytes` is
/// returned cut to that length and flagged; the rest of it is skipped, never buffered.
///
/// A gzip file (known by its magic bytes) is read as its decompressed content, offsets counting
/// decompressed bytes.
#[derive(Debug)]
pub struct LineReader {
    input: Input,
    path: PathBuf,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// File offset of `buf[start]`.
    pos: u64,
    max_line: usize,
    long: Option<LongLine>,
    /// The head of the last long line returned.
    long_out: Vec<u8>,
    eof: bool,
}

impl LineReader {
    /// Opens `path` and positions at `offset`.
    pub fn open(path: &Path, offset: u64, max_line_bytes: usize) -> Result<Self, TailError> {
        let file = File::open(path).map_err(|e| TailError::io(path, e))?;
        Self::from_file(file, path, offset, max_line_bytes)
    }

    /// Reads an open file from `offset` (of its decompressed content, for a gzip file).
    pub fn from_file(
        mut file: File,
        path: &Path,
        offset: u64,
        max_line_bytes: usize,
    ) -> Result<Self, TailError> {
        let io = |e| TailError::io(path, e);
        let input = if crate::gzip::is_gzip(&file).map_err(io)? {
            let mut content = crate::gzip::decoder(&file).map_err(io)?;
            let skipped = std::io::copy(&mut (&mut content).take(offset), &mut std::io::sink())
                .map_err(io)?;
            if skipped < offset {
                return Err(io(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("the decompressed content ends at {skipped}, before offset {offset}"),
                )));
            }
            Input::Gzip {
                file,
                content: Box::new(content),
            }
        } else {
            file.seek(SeekFrom::Start(offset)).map_err(io)?;
            Input::Plain(file)
        };
        let max_line = max_line_bytes.max(1);
        let cap = (max_line + 1).max(256 * 1024);
        Ok(LineReader {
            input,
            path: path.to_path_buf(),
            buf: vec![0u8; cap].into_boxed_slice(),
            start: 0,
            end: 0,
            pos: offset,
            max_line,
            long: None,
            long_out: Vec::new(),
            eof: false,
        })
    }

    /// The offset of the first byte not yet returned in a line: where a checkpoint resumes.
    pub fn offset(&self) -> u64 {
        self.long.as_ref().map_or(self.pos, |l| l.offset)
    }

    /// The path this reader was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file (to compare its identity or size with the path's); `None` once a compressed
    /// file is closed.
    pub fn file(&self) -> Option<&File> {
        match &self.input {
            Input::Plain(file) | Input::Gzip { file, .. } => Some(file),
            Input::Closed => None,
        }
    }

    /// Whether the file is compressed: sealed, its content never changes.
    pub fn is_compressed(&self) -> bool {
        !matches!(self.input, Input::Plain(_))
    }

    /// Lets go of a compressed file read to its end (its handles and buffer), keeping its offset:
    /// it never grows, so there is nothing more to read. Does nothing to a plain file, or to one
    /// with bytes left.
    pub fn close_if_done(&mut self) {
        if matches!(self.input, Input::Gzip { .. }) && self.eof && self.pending_bytes() == 0 {
            self.input = Input::Closed;
            self.buf = Box::default();
            self.start = 0;
            self.end = 0;
        }
    }

    /// Whether the last call to [`LineReader::next_line`] reached the end of the file.
    pub fn at_eof(&self) -> bool {
        self.eof
    }

    /// Bytes read from the file but not yet returned (a held partial line).
    pub fn pending_bytes(&self) -> u64 {
        let held = self.long.as_ref().map_or(0, |l| l.head.len() as u64);
        held + (self.end - self.start) as u64
    }

    /// The held partial last line as a line of its own, flagged `unterminated`: for a file that
    /// will never be read again (released), or when the end of the file counts as the end of a
    /// line (`--once`). Call it after [`LineReader::next_line`] returned `None`; `None` when
    /// nothing is held. Reading resumes after it, so a newline that comes later ends an empty
    /// remainder and what follows is a new line.
    pub fn take_unterminated(&mut self) -> Option<Line<'_>> {
        if let Some(long) = self.long.take() {
            // Everything buffered of a long line was skipped already: `pos` is past it.
            self.start = self.end;
            self.long_out = long.head;
            return Some(Line {
                offset: long.offset,
                bytes: &self.long_out,
                truncated: true,
                unterminated: true,
                next_offset: self.pos,
            });
        }
        if self.start == self.end {
            return None;
        }
        let offset = self.pos;
        let len = self.end - self.start;
        let mut bytes = &self.buf[self.start..self.end];
        self.start = self.end;
        self.pos += len as u64;
        if bytes.last() == Some(&b'\r') {
            bytes = &bytes[..bytes.len() - 1];
        }
        let truncated = bytes.len() > self.max_line;
        if truncated {
            bytes = &bytes[..self.max_line];
        }
        Some(Line {
            offset,
            bytes,
            truncated,
            unterminated: true,
            next_offset: self.pos,
        })
    }

    /// The next complete line, or `None` at the end of the file (a partial line stays held).
    pub fn next_line(&mut self) -> Result<Option<Line<'_>>, TailError> {
        self.eof = false;
        loop {
            let window = &self.buf[self.start..self.end];
            if let Some(i) = memchr::memchr(b'\n', window) {
                let line_start = self.start;
                let consumed = i + 1;
                self.start += consumed;
                self.pos += consumed as u64;
                if let Some(long) = self.long.take() {
                    // The end of a long line: return the head that was kept of it.
                    self.long_out = long.head;
                    return Ok(Some(Line {
                        offset: long.offset,
                        bytes: &self.long_out,
                        truncated: true,
                        unterminated: false,
                        next_offset: self.pos,
                    }));
                }
                let mut bytes = &self.buf[line_start..line_start + i];
                if bytes.last() == Some(&b'\r') {
                    bytes = &bytes[..bytes.len() - 1];
                }
                let truncated = bytes.len() > self.max_line;
                if truncated {
                    bytes = &bytes[..self.max_line];
                }
                return Ok(Some(Line {
                    offset: self.pos - consumed as u64,
                    bytes,
                    truncated,
                    unterminated: false,
                    next_offset: self.pos,
                }));
            }
            // No newline in the window.
            let pending = self.end - self.start;
            if self.long.is_none() && pending > self.max_line {
                let head = self.buf[self.start..self.start + self.max_line].to_vec();
                self.long = Some(LongLine {
                    offset: self.pos,
                    head,
                });
            }
            if self.long.is_some() {
                // Skip what has been buffered of the long line; only its head is kept.
                self.pos += pending as u64;
                self.start = 0;
                self.end = 0;
            } else if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let read = match &mut self.input {
                Input::Plain(file) => file as &mut dyn Read,
                Input::Gzip { content, .. } => content.as_mut() as &mut dyn Read,
                Input::Closed => {
                    self.eof = true;
                    return Ok(None);
                }
            };
            let n = loop {
                match read.read(&mut self.buf[self.end..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(TailError::io(&self.path, e)),
                }
            };
            if n == 0 {
                self.eof = true;
                return Ok(None);
            }
            self.end += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines(reader: &mut LineReader) -> Vec<(u64, String, bool)> {
        let mut out = Vec::new();
        while let Some(l) = reader.next_line().unwrap() {
            out.push((
                l.offset,
                String::from_utf8_lossy(l.bytes).into_owned(),
                l.truncated,
            ));
        }
        out
    }

    #[test]
    fn reads_lines_with_offsets_and_holds_partial_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "one\r\ntwo\nthr").unwrap();
        let mut r = LineReader::open(&path, 0, 100).unwrap();
        assert_eq!(
            lines(&mut r),
            [(0, "one".into(), false), (5, "two".into(), false)]
        );
        assert!(r.at_eof());
        assert_eq!(r.offset(), 9);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"ee\nfour\n").unwrap();
        assert_eq!(
            lines(&mut r),
            [(9, "three".into(), false), (15, "four".into(), false)]
        );
        assert_eq!(r.offset(), 20);
    }

    #[test]
    fn resumes_at_an_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "one\ntwo\n").unwrap();
        let mut r = LineReader::open(&path, 4, 100).unwrap();
        assert_eq!(lines(&mut r), [(4, "two".into(), false)]);
    }

    #[test]
    fn long_lines_are_cut_and_skipped_with_bounded_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let long = "x".repeat(1_000_000);
        std::fs::write(&path, format!("short\n{long}\nafter\n")).unwrap();
        let mut r = LineReader::open(&path, 0, 10).unwrap();
        let got = lines(&mut r);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1], (6, "x".repeat(10), true));
        assert_eq!(got[2], (1_000_007, "after".into(), false));
        assert!(r.buf.len() <= 256 * 1024);
    }

    #[test]
    fn long_partial_line_is_held_until_its_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "y".repeat(50)).unwrap();
        let mut r = LineReader::open(&path, 0, 10).unwrap();
        assert!(lines(&mut r).is_empty());
        assert_eq!(r.offset(), 0);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"yy\nz\n").unwrap();
        assert_eq!(
            lines(&mut r),
            [(0, "y".repeat(10), true), (53, "z".into(), false)]
        );
    }

    #[test]
    fn unterminated_tail_is_taken_as_a_line_and_reading_goes_on_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "one\ntwo").unwrap();
        let mut r = LineReader::open(&path, 0, 100).unwrap();
        assert_eq!(lines(&mut r), [(0, "one".into(), false)]);
        let tail = r.take_unterminated().unwrap();
        assert_eq!(
            (tail.offset, tail.bytes, tail.next_offset),
            (4, &b"two"[..], 7)
        );
        assert!(tail.unterminated && !tail.truncated);
        assert!(r.take_unterminated().is_none());
        assert_eq!(r.offset(), 7);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"rest\nthree\n").unwrap();
        assert_eq!(
            lines(&mut r),
            [(7, "rest".into(), false), (12, "three".into(), false)]
        );
    }

    #[test]
    fn unterminated_long_tail_keeps_its_head_flagged_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "z".repeat(40)).unwrap();
        let mut r = LineReader::open(&path, 0, 10).unwrap();
        assert!(lines(&mut r).is_empty());
        let tail = r.take_unterminated().unwrap();
        assert_eq!(tail.bytes, "z".repeat(10).as_bytes());
        assert!(tail.truncated && tail.unterminated);
        assert_eq!(tail.next_offset, 40);
        assert_eq!(r.offset(), 40);
        assert_eq!(r.pending_bytes(), 0);
    }

    #[test]
    fn line_of_exactly_max_is_not_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "0123456789\n").unwrap();
        let mut r = LineReader::open(&path, 0, 10).unwrap();
        assert_eq!(lines(&mut r), [(0, "0123456789".into(), false)]);
    }
}
