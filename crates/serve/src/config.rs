//! `[serve]`: where the console listens, who may sign in and as what, and where the record of
//! its readers goes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[serve]` of the configuration file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// The address the console and API listen on.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Where the server keeps the record of its readers (`access.jsonl`, one `audit.log.*`
    /// event a line) and the state of the pipeline that archives it. Must survive restarts.
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// The source name the record of reads is archived under (one per server replica: each
    /// source is one digest chain).
    #[serde(default = "default_access_source")]
    pub access_source: String,
    /// How often the archive is verified against its digests for the Integrity page, in
    /// seconds; 0: once at start only.
    #[serde(default = "default_verify_interval_secs")]
    pub verify_interval_secs: u64,
    /// OIDC bearer tokens (`[serve.oidc]`); without it only service tokens sign in.
    #[serde(default)]
    pub oidc: Option<OidcConfig>,
    /// Service tokens (`[[serve.tokens]]`).
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
    /// The most rows one page of events holds.
    #[serde(default = "default_max_page")]
    pub max_page: usize,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_state_dir() -> PathBuf {
    PathBuf::from("./serve-state")
}
fn default_access_source() -> String {
    "serve-access".into()
}
fn default_verify_interval_secs() -> u64 {
    3600
}
fn default_max_page() -> usize {
    1000
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: default_listen(),
            state_dir: default_state_dir(),
            access_source: default_access_source(),
            verify_interval_secs: default_verify_interval_secs(),
            oidc: None,
            tokens: Vec::new(),
            max_page: default_max_page(),
        }
    }
}

/// A role: what a signed-in reader may see and do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Only events whose actor is the reader.
    User,
    /// Everything within its tenants.
    Admin,
    /// Everything (within its tenants, where it has a tenant).
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }
}

/// `[serve.oidc]`: JWTs an identity provider signs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The `iss` every token must carry.
    pub issuer: String,
    /// The `aud` every token must carry (one of them, where it is a list).
    pub audience: String,
    /// The provider's signing keys as a JWKS document in a file ...
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// ... or at an URL (fetched at start and again when a token names an unknown key, at most
    /// once a minute).
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// The signature algorithms accepted; `none` and HMAC never are.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// The claim holding the reader's roles (a string or a list of strings).
    #[serde(default = "default_roles_claim")]
    pub roles_claim: String,
    /// Claim values that mean a role, beside the role names themselves
    /// (`"auditlake-auditors" = "auditor"`).
    #[serde(default)]
    pub role_map: BTreeMap<String, Role>,
    /// The role of a signed-in reader whose token names no role; none: refused.
    #[serde(default)]
    pub default_role: Option<Role>,
    /// The claim holding the reader's tenants (a string or a list); a reader with tenants sees
    /// only their events, whatever the role.
    #[serde(default = "default_tenant_claim")]
    pub tenant_claim: String,
    /// Seconds of clock difference allowed on `exp` and `nbf`.
    #[serde(default = "default_leeway_secs")]
    pub leeway_secs: u64,
    /// The console's sign-in through the provider (`[serve.oidc.login]`: the authorization
    /// code flow with PKCE); without it the console takes a pasted token.
    #[serde(default)]
    pub login: Option<LoginConfig>,
}

/// `[serve.oidc.login]`: the console as a public OIDC client.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoginConfig {
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub client_id: String,
    /// The console's own address as the provider redirects to it: `https://HOST/auth/callback`.
    pub redirect_url: String,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Which token of the provider's answer the console reads with: `id_token` (its `aud` is
    /// the client id, which `audience` must then be) or `access_token`.
    #[serde(default)]
    pub bearer: BearerToken,
}

/// The token of a token response the console uses as its bearer token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BearerToken {
    #[default]
    IdToken,
    AccessToken,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "email".into(), "profile".into()]
}

fn default_algorithms() -> Vec<String> {
    vec!["RS256".into(), "ES256".into(), "EdDSA".into()]
}
fn default_roles_claim() -> String {
    "roles".into()
}
fn default_tenant_claim() -> String {
    "tenant".into()
}
fn default_leeway_secs() -> u64 {
    30
}

/// `[[serve.tokens]]`: a service's static token, kept as its SHA-256 only.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Who the token is: the reader named in the record of reads.
    pub name: String,
    /// The lowercase hex SHA-256 of the token (`auditlake serve-token` prints both).
    pub sha256: String,
    pub role: Role,
    /// The tenants the token is confined to; all when absent (an `admin` needs some).
    #[serde(default)]
    pub tenants: Option<Vec<String>>,
    /// For a `user` token: the actor ids whose events it sees.
    #[serde(default)]
    pub actor_ids: Vec<String>,
}

impl ServeConfig {
    /// Where the pipeline that archives the record of reads keeps its checkpoint, spool and
    /// (when no signing key is configured) its generated key.
    pub fn pipeline_state_dir(&self) -> PathBuf {
        self.state_dir.join("agent")
    }

    /// Checks what serde cannot; errors name the key.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(o) = &self.oidc {
            match (&o.jwks_file, &o.jwks_url) {
                (Some(_), Some(_)) => {
                    return Err("serve.oidc: give jwks_file or jwks_url, not both".into());
                }
                (None, None) => return Err("serve.oidc: jwks_file or jwks_url is needed".into()),
                _ => {}
            }
            if o.issuer.is_empty() {
                return Err("serve.oidc.issuer: empty".into());
            }
            if o.audience.is_empty() {
                return Err("serve.oidc.audience: empty".into());
            }
            if o.algorithms.is_empty() {
                return Err("serve.oidc.algorithms: empty".into());
            }
            for a in &o.algorithms {
                crate::auth::asymmetric_algorithm(a)
                    .map_err(|e| format!("serve.oidc.algorithms: {e}"))?;
            }
            if let Some(l) = &o.login {
                for (key, url) in [
                    ("authorization_endpoint", &l.authorization_endpoint),
                    ("token_endpoint", &l.token_endpoint),
                    ("redirect_url", &l.redirect_url),
                ] {
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        return Err(format!(
                            "serve.oidc.login.{key}: {url:?} is not an http(s) URL"
                        ));
                    }
                }
                if !l.redirect_url.ends_with("/auth/callback") {
                    return Err(format!(
                        "serve.oidc.login.redirect_url: {:?} must be the console's /auth/callback",
                        l.redirect_url
                    ));
                }
                if l.client_id.is_empty() {
                    return Err("serve.oidc.login.client_id: empty".into());
                }
                if l.bearer == BearerToken::IdToken && o.audience != l.client_id {
                    return Err(format!(
                        "serve.oidc.audience: {:?} must be the client id {:?}: an id_token's audience is the client",
                        o.audience, l.client_id
                    ));
                }
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, t) in self.tokens.iter().enumerate() {
            let key = format!("serve.tokens[{i}]");
            if t.name.is_empty() {
                return Err(format!("{key}.name: empty"));
            }
            if !names.insert(&t.name) {
                return Err(format!("{key}.name: {:?} is given twice", t.name));
            }
            if t.sha256.len() != 64
                || !t
                    .sha256
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            {
                return Err(format!(
                    "{key}.sha256: expected 64 lowercase hex digits (the SHA-256 of the token)"
                ));
            }
            if t.role == Role::User && t.actor_ids.is_empty() {
                return Err(format!(
                    "{key}.actor_ids: a user token needs the actor ids it sees"
                ));
            }
            if t.role == Role::Admin && t.tenants.as_ref().is_none_or(Vec::is_empty) {
                return Err(format!("{key}.tenants: an admin token needs its tenants"));
            }
        }
        if self.max_page == 0 {
            return Err("serve.max_page: must be at least 1".into());
        }
        Ok(())
    }
}
