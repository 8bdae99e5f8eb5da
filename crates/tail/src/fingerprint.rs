use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::TailError;

/// At most this many leading bytes of a file make its fingerprint.
pub const FINGERPRINT_MAX_BYTES: usize = 256;

/// The device and inode of a file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
}

impl FileId {
    /// The id of an open file.
    pub fn of(meta: &std::fs::Metadata) -> FileId {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            FileId {
                dev: meta.dev(),
                ino: meta.ino(),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            FileId::default()
        }
    }
}

/// A file's identity by content: a hash of its first line, or of its first
/// [`FINGERPRINT_MAX_BYTES`] bytes when the first line is longer.
///
/// Content survives a rename (rotation) and tells a recreated file, or a reused inode, from the
/// file that was there before. A file whose first line is not yet complete has no fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    pub hash: u64,
    /// How many leading bytes were hashed.
    pub len: usize,
}

/// Fingerprints an open file, reading its first bytes from position 0 (the file's read position
/// is changed). `Ok(None)` when the file has no complete first line yet. A gzip file is
/// fingerprinted by its decompressed content, so that it has the identity of the file it was
/// compressed from.
pub fn fingerprint_file(file: &mut File, path: &Path) -> Result<Option<Fingerprint>, TailError> {
    fingerprint_open_file(file, path)
}

/// Fingerprints an open file without moving its read position (a positioned read), so that a
/// reader of the same handle is not disturbed. `Ok(None)` when it has no complete first line.
pub fn fingerprint_open_file(file: &File, path: &Path) -> Result<Option<Fingerprint>, TailError> {
    let mut buf = [0u8; FINGERPRINT_MAX_BYTES];
    let mut filled = 0;
    let io = |e| TailError::io(path, e);
    if crate::gzip::is_gzip(file).map_err(io)? {
        let mut content = crate::gzip::decoder(file).map_err(io)?;
        while filled < buf.len() {
            match content.read(&mut buf[filled..]) {
                // Complete and short, without a newline: it never grows, so all of it is its
                // first line.
                Ok(0) if filled > 0 => {
                    return Ok(fingerprint_bytes(&buf[..filled]).or(Some(Fingerprint {
                        hash: xxhash_rust::xxh3::xxh3_64(&buf[..filled]),
                        len: filled,
                    })));
                }
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // Still being written: its head so far.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(io(crate::gzip::invalid(e))),
            }
        }
        return Ok(fingerprint_bytes(&buf[..filled]));
    }
    while filled < buf.len() {
        match read_at(file, &mut buf[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    Ok(fingerprint_bytes(&buf[..filled]))
}

#[cfg(unix)]
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

/// The fingerprint of a file that starts with `head`, if `head` holds a complete first line or is
/// [`FINGERPRINT_MAX_BYTES`] long.
pub fn fingerprint_bytes(head: &[u8]) -> Option<Fingerprint> {
    let len = match memchr::memchr(b'\n', head) {
        Some(i) => i + 1,
        None if head.len() >= FINGERPRINT_MAX_BYTES => FINGERPRINT_MAX_BYTES,
        None => return None,
    };
    Some(Fingerprint {
        hash: xxhash_rust::xxh3::xxh3_64(&head[..len]),
        len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_makes_the_fingerprint() {
        let a = fingerprint_bytes(b"hello\nworld").unwrap();
        let b = fingerprint_bytes(b"hello\nother and more").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len, 6);
        assert_ne!(a, fingerprint_bytes(b"hellp\n").unwrap());
    }

    #[test]
    fn incomplete_first_line_has_none() {
        assert!(fingerprint_bytes(b"partial").is_none());
        assert!(fingerprint_bytes(b"").is_none());
        let long = vec![b'x'; FINGERPRINT_MAX_BYTES + 10];
        assert_eq!(fingerprint_bytes(&long).unwrap().len, FINGERPRINT_MAX_BYTES);
    }
}
