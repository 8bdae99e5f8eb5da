//! `auditlake serve` in a test: an archive of the sample logs plus a few events of our own (a
//! hostile username, a second tenant), service tokens of every role, an OIDC provider of our own
//! (an ES256 and an Ed25519 key in a JWKS file, tokens signed here), and the running server.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::{auditlake, free_port, quickstart_config, run_ok, wait_for};

pub const ISSUER: &str = "https://idp.test/";
pub const AUDIENCE: &str = "auditlake";

/// Alice's ids in every source: the application's, sshd's and the identity provider's.
pub const ALICE_IDS: &[&str] = &["u-1001", "alice", "alice@example.com"];

/// A username typed by an attacker: markup, a terminal escape, a formula, a bidi override.
pub const HOSTILE: &str = "<script>alert(1)</script>\u{1b}[31mred\u{202e}evil";

/// The events of our own, beside the samples (auditlake's JSON event format).
fn extra_events() -> String {
    let hostile = serde_json::to_string(HOSTILE).unwrap();
    [
        format!(
            r#"{{"id":"x-hostile-1","time":"2026-11-21T09:00:00Z","action":"authentication.login","outcome":"failure","actor":{{"id":{hostile},"name":"<img src=x onerror=alert(2)>"}},"src_ip":"198.51.100.9","message":"=HYPERLINK(\"http://attacker.example\")"}}"#
        ),
        r#"{"id":"x-globex-1","time":"2026-11-21T10:00:00Z","action":"authentication.login","outcome":"success","actor":{"id":"g-7","name":"Gina","email":"gina@globex.example"},"tenant":"globex","src_ip":"192.0.2.70"}"#.into(),
        r#"{"id":"x-globex-2","time":"2026-11-21T10:05:00Z","action":"resource.update","outcome":"success","actor":{"id":"g-7","name":"Gina","email":"gina@globex.example"},"tenant":"globex","src_ip":"192.0.2.70","resource":{"type":"document","id":"gx-1"},"changes":[{"field":"owner","old":"g-7","new":"g-8"}]}"#.into(),
        r#"{"id":"x-key-1","time":"2026-11-20T07:55:00Z","action":"credential.register","outcome":"success","actor":{"id":"u-1001","name":"Alice Martin","email":"alice@example.com"},"tenant":"acme","src_ip":"203.0.113.5","credential":{"id":"cred-yubi-01","rp_id":"portal.acme.example","rp_name":"Acme Portal"}}"#.into(),
        r#"{"id":"x-key-2","time":"2026-11-21T08:01:00Z","action":"credential.use","outcome":"success","actor":{"id":"u-1001","name":"Alice Martin","email":"alice@example.com"},"tenant":"acme","src_ip":"203.0.113.5","credential":{"id":"cred-yubi-01","rp_id":"portal.acme.example","rp_name":"Acme Portal"}}"#.into(),
        r#"{"id":"x-key-3","time":"2026-11-22T09:30:00Z","action":"credential.delete","outcome":"success","actor":{"id":"u-1001","name":"Alice Martin","email":"alice@example.com"},"tenant":"acme","src_ip":"203.0.113.5","credential":{"id":"cred-yubi-01","rp_id":"portal.acme.example","rp_name":"Acme Portal"}}"#.into(),
        r#"{"id":"x-alice-mail","time":"2026-11-22T08:00:00Z","action":"data.export","outcome":"success","actor":{"id":"svc-export","email":"alice@example.com"},"tenant":"acme","src_ip":"203.0.113.5"}"#.into(),
        // An account named after someone: it must not become them.
        r#"{"id":"x-mallory-1","time":"2026-11-22T08:30:00Z","action":"authentication.login","outcome":"success","actor":{"id":"mallory-1","name":"alice"},"tenant":"acme","src_ip":"198.51.100.66"}"#.into(),
    ]
    .join("\n")
        + "\n"
}

/// A fake identity provider on 127.0.0.1: `/authorize` approves at once (redirecting back with
/// a code), `/token` exchanges a code once, checking the PKCE verifier against the `S256`
/// challenge and the redirect URI, and answers an id_token for Alice signed by `provider`.
pub struct Idp {
    pub port: u16,
}

/// The client id of the console at the fake provider (also the tokens' audience).
pub const CLIENT_ID: &str = AUDIENCE;

impl Idp {
    pub fn start(provider: std::sync::Arc<Provider>) -> Idp {
        use std::collections::HashMap;
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            // code -> (challenge, redirect_uri)
            let mut codes: HashMap<String, (String, String)> = HashMap::new();
            let mut n = 0u64;
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut head = String::new();
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    head.push_str(&line);
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                let params = |q: &str| -> HashMap<String, String> {
                    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
                };
                let answer = match path {
                    "/authorize" => {
                        let q = params(query);
                        if q.get("response_type").map(String::as_str) != Some("code")
                            || q.get("client_id").map(String::as_str) != Some(CLIENT_ID)
                            || q.get("code_challenge_method").map(String::as_str) != Some("S256")
                        {
                            "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_string()
                        } else {
                            n += 1;
                            let code = format!("code-{n}");
                            let redirect = q["redirect_uri"].clone();
                            codes.insert(
                                code.clone(),
                                (q["code_challenge"].clone(), redirect.clone()),
                            );
                            format!(
                                "HTTP/1.1 302 Found\r\nLocation: {redirect}?code={code}&state={}\r\nContent-Length: 0\r\n\r\n",
                                encode(&q["state"])
                            )
                        }
                    }
                    "/token" => {
                        let f = params(&String::from_utf8_lossy(&body));
                        let ok = f.get("grant_type").map(String::as_str)
                            == Some("authorization_code")
                            && f.get("client_id").map(String::as_str) == Some(CLIENT_ID)
                            && f.get("code").and_then(|c| codes.remove(c)).is_some_and(
                                |(challenge, redirect)| {
                                    use sha2::Digest;
                                    let verifier =
                                        f.get("code_verifier").cloned().unwrap_or_default();
                                    B64.encode(sha2::Sha256::digest(verifier.as_bytes()))
                                        == challenge
                                        && f.get("redirect_uri") == Some(&redirect)
                                },
                            );
                        let (status, body) = if ok {
                            let mut claims = Provider::claims("00u-alice", &["user"]);
                            claims["email"] = json!("alice@example.com");
                            claims["name"] = json!("Alice Martin");
                            (
                                "200 OK",
                                json!({"token_type": "Bearer", "expires_in": 3600,
                                "id_token": provider.sign(Algorithm::ES256, &claims),
                                "access_token": "opaque-access-token"}),
                            )
                        } else {
                            ("400 Bad Request", json!({"error": "invalid_grant"}))
                        };
                        let body = body.to_string();
                        format!(
                            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        )
                    }
                    _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_string(),
                };
                let _ = conn.write_all(answer.as_bytes());
            }
        });
        Idp { port }
    }
}

/// A value percent-encoded for a URL's query (form encoding).
pub fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The OIDC provider's keys.
pub struct Provider {
    ec: rcgen::KeyPair,
    ed: ed25519_dalek::SigningKey,
}

impl Provider {
    pub fn new() -> Provider {
        Provider {
            ec: rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
            ed: ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng),
        }
    }

    /// The JWKS document of both public keys.
    pub fn jwks(&self) -> Value {
        let point = self.ec.public_key_raw();
        assert_eq!(point.len(), 65, "an uncompressed P-256 point");
        json!({"keys": [
            {"kty": "EC", "crv": "P-256", "kid": "ec-1", "alg": "ES256", "use": "sig",
             "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..])},
            {"kty": "OKP", "crv": "Ed25519", "kid": "ed-1", "alg": "EdDSA", "use": "sig",
             "x": B64.encode(self.ed.verifying_key().as_bytes())},
        ]})
    }

    /// The bytes an attacker would use as an HMAC secret: the published key.
    pub fn public_bytes(&self) -> Vec<u8> {
        self.ec.public_key_raw().to_vec()
    }

    /// A token signed with `alg` (`ES256` or `EdDSA`) and the key of that type.
    pub fn sign(&self, alg: Algorithm, claims: &Value) -> String {
        let (key, kid) = match alg {
            Algorithm::ES256 => (EncodingKey::from_ec_der(&self.ec.serialize_der()), "ec-1"),
            Algorithm::EdDSA => (
                EncodingKey::from_ed_der(self.ed.to_pkcs8_der().unwrap().as_bytes()),
                "ed-1",
            ),
            other => panic!("no key for {other:?}"),
        };
        let mut header = Header::new(alg);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(&header, claims, &key).unwrap()
    }

    /// Valid claims for `sub` with `roles`, expiring in an hour.
    pub fn claims(sub: &str, roles: &[&str]) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now, "exp": now + 3600,
               "roles": roles})
    }
}

/// A new service token from `auditlake serve-token`: the token, and its `[[serve.tokens]]`
/// table with `extra` lines added.
fn new_token(name: &str, role: &str, extra: &str) -> (String, String) {
    let out = run_ok(auditlake().args(["serve-token", "--name", name, "--role", role]));
    let text = String::from_utf8(out.stdout).unwrap();
    let token = text
        .lines()
        .find_map(|l| l.strip_prefix("token: "))
        .expect("serve-token prints the token")
        .to_string();
    let table = &text[text.find("[[serve.tokens]]").expect("and its table")..];
    (
        token,
        format!("{}{extra}\n\n", table.trim_end().to_string() + "\n"),
    )
}

/// The service tokens of the fixture, as they are presented.
pub struct Tokens {
    pub auditor: String,
    pub alice: String,
    pub acme_admin: String,
    pub globex_admin: String,
}

/// A built archive, its configuration and the provider; the server is started from it.
pub struct Fixture {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub provider: std::sync::Arc<Provider>,
    pub idp: Idp,
    pub tokens: Tokens,
    pub port: u16,
}

impl Fixture {
    /// The archive of the samples and our own events, and a configuration with `[serve]`.
    pub fn new(dir: &Path) -> Fixture {
        let provider = std::sync::Arc::new(Provider::new());
        let idp = Idp::start(provider.clone());
        let jwks = dir.join("jwks.json");
        std::fs::write(&jwks, provider.jwks().to_string()).unwrap();
        let extra = dir.join("extra.jsonl");
        std::fs::write(&extra, extra_events()).unwrap();
        let config = quickstart_config(dir);
        let port = free_port();
        // Nothing is flushed while a test reads: the record of reads reaches the archive when
        // the server stops.
        let mut text = std::fs::read_to_string(&config)
            .unwrap()
            .replace("flush_interval_secs = 60", "flush_interval_secs = 3600");
        text = text.replacen(
            "[[sources]]",
            &format!(
                "[[sources]]\nname = \"extra\"\npaths = [\"{}\"]\nprofile = \"auditlake-json\"\n\n[[sources]]",
                extra.display()
            ),
            1,
        );
        text.push_str(&format!(
            "\n[serve]\nlisten = \"127.0.0.1:{port}\"\nstate_dir = \"{}/serve\"\nverify_interval_secs = 0\nmax_page = 500\n\n",
            dir.display()
        ));
        text.push_str(&format!(
            "[serve.oidc]\nissuer = \"{ISSUER}\"\naudience = \"{AUDIENCE}\"\njwks_file = \"{}\"\nalgorithms = [\"ES256\", \"EdDSA\"]\nrole_map = {{ \"auditlake-auditors\" = \"auditor\" }}\n\n",
            jwks.display()
        ));
        let idp_url = format!("http://127.0.0.1:{}", idp.port);
        text.push_str(&format!(
            "[serve.oidc.login]\nauthorization_endpoint = \"{idp_url}/authorize\"\ntoken_endpoint = \"{idp_url}/token\"\nclient_id = \"{CLIENT_ID}\"\nredirect_url = \"http://127.0.0.1:{port}/auth/callback\"\n\n"
        ));
        let (auditor, t) = new_token("auditor-svc", "auditor", "");
        text.push_str(&t);
        let (alice, t) = new_token("alice-svc", "user", "actor_ids = [\"u-1001\"]");
        text.push_str(&t);
        let (acme_admin, t) = new_token("acme-admin", "admin", "tenants = [\"acme\"]");
        text.push_str(&t);
        let (globex_admin, t) = new_token("globex-admin", "admin", "tenants = [\"globex\"]");
        text.push_str(&t);
        text.push_str(&format!(
            "[[identity.people]]\nname = \"Alice Martin\"\nids = [{}]\n",
            ALICE_IDS
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        std::fs::write(&config, text).unwrap();
        run_ok(
            auditlake()
                .args(["agent", "--once", "--config"])
                .arg(&config),
        );
        Fixture {
            dir: dir.to_path_buf(),
            config,
            provider,
            idp,
            tokens: Tokens {
                auditor,
                alice,
                acme_admin,
                globex_admin,
            },
            port,
        }
    }

    /// Starts the server and waits for it to answer.
    pub fn start(&self) -> Server {
        let child = auditlake()
            .args(["serve", "--config"])
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(self.dir.join("serve.log")).unwrap(),
            ))
            .spawn()
            .unwrap();
        let server = Server {
            child: Some(child),
            base: format!("http://127.0.0.1:{}", self.port),
            client: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
            log: self.dir.join("serve.log"),
        };
        // Ready once it has learned who is who from the archive.
        wait_for("auditlake serve", Duration::from_secs(60), || {
            server
                .client
                .get(server.url("/readyz"))
                .send()
                .is_ok_and(|r| r.status() == 200)
        });
        server
    }
}

/// A running `auditlake serve`.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub client: reqwest::blocking::Client,
    log: PathBuf,
}

/// An answer: status and body.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GETs `path` with `token` (none: no Authorization header).
    pub fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().unwrap_or_else(|e| panic!("GET {path}: {e}"));
        Answer {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.bytes().unwrap().to_vec(),
        }
    }

    /// GETs `path` and expects 200 with JSON.
    pub fn json(&self, path: &str, token: &str) -> Value {
        let a = self.get(path, Some(token));
        assert_eq!(
            a.status,
            200,
            "GET {path}: {}",
            String::from_utf8_lossy(&a.body)
        );
        a.json()
    }

    /// Every event of a filter (a query string), following the cursors; pages of `limit`.
    pub fn all_events(&self, query: &str, limit: usize, token: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10_000 {
            let mut path = format!("/api/v1/events?limit={limit}");
            if !query.is_empty() {
                path.push('&');
                path.push_str(query);
            }
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = self.json(&path, token);
            let events = page["events"].as_array().unwrap();
            assert!(events.len() <= limit, "{path}: {} rows", events.len());
            out.extend(events.iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return out,
            }
        }
        panic!("more than 10,000 pages");
    }

    /// Stops the server with SIGTERM and waits for it to exit 0 (the record of reads is then
    /// archived); returns its stderr.
    pub fn stop(mut self) -> String {
        let mut child = self.child.take().unwrap();
        run_ok(std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]));
        let status = child.wait().unwrap();
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        assert!(
            status.success(),
            "auditlake serve exited with {status}:\n{log}"
        );
        log
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
