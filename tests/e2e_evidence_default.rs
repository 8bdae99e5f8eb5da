//! Tamper evidence without any key configured: the quick start's agent generates a signing key
//! in its state directory, signs digests with it on every run, and `auditlake verify --config`
//! checks the archive with its public key.

mod util;

use std::path::Path;

use util::*;

/// `verify --config CONFIG --format json`: whether it passed, and its report.
fn verify(config: &Path) -> (bool, serde_json::Value) {
    let out = auditlake()
        .args(["verify", "--format", "json", "--config"])
        .arg(config)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), report)
}

/// Text without the terminal colour codes of log lines.
fn plain(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The `fingerprint=...` a run's warning names.
fn fingerprint_in(stderr: &str) -> String {
    let at = stderr
        .find("fingerprint=sha256:")
        .unwrap_or_else(|| panic!("no fingerprint in {stderr}"));
    stderr[at + "fingerprint=".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn quickstart_without_a_key_leaves_signed_digests_that_verify_checks() {
    let dir = tempfile::tempdir().unwrap();
    let config = quickstart_config(dir.path());
    let first = run_ok(
        auditlake()
            .args(["agent", "--once", "--config"])
            .arg(&config),
    );
    let stderr = plain(&first.stderr);
    assert!(
        stderr.contains("PRODUCTION MUST MOUNT ITS OWN KEY"),
        "{stderr}"
    );
    let private = dir.path().join("state/keys/audit.key");
    let public = dir.path().join("state/keys/audit.pub");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", private.display());
    }
    let public_pem = std::fs::read_to_string(&public).unwrap();
    assert!(
        public_pem.starts_with("-----BEGIN PUBLIC KEY-----"),
        "{public_pem}"
    );
    let generated = fingerprint_in(&stderr);

    // The second run signs with the same key, and says it is not one of the operator's own.
    let second = run_ok(
        auditlake()
            .args(["agent", "--once", "--config"])
            .arg(&config),
    );
    let stderr = plain(&second.stderr);
    assert!(
        stderr.contains("mount your own key in production"),
        "{stderr}"
    );
    assert_eq!(fingerprint_in(&stderr), generated);
    assert_eq!(std::fs::read_to_string(&public).unwrap(), public_pem);

    let (ok, report) = verify(&config);
    assert!(ok, "{report:#}");
    assert_eq!(report["chains"], 5, "{report:#}");
    assert!(
        report["objects_verified"].as_u64().unwrap() >= 5,
        "{report:#}"
    );
    // Two runs, two digests per source.
    assert_eq!(report["digests"], 10, "{report:#}");
    let text = run_ok(auditlake().args(["verify", "--config"]).arg(&config));
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("ok: "));
    assert!(plain(&text.stderr).contains(&generated));

    // A changed byte in one object fails verification, naming it.
    let object = walk_parquet(&dir.path().join("archive")).remove(0);
    let mut bytes = std::fs::read(&object).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&object, &bytes).unwrap();
    let (ok, report) = verify(&config);
    assert!(!ok, "{report:#}");
    let key = object
        .strip_prefix(dir.path().join("archive"))
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let modified: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["finding"] == "object_modified")
        .map(|f| f["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(modified, [key], "{report:#}");
}

#[test]
fn verify_without_a_key_to_trust_says_what_to_pass() {
    let dir = tempfile::tempdir().unwrap();
    let config = quickstart_config(dir.path());
    let out = auditlake()
        .args(["verify", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--public-key"), "{stderr}");
    assert!(stderr.contains("keys/audit.pub"), "{stderr}");
}

/// The Parquet files under `dir`, sorted.
fn walk_parquet(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
