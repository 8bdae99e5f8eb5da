//! [`Secret`]: the one type of every secret auditlake holds (webhook tokens and header values,
//! the digest signing key, the pseudonym key). No I/O.
//!
//! A secret never shows itself by accident: `Debug`, `Display` and `Serialize` all give
//! [`REDACTED`], so a config printed, logged or serialized stays safe. Code that needs the value
//! says so with [`Secret::expose`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a secret prints as.
pub const REDACTED: &str = "**redacted**";

/// A secret value: a string by default, or any other type (a key's bytes, a parsed key).
///
/// Deserializes as the value itself; serializes, debugs and displays as [`REDACTED`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T = String>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Secret<T> {
        Secret(value)
    }

    /// The value itself. Every call is a place the secret leaves the type: keep it next to the
    /// use (the request header, the HMAC), never in a message.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl Secret<String> {
    /// The value as `&str`.
    pub fn expose_str(&self) -> &str {
        &self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Secret<T> {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> Serialize for Secret<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_display_and_serialize_are_redacted() {
        let s = Secret::new("hunter2".to_string());
        assert_eq!(
            format!("{s:?} {s} {s:#?}"),
            "**redacted** **redacted** **redacted**"
        );
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"**redacted**\"");
        let bytes = Secret::new(vec![1u8, 2, 3]);
        assert_eq!(format!("{bytes:?}"), REDACTED);
    }

    #[test]
    fn deserializes_the_value_and_exposes_it() {
        #[derive(Debug, Deserialize, Serialize)]
        struct Section {
            token: Secret,
            headers: std::collections::BTreeMap<String, Secret>,
        }
        let s: Section = toml::from_str("token = \"t0p\"\nheaders = { x-key = \"k3y\" }").unwrap();
        assert_eq!(s.token.expose_str(), "t0p");
        assert_eq!(s.headers["x-key"].expose(), "k3y");
        let printed = format!("{s:?} {}", toml::to_string(&s).unwrap());
        assert!(
            !printed.contains("t0p") && !printed.contains("k3y"),
            "{printed}"
        );
        assert!(printed.contains(REDACTED), "{printed}");
    }
}
