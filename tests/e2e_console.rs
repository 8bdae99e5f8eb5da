//! The console in a real browser: Debian's Chromium, driven by Playwright
//! (`tests/browser/console.py`), on an archive of several sources with a hostile username.
//! Screenshots of every page go to `target/console-shots/`.

mod util;

use std::process::Command;

use util::serve::{Fixture, HOSTILE};

/// Chromium, as `scripts/chromium.sh` installs it.
fn chromium() -> String {
    let c = std::env::var("AUDITLAKE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&c).exists(),
        "{c} is missing: run scripts/test.sh (or scripts/chromium.sh) first"
    );
    c
}

#[test]
fn the_console_shows_each_role_its_events_and_log_content_as_text() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let f = Fixture::new(dir.path());
    let server = f.start();
    let shots = util::repo_root().join("target/console-shots");
    let _ = std::fs::remove_dir_all(&shots);
    let result = dir.path().join("console.json");
    let out = Command::new(util::python())
        .arg(util::repo_root().join("tests/browser/console.py"))
        .args(["--url", &server.base, "--token", &f.tokens.auditor])
        .args(["--user-token", &f.tokens.alice, "--user-actor", "u-1001"])
        .args(["--other-actor", "u-1002", "--sso"])
        .arg(format!("--hostile={HOSTILE}"))
        .arg("--shots")
        .arg(&shots)
        .arg("--out")
        .arg(&result)
        .env("AUDITLAKE_CHROMIUM", browser)
        .output()
        .expect("python starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the console's checks failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&result).unwrap()).unwrap();
    assert_eq!(r["ok"], true);
    let checks = r["checks"].as_array().unwrap();
    let skipped: Vec<&serde_json::Value> = checks.iter().filter(|c| c["skipped"] == true).collect();
    assert!(skipped.is_empty(), "checks skipped: {skipped:?}");
    assert!(checks.len() >= 40, "{} checks", checks.len());
    for page in [
        "activity",
        "users",
        "user",
        "reports",
        "integrity",
        "hostile",
        "user-role",
    ] {
        assert!(
            shots.join(format!("{page}.png")).exists(),
            "no screenshot of {page}"
        );
    }
    // The console's own reads are reads like any other: they are in the archive.
    server.stop();
    let out = util::run_ok(
        util::auditlake()
            .args([
                "query",
                "--action",
                "audit.log.*",
                "--format",
                "jsonl",
                "--config",
            ])
            .arg(&f.config),
    );
    let reads = String::from_utf8_lossy(&out.stdout).lines().count();
    assert!(reads >= 20, "{reads} reads recorded");
}

#[test]
fn html_and_pdf_reports_open_with_their_charts() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let f = Fixture::new(dir.path());
    let shots = util::repo_root().join("target/report-shots");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();
    for (name, extra) in [
        ("last-login", vec![]),
        ("failed-logins", vec!["--threshold", "1"]),
        ("activity", vec![]),
        ("heatmap", vec![]),
        ("timeline", vec!["--actor", "u-1001"]),
    ] {
        let html = dir.path().join(format!("{name}.html"));
        util::run_ok(
            util::auditlake()
                .args(["report", name, "--format", "html", "--config"])
                .arg(&f.config)
                .args(&extra)
                .arg("--output")
                .arg(&html),
        );
        let page = std::fs::read_to_string(&html).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"), "{name}");
        assert!(
            !page.contains("<script"),
            "{name}: markup from a log reached the page"
        );
        assert!(
            !page.contains(['\u{1b}', '\u{202e}']),
            "{name}: a raw control character"
        );
        if name != "timeline" {
            assert!(
                page.contains("<svg") && page.contains("<rect"),
                "{name} has a chart"
            );
        }
        if name == "failed-logins" {
            assert!(
                page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{name}"
            );
        }
        let pdf = dir.path().join(format!("{name}.pdf"));
        util::run_ok(
            util::auditlake()
                .args(["report", name, "--format", "pdf", "--config"])
                .arg(&f.config)
                .args(&extra)
                .arg("--output")
                .arg(&pdf)
                .env("AUDITLAKE_CHROMIUM", &browser),
        );
        // The PDF's pages rendered to PNG (PyMuPDF), and its text read back.
        let r = util::python_json(
            dir.path(),
            &format!(
                "import json, pymupdf\n\
                 d = pymupdf.open({pdf:?})\n\
                 for i, p in enumerate(d):\n    p.get_pixmap(dpi=70).save({png:?} % i)\n\
                 print(json.dumps({{'pages': d.page_count, 'text': d[0].get_text()}}))",
                pdf = pdf.display().to_string(),
                png = shots.join(format!("{name}-%d.png")).display().to_string(),
            ),
        );
        assert!(r["pages"].as_u64().unwrap() >= 1, "{name}: {r}");
        let text = r["text"].as_str().unwrap();
        assert!(
            text.contains(&format!("auditlake report: {name}")),
            "{name}: {text}"
        );
        assert!(shots.join(format!("{name}-0.png")).exists());
    }
}
