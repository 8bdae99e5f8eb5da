//! The Ed25519 keys that sign digests and receipts.
//!
//! Key files are PEM, as OpenSSL writes them, so either tool can make a pair:
//! the private key as PKCS#8 (`-----BEGIN PRIVATE KEY-----`, `openssl genpkey -algorithm ed25519`)
//! and the public key as SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`,
//! `openssl pkey -pubout`). A bare 64-character hex string (the 32-byte seed, or the 32-byte
//! public key) is read as well, for keys kept in an environment variable.
//!
//! A public key's fingerprint is `sha256:` and the lower-case hex SHA-256 of its 32 raw bytes;
//! every digest names the fingerprint of the key that signed it.

use std::fmt;
use std::path::{Path, PathBuf};

use auditlake_secret::Secret;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::error::{ArchiveError, Result};

/// The environment variable that holds the signing key itself (PEM or hex); it takes precedence
/// over `[digest] signing_key_file`.
pub const SIGNING_KEY_ENV: &str = "AUDITLAKE_SIGNING_KEY";

/// The fingerprint of a public key: `sha256:` + hex SHA-256 of its raw bytes.
pub fn fingerprint(key: &VerifyingKey) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(key.as_bytes())))
}

/// A private key that signs digests. `Debug` prints only the fingerprint.
pub struct DigestSigner {
    key: Secret<SigningKey>,
    public: PublicKey,
}

impl fmt::Debug for DigestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestSigner")
            .field("key", &self.key)
            .field("fingerprint", &self.public.fingerprint)
            .finish()
    }
}

impl DigestSigner {
    /// A new random key from the operating system's generator.
    pub fn generate() -> DigestSigner {
        DigestSigner::from_key(SigningKey::generate(&mut rand_core::OsRng))
    }

    fn from_key(key: SigningKey) -> DigestSigner {
        let public = PublicKey::from_key(key.verifying_key());
        DigestSigner {
            key: Secret::new(key),
            public,
        }
    }

    /// Parses a PKCS#8 PEM private key or a 64-character hex seed; `origin` names where the text
    /// came from in errors (never the text itself).
    pub fn from_text(text: &str, origin: &str) -> Result<DigestSigner> {
        let text = text.trim();
        if text.starts_with("-----BEGIN") {
            let key = SigningKey::from_pkcs8_pem(text).map_err(|e| {
                ArchiveError::key(origin, format!("not an Ed25519 PKCS#8 private key: {e}"))
            })?;
            return Ok(DigestSigner::from_key(key));
        }
        let seed = decode_hex32(text)
            .ok_or_else(|| ArchiveError::key(origin, "expected PEM or 64 hex characters"))?;
        Ok(DigestSigner::from_key(SigningKey::from_bytes(&seed)))
    }

    /// Reads a private key file.
    pub fn from_file(path: &Path) -> Result<DigestSigner> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ArchiveError::key(path.display(), e))?;
        DigestSigner::from_text(&text, &path.display().to_string())
    }

    /// The signing key of a job or the agent: [`SIGNING_KEY_ENV`] when set, else `file`.
    pub fn load(file: Option<&Path>) -> Result<DigestSigner> {
        if let Ok(text) = std::env::var(SIGNING_KEY_ENV).map(Secret::new) {
            if !text.expose().trim().is_empty() {
                return DigestSigner::from_text(text.expose(), SIGNING_KEY_ENV);
            }
        }
        match file {
            Some(path) => DigestSigner::from_file(path),
            None => Err(ArchiveError::key(
                "digest.signing_key_file",
                format!("no signing key: set [digest] signing_key_file or {SIGNING_KEY_ENV}"),
            )),
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The public key's fingerprint.
    pub fn fingerprint(&self) -> &str {
        &self.public.fingerprint
    }

    /// Signs `message`; the signature as lower-case hex.
    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.key.expose().sign(message).to_bytes())
    }

    /// The private key as PKCS#8 PEM.
    pub fn to_pem(&self) -> Result<Secret> {
        let pem = self
            .key
            .expose()
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| ArchiveError::key("private key", e))?;
        Ok(Secret::new(pem.as_str().to_string()))
    }

    /// Writes a new pair: `{prefix}.key` (private, mode 0600, never overwritten) and
    /// `{prefix}.pub`. Returns both paths.
    pub fn write_pair(&self, prefix: &Path) -> Result<(PathBuf, PathBuf)> {
        let private = with_suffix(prefix, ".key");
        let public = with_suffix(prefix, ".pub");
        write_new(&private, self.to_pem()?.expose().as_bytes(), true)?;
        write_new(&public, self.public.to_pem()?.as_bytes(), false)?;
        Ok((private, public))
    }
}

/// A public key that verifies digests.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    fingerprint: String,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fingerprint)
    }
}

impl PublicKey {
    fn from_key(key: VerifyingKey) -> PublicKey {
        PublicKey {
            fingerprint: fingerprint(&key),
            key,
        }
    }

    /// Parses an SPKI PEM public key or 64 hex characters.
    pub fn from_text(text: &str, origin: &str) -> Result<PublicKey> {
        let text = text.trim();
        let key = if text.starts_with("-----BEGIN") {
            VerifyingKey::from_public_key_pem(text)
                .map_err(|e| ArchiveError::key(origin, format!("not an Ed25519 public key: {e}")))?
        } else {
            let bytes = decode_hex32(text)
                .ok_or_else(|| ArchiveError::key(origin, "expected PEM or 64 hex characters"))?;
            VerifyingKey::from_bytes(&bytes)
                .map_err(|e| ArchiveError::key(origin, format!("not an Ed25519 public key: {e}")))?
        };
        Ok(PublicKey::from_key(key))
    }

    /// Reads a public key file.
    pub fn from_file(path: &Path) -> Result<PublicKey> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ArchiveError::key(path.display(), e))?;
        PublicKey::from_text(&text, &path.display().to_string())
    }

    /// The key's fingerprint.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The key's 32 raw bytes as 64 lower-case hex characters, which [`PublicKey::from_text`]
    /// reads back.
    pub fn to_hex(&self) -> String {
        hex::encode(self.key.as_bytes())
    }

    /// The key as SPKI PEM.
    pub fn to_pem(&self) -> Result<String> {
        self.key
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| ArchiveError::key("public key", e))
    }

    /// Whether `signature_hex` is this key's signature of `message`.
    pub fn verify(&self, message: &[u8], signature_hex: &str) -> bool {
        let Some(bytes) = hex::decode(signature_hex)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
        else {
            return false;
        };
        self.key
            .verify(message, &Signature::from_bytes(&bytes))
            .is_ok()
    }
}

fn decode_hex32(text: &str) -> Option<[u8; 32]> {
    hex::decode(text)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

fn write_new(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = opts
        .open(path)
        .map_err(|e| ArchiveError::key(path.display(), e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| ArchiveError::key(path.display(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_round_trip_through_pem_and_hex() {
        let signer = DigestSigner::generate();
        let sig = signer.sign(b"hello");
        assert!(signer.public_key().verify(b"hello", &sig));
        assert!(!signer.public_key().verify(b"hellO", &sig));
        assert!(!signer.public_key().verify(b"hello", "00"));

        let again = DigestSigner::from_text(signer.to_pem().unwrap().expose(), "test").unwrap();
        assert_eq!(again.fingerprint(), signer.fingerprint());
        let public = PublicKey::from_text(&signer.public_key().to_pem().unwrap(), "t").unwrap();
        assert!(public.verify(b"hello", &sig));

        let hex_seed = hex::encode(signer.key.expose().to_bytes());
        let from_hex = DigestSigner::from_text(&hex_seed, "env").unwrap();
        assert_eq!(from_hex.fingerprint(), signer.fingerprint());
        let hex_pub = hex::encode(signer.public.key.as_bytes());
        assert_eq!(PublicKey::from_text(&hex_pub, "x").unwrap(), public);
        assert_eq!(public.to_hex(), hex_pub);

        let other = DigestSigner::generate();
        assert!(!other.public_key().verify(b"hello", &sig));
        assert_ne!(other.fingerprint(), signer.fingerprint());
        assert!(signer.fingerprint().starts_with("sha256:"));
    }

    #[test]
    fn debug_never_prints_the_key() {
        let signer = DigestSigner::generate();
        let text = format!("{signer:?}");
        assert!(text.contains("redacted"), "{text}");
        assert!(!text.contains(&hex::encode(signer.key.expose().to_bytes())));
    }

    #[test]
    fn write_pair_makes_a_private_file_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("audit");
        let signer = DigestSigner::generate();
        let (private, public) = signer.write_pair(&prefix).unwrap();
        assert!(private.ends_with("audit.key") && public.ends_with("audit.pub"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&private).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let loaded = DigestSigner::from_file(&private).unwrap();
        assert_eq!(loaded.fingerprint(), signer.fingerprint());
        assert_eq!(
            PublicKey::from_file(&public).unwrap().fingerprint(),
            signer.fingerprint()
        );
        assert!(signer.write_pair(&prefix).is_err());
    }

    #[test]
    fn garbage_is_an_error_naming_the_origin() {
        let e = DigestSigner::from_text("nope", "keys/a.key").unwrap_err();
        assert!(e.to_string().starts_with("key keys/a.key: "), "{e}");
        let e = PublicKey::from_text(
            "-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----",
            "p",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("key p: "), "{e}");
    }
}
