//! Deterministic event ids.

use xxhash_rust::xxh3::{Xxh3, xxh3_128};

/// Deterministic event id: 32 lowercase hex chars of xxh3-128 over (source app, fingerprint,
/// offset, index).
///
/// The hashed bytes are the source name's UTF-8 bytes, one `0xff` byte (which UTF-8 never holds,
/// so names cannot run into the numbers), then `fingerprint`, `offset` and `index` as little-endian
/// integers (8, 8 and 4 bytes). A line read again after a crash gets the same id; the index tells
/// apart the several events of one line (syslog's repeated messages).
pub fn derive_event_id(source: &str, fingerprint: u64, offset: u64, index: u32) -> String {
    let mut tail = [0u8; 21];
    tail[0] = 0xff;
    tail[1..9].copy_from_slice(&fingerprint.to_le_bytes());
    tail[9..17].copy_from_slice(&offset.to_le_bytes());
    tail[17..21].copy_from_slice(&index.to_le_bytes());
    let hash = if source.len() <= 107 {
        let mut buf = [0u8; 128];
        buf[..source.len()].copy_from_slice(source.as_bytes());
        buf[source.len()..source.len() + tail.len()].copy_from_slice(&tail);
        xxh3_128(&buf[..source.len() + tail.len()])
    } else {
        let mut h = Xxh3::new();
        h.update(source.as_bytes());
        h.update(&tail);
        h.digest128()
    };
    hex32(hash)
}

fn hex32(v: u128) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = v.to_be_bytes();
    let mut s = String::with_capacity(32);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_hex_and_distinct() {
        let a = derive_event_id("idp", 7, 1024, 0);
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(a, derive_event_id("idp", 7, 1024, 0));
        assert_eq!(
            a,
            format!(
                "{:032x}",
                xxh3_128(
                    &[
                        b"idp".as_slice(),
                        &[0xff],
                        &7u64.to_le_bytes(),
                        &1024u64.to_le_bytes(),
                        &0u32.to_le_bytes()
                    ]
                    .concat()
                )
            )
        );
        assert_ne!(a, derive_event_id("idp", 7, 1024, 1));
        assert_ne!(a, derive_event_id("idp", 7, 1025, 0));
        assert_ne!(a, derive_event_id("idp", 8, 1024, 0));
        assert_ne!(a, derive_event_id("idq", 7, 1024, 0));
    }

    #[test]
    fn long_source_names_hash_the_same_way() {
        let name = "x".repeat(300);
        let want = xxh3_128(
            &[
                name.as_bytes(),
                &[0xff],
                &1u64.to_le_bytes(),
                &2u64.to_le_bytes(),
                &3u32.to_le_bytes(),
            ]
            .concat(),
        );
        assert_eq!(derive_event_id(&name, 1, 2, 3), format!("{want:032x}"));
        let name = "y".repeat(107);
        let want = xxh3_128(
            &[
                name.as_bytes(),
                &[0xff],
                &1u64.to_le_bytes(),
                &2u64.to_le_bytes(),
                &3u32.to_le_bytes(),
            ]
            .concat(),
        );
        assert_eq!(derive_event_id(&name, 1, 2, 3), format!("{want:032x}"));
    }
}
