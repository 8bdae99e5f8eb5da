//! The console's sign-in through the identity provider: the OAuth 2.0 authorization code flow
//! with PKCE (RFC 7636, `S256`), the server as a public client.
//!
//! `/auth/login` sends the browser to the provider with a fresh `state` and code challenge;
//! the provider sends it back to `/auth/callback` with a code, which the server exchanges (with
//! the verifier only it knows) for the provider's tokens. The token the console reads with is
//! checked like any bearer token before it is handed to the page, in the URL's fragment (never
//! sent to a server; the page moves it into the tab's session storage and out of the address).
//! A `state` is good once, for ten minutes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::App;
use crate::api::json_response;
use crate::config::{BearerToken, LoginConfig};

/// How long a sign-in may take at the provider.
const STATE_TTL: Duration = Duration::from_secs(600);
/// Sign-ins in progress at once; the oldest are dropped beyond it.
const MAX_PENDING: usize = 10_000;
/// How long the token exchange may take.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(15);

/// Sign-ins in progress: `state` -> the PKCE verifier and when it began.
pub struct Login {
    config: LoginConfig,
    pending: Mutex<HashMap<String, (String, Instant)>>,
    client: reqwest::Client,
}

fn random() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    B64.encode(b)
}

/// The `S256` challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    B64.encode(Sha256::digest(verifier.as_bytes()))
}

fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Back to the console's sign-in page with a message.
fn failed(message: &str) -> Response {
    tracing::warn!(message, "a sign-in through the identity provider failed");
    let m: String = form_urlencoded::byte_serialize(message.as_bytes()).collect();
    redirect(&format!("/#sign-in-error={m}"))
}

impl Login {
    pub fn new(config: &LoginConfig) -> Result<Login, String> {
        Ok(Login {
            config: config.clone(),
            pending: Mutex::new(HashMap::new()),
            client: reqwest::Client::builder()
                .timeout(EXCHANGE_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| format!("serve.oidc.login: cannot build an HTTP client: {e}"))?,
        })
    }

    /// The provider's authorization URL of a new sign-in.
    fn begin(&self) -> String {
        let (state, verifier) = (random(), random());
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, (_, at)| at.elapsed() < STATE_TTL);
        if pending.len() >= MAX_PENDING
            && let Some(oldest) = pending
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(k, _)| k.clone())
        {
            pending.remove(&oldest);
        }
        let c = &self.config;
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &c.client_id)
            .append_pair("redirect_uri", &c.redirect_url)
            .append_pair("scope", &c.scopes.join(" "))
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge(&verifier))
            .append_pair("code_challenge_method", "S256")
            .finish();
        pending.insert(state, (verifier, Instant::now()));
        let sep = if c.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{sep}{query}", c.authorization_endpoint)
    }

    /// The verifier of a `state` handed out less than [`STATE_TTL`] ago, used up.
    fn take(&self, state: &str) -> Option<String> {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending
            .remove(state)
            .filter(|(_, at)| at.elapsed() < STATE_TTL)
            .map(|(v, _)| v)
    }

    /// The provider's token for a code.
    async fn exchange(&self, code: &str, verifier: &str) -> Result<String, String> {
        let c = &self.config;
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", &c.redirect_url)
            .append_pair("client_id", &c.client_id)
            .append_pair("code_verifier", verifier)
            .finish();
        let r = self
            .client
            .post(&c.token_endpoint)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("the identity provider's token endpoint: {e}"))?;
        let status = r.status();
        let v: serde_json::Value = r
            .json()
            .await
            .map_err(|e| format!("the identity provider's token answer: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "the identity provider refused the code ({status}): {}",
                v.get("error")
                    .and_then(|e| e.as_str())
                    .unwrap_or("no error given")
            ));
        }
        let key = match c.bearer {
            BearerToken::IdToken => "id_token",
            BearerToken::AccessToken => "access_token",
        };
        v.get(key)
            .and_then(|t| t.as_str())
            .map(str::to_string)
            .ok_or_else(|| format!("the identity provider's answer has no {key}"))
    }
}

/// `GET /api/v1/login`: where the console's sign-in button goes, if anywhere.
pub async fn info(State(app): State<Arc<App>>) -> Response {
    json_response(
        StatusCode::OK,
        &serde_json::json!({ "login_url": app.login.as_ref().map(|_| "/auth/login") }),
    )
}

/// `GET /auth/login`.
pub async fn login(State(app): State<Arc<App>>) -> Response {
    match &app.login {
        Some(l) => redirect(&l.begin()),
        None => failed("this console has no sign-in through an identity provider; paste a token"),
    }
}

/// `GET /auth/callback?code=...&state=...`.
pub async fn callback(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let Some(l) = &app.login else {
        return failed("this console has no sign-in through an identity provider");
    };
    let q: HashMap<String, String> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    if let Some(e) = q.get("error") {
        let detail = q.get("error_description").map(String::as_str).unwrap_or("");
        return failed(&format!("the identity provider said {e}: {detail}"));
    }
    let (Some(code), Some(state)) = (q.get("code"), q.get("state")) else {
        return failed("the identity provider sent no code or state back");
    };
    let Some(verifier) = l.take(state) else {
        return failed("this sign-in is unknown, used already or expired: sign in again");
    };
    let token = match l.exchange(code, &verifier).await {
        Ok(t) => t,
        Err(e) => return failed(&e),
    };
    // The page gets only a token the API accepts.
    if let Err(e) = app
        .auth
        .authenticate(Some(&format!("Bearer {token}")))
        .await
    {
        return failed(&format!(
            "the identity provider's token is not accepted: {e}"
        ));
    }
    let t: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
    let mut r = redirect(&format!("/#token={t}"));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn a_state_is_good_once() {
        let l = Login::new(&LoginConfig {
            authorization_endpoint: "https://idp.test/authorize".into(),
            token_endpoint: "https://idp.test/token".into(),
            client_id: "console".into(),
            redirect_url: "https://audit.test/auth/callback".into(),
            scopes: vec!["openid".into()],
            bearer: BearerToken::IdToken,
        })
        .unwrap();
        let url = l.begin();
        let q: HashMap<String, String> =
            form_urlencoded::parse(url.split_once('?').unwrap().1.as_bytes())
                .into_owned()
                .collect();
        assert_eq!(q["code_challenge_method"], "S256");
        let verifier = l.take(&q["state"]).expect("the state handed out");
        assert_eq!(challenge(&verifier), q["code_challenge"]);
        assert!(l.take(&q["state"]).is_none(), "a state is used once");
        assert!(l.take("made-up").is_none());
    }
}
