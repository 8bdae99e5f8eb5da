//! The signing key the agent makes for itself when none is configured, so that every archive
//! carries signed digests that `auditlake verify` checks, the quick start's included.
//!
//! Without `[digest] signing_key_file` or `AUDITLAKE_SIGNING_KEY`, the first run generates an
//! Ed25519 pair in the state directory, `keys/audit.key` (PKCS#8 PEM, mode 0600) and
//! `keys/audit.pub` (SPKI PEM), and every later run signs with it. It is a convenience, not a
//! key management: whoever can read the state directory can forge digests, so production mounts
//! its own key, and the agent says so loudly on every run that uses a generated one.

use std::io::Write;
use std::path::{Path, PathBuf};

use auditlake_archive::signing::SIGNING_KEY_ENV;
use auditlake_archive::{DigestSigner, PublicKey};

use crate::AgentError;
use crate::config::Config;

/// The state directory's folder of generated keys.
pub const KEYS_DIR: &str = "keys";

/// The generated private key's file name, in [`KEYS_DIR`].
pub const PRIVATE_KEY_FILE: &str = "audit.key";

/// The generated public key's file name, in [`KEYS_DIR`].
pub const PUBLIC_KEY_FILE: &str = "audit.pub";

/// The generated private key of a state directory.
pub fn private_key_path(state_dir: &Path) -> PathBuf {
    state_dir.join(KEYS_DIR).join(PRIVATE_KEY_FILE)
}

/// The generated public key of a state directory.
pub fn public_key_path(state_dir: &Path) -> PathBuf {
    state_dir.join(KEYS_DIR).join(PUBLIC_KEY_FILE)
}

/// Whether the configuration or the environment names a signing key.
pub fn key_configured(config: &Config) -> bool {
    config
        .digest
        .as_ref()
        .is_some_and(|d| d.signing_key_file.is_some())
        || std::env::var(SIGNING_KEY_ENV).is_ok_and(|v| !v.trim().is_empty())
}

/// The agent's digest signer: the configured key, else the state directory's generated one,
/// made on the first run.
pub fn agent_signer(config: &Config) -> Result<DigestSigner, AgentError> {
    if key_configured(config) {
        return Ok(config.digest.clone().unwrap_or_default().signer()?);
    }
    load_or_generate(&config.agent.state_dir)
}

/// The signer of a job (retention, compaction, erasure): the configured key, else the key the
/// agent generated in the state directory. A job never generates one: its receipts must verify
/// with the key the archive's digests do.
pub fn job_signer(config: &Config) -> Result<DigestSigner, AgentError> {
    if key_configured(config) {
        return Ok(config.digest.clone().unwrap_or_default().signer()?);
    }
    let private = private_key_path(&config.agent.state_dir);
    match read_private(&private)? {
        Some(signer) => {
            warn_generated(&private, &signer);
            Ok(signer)
        }
        None => Err(AgentError::Setup {
            message: format!(
                "digest.signing_key_file: no signing key: set it or {SIGNING_KEY_ENV}, or run the agent once to generate {}",
                private.display()
            ),
        }),
    }
}

/// The public keys that verify the archive of `config`: the `.pub` file beside a configured
/// `signing_key_file` (as `auditlake keygen` writes them), and the key the agent generated in
/// the state directory (and in `auditlake serve`'s, for the record of reads), each where it
/// exists.
pub fn trusted_public_keys(config: &Config) -> Result<Vec<(PathBuf, PublicKey)>, AgentError> {
    let mut candidates = Vec::new();
    if let Some(file) = config
        .digest
        .as_ref()
        .and_then(|d| d.signing_key_file.as_ref())
    {
        candidates.push(public_beside(file));
    }
    candidates.push(public_key_path(&config.agent.state_dir));
    if let Some(serve) = &config.serve {
        // `auditlake serve` archives the record of its reads with a key of its own when none
        // is configured.
        candidates.push(public_key_path(&serve.pipeline_state_dir()));
    }
    let mut keys: Vec<(PathBuf, PublicKey)> = Vec::new();
    for path in candidates {
        if !path.exists() {
            continue;
        }
        let key = PublicKey::from_file(&path)?;
        if !keys.iter().any(|(_, k)| k == &key) {
            keys.push((path, key));
        }
    }
    Ok(keys)
}

/// `keys/audit.key` -> `keys/audit.pub`; any other name gets `.pub` appended.
fn public_beside(private: &Path) -> PathBuf {
    if private.extension().is_some_and(|e| e == "key") {
        private.with_extension("pub")
    } else {
        let mut s = private.as_os_str().to_os_string();
        s.push(".pub");
        PathBuf::from(s)
    }
}

/// The state directory's generated signer, made (durably, the private key mode 0600) when it
/// does not exist yet. Its public key is (re)written beside it whenever it is missing or does
/// not match.
pub fn load_or_generate(state_dir: &Path) -> Result<DigestSigner, AgentError> {
    let private = private_key_path(state_dir);
    let signer = match read_private(&private)? {
        Some(signer) => {
            warn_generated(&private, &signer);
            signer
        }
        None => {
            let signer = DigestSigner::generate();
            if publish_private(&private, &signer)? {
                tracing::warn!(
                    path = %private.display(),
                    public_key_file = %public_key_path(state_dir).display(),
                    public_key = %signer.public_key().to_hex(),
                    fingerprint = %signer.fingerprint(),
                    "no signing key configured: generated one for signing digests; \
                     PRODUCTION MUST MOUNT ITS OWN KEY ([digest] signing_key_file or AUDITLAKE_SIGNING_KEY), \
                     since whoever reads the state directory can forge this one's signatures"
                );
                signer
            } else {
                // Another process published one first: sign with that.
                read_private(&private)?.ok_or_else(|| AgentError::Setup {
                    message: format!("{}: vanished while being created", private.display()),
                })?
            }
        }
    };
    write_public(state_dir, &signer)?;
    Ok(signer)
}

/// The warning of every run that signs with a generated key.
fn warn_generated(private: &Path, signer: &DigestSigner) {
    let public = private.with_file_name(PUBLIC_KEY_FILE);
    tracing::warn!(
        key = %private.display(),
        public_key_file = %public.display(),
        public_key = %signer.public_key().to_hex(),
        fingerprint = %signer.fingerprint(),
        "signing digests with the key the agent generated, not one of your own: mount your own key in production"
    );
}

/// The private key at `path`, `None` when there is none. Warns when others may read it.
fn read_private(path: &Path) -> Result<Option<DigestSigner>, AgentError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(AgentError::io(path, e)),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| AgentError::io(path, e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777), "signing key can be read by others: chmod 600 it");
        }
    }
    Ok(Some(DigestSigner::from_text(
        &text,
        &path.display().to_string(),
    )?))
}

/// Writes the private key durably and without replacing one already there: a temp file
/// (mode 0600) in the same directory, `sync_data`, a hard link to the final name (which fails
/// if it exists), the temp file removed, the directory fsynced. `false` when a key was there.
fn publish_private(path: &Path, signer: &DigestSigner) -> Result<bool, AgentError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    create_private_dir(dir)?;
    let pem = signer.to_pem()?;
    let tmp = dir.join(format!(".{PRIVATE_KEY_FILE}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(pem.expose_str().as_bytes())?;
        f.sync_data()
    })();
    written.map_err(|e| AgentError::io(&tmp, e))?;
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(AgentError::io(path, e)),
    }
    auditlake_durable::sync_dir(dir).map_err(|e| AgentError::io(dir, e))?;
    Ok(true)
}

/// Creates the keys directory, readable by its owner only.
fn create_private_dir(dir: &Path) -> Result<(), AgentError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(|e| AgentError::io(dir, e))
}

/// Writes the public key beside the private one unless it is there and matches.
fn write_public(state_dir: &Path, signer: &DigestSigner) -> Result<(), AgentError> {
    let path = public_key_path(state_dir);
    match PublicKey::from_file(&path) {
        Ok(k) if &k == signer.public_key() => return Ok(()),
        Ok(k) => tracing::warn!(
            path = %path.display(), found = %k.fingerprint(), key = %signer.fingerprint(),
            "public key does not match the generated signing key, rewriting it"
        ),
        Err(_) => {}
    }
    let pem = signer.public_key().to_pem()?;
    auditlake_durable::write_atomic(&path, pem.as_bytes()).map_err(|e| AgentError::io(&path, e))?;
    tracing::info!(path = %path.display(), fingerprint = %signer.fingerprint(), "public key written");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(state_dir: &Path, digest: &str) -> Config {
        Config::parse(&format!(
            "[agent]\nstate_dir = {:?}\n[archive]\nurl = \"./archive\"\n{digest}\n[[tiers]]\nname = \"standard\"\nretention_days = 1\n",
            state_dir.display().to_string()
        ))
        .unwrap()
    }

    #[test]
    fn first_run_generates_a_private_pair_and_later_runs_reuse_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_generate(dir.path()).unwrap();
        let private = private_key_path(dir.path());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&private).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dir_mode = std::fs::metadata(private.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dir_mode & 0o077, 0);
        }
        let public = PublicKey::from_file(&public_key_path(dir.path())).unwrap();
        assert_eq!(public.fingerprint(), first.fingerprint());
        let again = load_or_generate(dir.path()).unwrap();
        assert_eq!(again.fingerprint(), first.fingerprint());
        // No temp file is left behind.
        let names: Vec<_> = std::fs::read_dir(private.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn a_lost_public_key_is_written_again_from_the_private_one() {
        let dir = tempfile::tempdir().unwrap();
        let signer = load_or_generate(dir.path()).unwrap();
        std::fs::remove_file(public_key_path(dir.path())).unwrap();
        load_or_generate(dir.path()).unwrap();
        let public = PublicKey::from_file(&public_key_path(dir.path())).unwrap();
        assert_eq!(public.fingerprint(), signer.fingerprint());
    }

    #[test]
    fn an_existing_key_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_generate(dir.path()).unwrap();
        let other = DigestSigner::generate();
        assert!(!publish_private(&private_key_path(dir.path()), &other).unwrap());
        let loaded = read_private(&private_key_path(dir.path()))
            .unwrap()
            .unwrap();
        assert_eq!(loaded.fingerprint(), first.fingerprint());
    }

    #[test]
    fn jobs_use_the_generated_key_but_never_make_one() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), "");
        if key_configured(&c) {
            return; // AUDITLAKE_SIGNING_KEY is set in this environment
        }
        let err = job_signer(&c).unwrap_err().to_string();
        assert!(err.contains("digest.signing_key_file"), "{err}");
        assert!(!private_key_path(dir.path()).exists());
        let agent = agent_signer(&c).unwrap();
        assert_eq!(job_signer(&c).unwrap().fingerprint(), agent.fingerprint());
        let trusted = trusted_public_keys(&c).unwrap();
        assert_eq!(trusted.len(), 1);
        assert_eq!(trusted[0].1.fingerprint(), agent.fingerprint());
    }

    #[test]
    fn a_configured_key_is_trusted_by_its_public_file_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let own = DigestSigner::generate();
        let (private, _) = own.write_pair(&dir.path().join("own")).unwrap();
        let c = config(
            &dir.path().join("state"),
            &format!(
                "[digest]\nsigning_key_file = {:?}\n",
                private.display().to_string()
            ),
        );
        assert!(key_configured(&c));
        assert_eq!(agent_signer(&c).unwrap().fingerprint(), own.fingerprint());
        assert!(!private_key_path(&dir.path().join("state")).exists());
        let trusted = trusted_public_keys(&c).unwrap();
        assert_eq!(trusted.len(), 1);
        assert_eq!(trusted[0].1.fingerprint(), own.fingerprint());
        assert_eq!(public_beside(Path::new("a/b")), Path::new("a/b.pub"));
    }
}
