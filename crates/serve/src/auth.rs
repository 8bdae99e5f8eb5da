//! Who is reading: a bearer token checked and turned into a [`Principal`] with a role and a
//! scope. Deny by default: no token, an unknown token, a token that fails any check, or one that
//! grants no role is refused.
//!
//! - **Service tokens** (`[[serve.tokens]]`): the configuration keeps only their SHA-256; a
//!   presented token is hashed and compared in constant time with every one.
//! - **OIDC JWTs** (`[serve.oidc]`): the signature against the provider's JWKS (the key the
//!   token's `kid` names, whose type fits the algorithm), an algorithm from the configured list
//!   (never `none`, never HMAC: a public key is no shared secret), `iss`, `aud`, `exp` (and
//!   `nbf`) within the leeway, and a `sub`.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use auditlake_filter::Scope;

use crate::config::{OidcConfig, Role, ServeConfig, TokenConfig};
use crate::identity::Directory;

/// The least time between two fetches of a JWKS URL prompted by unknown key ids.
const JWKS_REFETCH: Duration = Duration::from_secs(60);
/// How long a JWKS fetch may take.
const JWKS_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No credentials, or credentials that do not check out: 401.
    #[error("{0}")]
    Unauthorized(String),
    /// Credentials that check out but grant nothing here: 403.
    #[error("{0}")]
    Forbidden(String),
}

/// What kind of reader a principal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderKind {
    /// A person signed in through the identity provider.
    Person,
    /// A service with a static token.
    Service,
}

/// A signed-in reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`, or the service token's name.
    pub subject: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub kind: ReaderKind,
    pub role: Role,
    /// The tenants the reader is confined to; `None`: every tenant.
    pub tenants: Option<Vec<String>>,
    /// For a `user`: the actor ids whose events are theirs.
    pub actor_ids: Vec<String>,
}

impl Principal {
    /// The restriction every read of this principal is ANDed with; `None` for an auditor of
    /// every tenant.
    pub fn scope(&self) -> Option<Scope> {
        let own = self.role == Role::User;
        if !own && self.tenants.is_none() {
            return None;
        }
        // An id of the person may be their e-mail: it matches `actor_email` too.
        let emails: BTreeSet<String> = self
            .actor_ids
            .iter()
            .chain(&self.email)
            .filter(|id| id.contains('@'))
            .cloned()
            .collect();
        Some(Scope {
            actor_ids: own.then(|| self.actor_ids.clone()),
            actor_emails: if own {
                emails.into_iter().collect()
            } else {
                Vec::new()
            },
            tenants: self.tenants.clone(),
        })
    }
}

/// An algorithm a token may be signed with: asymmetric ones only.
pub fn asymmetric_algorithm(name: &str) -> Result<Algorithm, String> {
    let a: Algorithm = name
        .parse()
        .map_err(|_| format!("{name:?} is not a JWS signature algorithm"))?;
    match a {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Err(format!(
            "{name}: HMAC algorithms are not accepted (with a provider's public key as the secret, anyone could sign)"
        )),
        a => Ok(a),
    }
}

/// The lowercase hex SHA-256 of a token: what `[[serve.tokens]]` keeps.
pub fn token_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Checks tokens.
pub struct Authenticator {
    tokens: Vec<([u8; 32], TokenConfig)>,
    oidc: Option<Oidc>,
    directory: Arc<Directory>,
}

struct Oidc {
    config: OidcConfig,
    algorithms: Vec<Algorithm>,
    keys: Mutex<JwkSet>,
    last_fetch: Mutex<Option<Instant>>,
    client: reqwest::Client,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("tokens", &self.tokens.len())
            .field("oidc", &self.oidc.as_ref().map(|o| &o.config.issuer))
            .finish()
    }
}

impl Authenticator {
    /// Loads the JWKS (a file must read and parse; an URL that cannot be fetched now is fetched
    /// again when a token comes).
    pub async fn new(
        config: &ServeConfig,
        directory: Arc<Directory>,
    ) -> Result<Authenticator, String> {
        let tokens = config
            .tokens
            .iter()
            .map(|t| {
                let mut h = [0u8; 32];
                hex::decode_to_slice(&t.sha256, &mut h)
                    .map_err(|e| format!("serve.tokens {:?}: sha256: {e}", t.name))?;
                Ok((h, t.clone()))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let oidc = match &config.oidc {
            None => None,
            Some(c) => {
                let algorithms = c
                    .algorithms
                    .iter()
                    .map(|a| asymmetric_algorithm(a))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("serve.oidc.algorithms: {e}"))?;
                let client = reqwest::Client::builder()
                    .timeout(JWKS_TIMEOUT)
                    .build()
                    .map_err(|e| format!("serve.oidc: cannot build an HTTP client: {e}"))?;
                let oidc = Oidc {
                    config: c.clone(),
                    algorithms,
                    keys: Mutex::new(JwkSet { keys: Vec::new() }),
                    last_fetch: Mutex::new(None),
                    client,
                };
                if let Some(file) = &c.jwks_file {
                    *oidc.keys.lock().expect("not poisoned") = read_jwks(file)?;
                } else if let Err(e) = oidc.fetch().await {
                    tracing::warn!(error = %e, "serve.oidc.jwks_url: cannot fetch the keys now; trying again when a token comes");
                }
                Some(oidc)
            }
        };
        Ok(Authenticator {
            tokens,
            oidc,
            directory,
        })
    }

    /// The reader an `Authorization` header value names.
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, AuthError> {
        let Some(value) = authorization else {
            return Err(AuthError::Unauthorized(
                "sign in: an Authorization: Bearer token is needed".into(),
            ));
        };
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                AuthError::Unauthorized("the Authorization header is not a Bearer token".into())
            })?;
        if looks_like_jwt(token) {
            let Some(oidc) = &self.oidc else {
                return Err(AuthError::Unauthorized(
                    "a JWT was given but no OIDC provider is configured".into(),
                ));
            };
            return oidc.principal(token, &self.directory).await;
        }
        self.service(token)
    }

    fn service(&self, token: &str) -> Result<Principal, AuthError> {
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        // Every stored hash is compared, in constant time, whatever matches.
        let mut found = None;
        for (hash, t) in &self.tokens {
            if constant_time_eq(hash, &presented) {
                found = Some(t);
            }
        }
        let t = found.ok_or_else(|| AuthError::Unauthorized("unknown token".into()))?;
        Ok(Principal {
            subject: t.name.clone(),
            name: Some(t.name.clone()),
            email: None,
            kind: ReaderKind::Service,
            role: t.role,
            tenants: t.tenants.clone(),
            actor_ids: self
                .directory
                .people()
                .expand(t.actor_ids.iter().map(String::as_str)),
        })
    }
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A compact JWS: three base64url parts.
fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && token.starts_with("eyJ")
}

fn read_jwks(path: &Path) -> Result<JwkSet, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("serve.oidc.jwks_file: {}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("serve.oidc.jwks_file: {}: not a JWKS: {e}", path.display()))
}

impl Oidc {
    async fn fetch(&self) -> Result<(), String> {
        let Some(url) = &self.config.jwks_url else {
            return Ok(());
        };
        *self.last_fetch.lock().expect("not poisoned") = Some(Instant::now());
        let set: JwkSet = self
            .client
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| format!("{url}: {e}"))?
            .json()
            .await
            .map_err(|e| format!("{url}: not a JWKS: {e}"))?;
        *self.keys.lock().expect("not poisoned") = set;
        Ok(())
    }

    fn key(&self, kid: Option<&str>, alg: Algorithm) -> Option<Jwk> {
        let keys = self.keys.lock().expect("not poisoned");
        let fits = |k: &&Jwk| {
            k.common
                .key_algorithm
                .is_none_or(|ka| ka.to_string() == format!("{alg:?}"))
        };
        match kid {
            Some(kid) => keys
                .keys
                .iter()
                .filter(fits)
                .find(|k| k.common.key_id.as_deref() == Some(kid))
                .cloned(),
            None => {
                let mut fitting = keys.keys.iter().filter(fits);
                match (fitting.next(), fitting.next()) {
                    (Some(k), None) => Some(k.clone()),
                    _ => None,
                }
            }
        }
    }

    async fn principal(&self, token: &str, directory: &Directory) -> Result<Principal, AuthError> {
        let bad = |m: String| AuthError::Unauthorized(m);
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| bad(format!("the token is not a valid signed JWT: {e}")))?;
        if !self.algorithms.contains(&header.alg) {
            return Err(bad(format!(
                "the token is signed with {:?}, which is not accepted",
                header.alg
            )));
        }
        let kid = header.kid.as_deref();
        let mut jwk = self.key(kid, header.alg);
        if jwk.is_none() && self.config.jwks_url.is_some() {
            let due = self
                .last_fetch
                .lock()
                .expect("not poisoned")
                .is_none_or(|t| t.elapsed() >= JWKS_REFETCH);
            if due {
                if let Err(e) = self.fetch().await {
                    tracing::warn!(error = %e, "cannot fetch the OIDC keys");
                }
                jwk = self.key(kid, header.alg);
            }
        }
        let jwk = jwk.ok_or_else(|| {
            bad(match kid {
                Some(k) => format!("the token's key {k:?} is not one of the provider's keys"),
                None => "the token names no key id and the provider has several keys".into(),
            })
        })?;
        let key = DecodingKey::from_jwk(&jwk)
            .map_err(|e| bad(format!("the provider's key cannot be used: {e}")))?;
        let mut v = Validation::new(header.alg);
        v.algorithms = vec![header.alg];
        v.set_issuer(&[&self.config.issuer]);
        v.set_audience(&[&self.config.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.leeway = self.config.leeway_secs;
        v.validate_exp = true;
        v.validate_nbf = true;
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &v)
            .map_err(|e| bad(format!("the token was refused: {e}")))?;
        let claims = data.claims;
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad("the token has no sub".into()))?
            .to_string();
        let role = strings(claims.get(&self.config.roles_claim))
            .iter()
            .filter_map(|r| {
                self.config.role_map.get(r).copied().or(match r.as_str() {
                    "auditor" => Some(Role::Auditor),
                    "admin" => Some(Role::Admin),
                    "user" => Some(Role::User),
                    _ => None,
                })
            })
            .max()
            .or(self.config.default_role)
            .ok_or_else(|| {
                AuthError::Forbidden(format!(
                    "the token grants no auditlake role (claim {:?})",
                    self.config.roles_claim
                ))
            })?;
        let tenants = claims
            .get(&self.config.tenant_claim)
            .map(|v| strings(Some(v)));
        if role == Role::Admin && tenants.as_ref().is_none_or(Vec::is_empty) {
            return Err(AuthError::Forbidden(format!(
                "an admin is confined to tenants, and the token has none (claim {:?})",
                self.config.tenant_claim
            )));
        }
        let verified = claims.get("email_verified").and_then(Value::as_bool) != Some(false);
        let email = claims
            .get("email")
            .and_then(Value::as_str)
            .filter(|e| verified && !e.is_empty())
            .map(str::to_string);
        let name = ["name", "preferred_username"]
            .iter()
            .find_map(|c| claims.get(*c).and_then(Value::as_str))
            .map(str::to_string);
        let mut own: Vec<&str> = vec![&subject];
        own.extend(email.as_deref());
        Ok(Principal {
            actor_ids: directory.people().expand(own),
            subject,
            name,
            email,
            kind: ReaderKind::Person,
            role,
            tenants,
        })
    }
}

/// A claim as a list of strings: a string is a list of one.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}
