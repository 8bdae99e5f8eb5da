//! Gzip-compressed files (logrotate's `app.log.1.gz`, CloudTrail's `.json.gz`), known by their
//! magic bytes, whatever their name: read as their decompressed content, with offsets, sizes and
//! fingerprints in decompressed bytes, so that a file compressed after part of it was read is
//! found again by its first line and read on from where reading stood.
//!
//! A compressed file is sealed: it is written once and never grows. One whose stream is not
//! complete yet (gzip still writing it) is not read until it is.

use std::fs::File;
use std::io::{ErrorKind, Read};

use flate2::read::MultiGzDecoder;

use crate::fingerprint::read_at;

const MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Whether the file starts with gzip's magic bytes (read without moving its position).
pub(crate) fn is_gzip(file: &File) -> std::io::Result<bool> {
    let mut head = [0u8; 2];
    let mut filled = 0;
    while filled < head.len() {
        match read_at(file, &mut head[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled == 2 && head == MAGIC)
}

/// The decompressed content of a gzip file, from its start, read through positioned reads of its
/// own handle (the file's position, shared with other handles of it, is left alone).
pub(crate) fn decoder(file: &File) -> std::io::Result<MultiGzDecoder<FileAt>> {
    Ok(MultiGzDecoder::new(FileAt {
        file: file.try_clone()?,
        pos: 0,
    }))
}

/// The length of a gzip file's decompressed content. `Err` of kind `UnexpectedEof` where the
/// stream is not complete (still being written, or cut short), `InvalidData` or `InvalidInput`
/// where it is not valid gzip.
pub(crate) fn content_len(file: &File) -> std::io::Result<u64> {
    std::io::copy(&mut decoder(file)?, &mut std::io::sink())
}

/// An error of reading a gzip file's content, saying so.
pub(crate) fn invalid(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("not a valid gzip file: {e}"))
}

/// Reads a file from a position of its own.
pub(crate) struct FileAt {
    file: File,
    pos: u64,
}

impl Read for FileAt {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = read_at(&self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::fmt::Debug for FileAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileAt").field("pos", &self.pos).finish()
    }
}

#[cfg(test)]
pub(crate) fn compress(text: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text).unwrap();
    enc.finish().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(bytes: &[u8]) -> (tempfile::TempDir, File) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).unwrap();
        let f = File::open(&path).unwrap();
        (dir, f)
    }

    #[test]
    fn a_gzip_file_is_known_by_its_magic_and_measured_decompressed() {
        let text = b"line one\nline two\n".repeat(100);
        let (_d, f) = file_with(&compress(&text));
        assert!(is_gzip(&f).unwrap());
        assert_eq!(content_len(&f).unwrap(), text.len() as u64);
        let mut got = Vec::new();
        decoder(&f).unwrap().read_to_end(&mut got).unwrap();
        assert_eq!(got, text);
        let (_d, plain) = file_with(b"line one\n");
        assert!(!is_gzip(&plain).unwrap());
        let (_d, empty) = file_with(b"");
        assert!(!is_gzip(&empty).unwrap());
    }

    #[test]
    fn a_stream_cut_short_is_unexpected_eof_and_garbage_is_invalid() {
        let gz = compress(&b"0123456789abcdef\n".repeat(1000));
        let (_d, cut) = file_with(&gz[..gz.len() / 2]);
        assert_eq!(
            content_len(&cut).unwrap_err().kind(),
            ErrorKind::UnexpectedEof
        );
        let mut bad = gz.clone();
        let n = bad.len();
        bad[n - 6] ^= 0xff; // the CRC of the content
        let (_d, bad) = file_with(&bad);
        assert!(content_len(&bad).is_err());
    }

    #[test]
    fn members_written_one_after_another_are_one_content() {
        let mut gz = compress(b"a\n");
        gz.extend(compress(b"b\n"));
        let (_d, f) = file_with(&gz);
        assert_eq!(content_len(&f).unwrap(), 4);
    }
}
