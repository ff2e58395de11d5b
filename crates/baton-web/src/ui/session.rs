//! Who is looking: the session cookie, and the CSRF check on every form.

use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use baton_core::domain::Role;
use baton_db::users::{SESSION_TTL_MS, Session};

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "baton_session";

/// A signed-in person, from the session cookie. Pages that need one send
/// everybody else to the sign-in page.
pub struct Viewer {
    pub session: Session,
    pub token: String,
}

impl Viewer {
    pub fn id(&self) -> i64 {
        self.session.user.id
    }

    pub fn role(&self) -> Role {
        self.session.user.role
    }

    /// A moment as this viewer's pages show it: in the organisation's
    /// time zone, named.
    pub fn when(&self, ms: i64) -> String {
        super::when(ms, &self.session.time_zone)
    }

    /// True when a form read as (name, value) pairs carries this
    /// session's CSRF token.
    pub fn csrf_in(&self, fields: &[(String, String)]) -> bool {
        fields
            .iter()
            .find(|(name, _)| name == "csrf")
            .is_some_and(|(_, sent)| self.csrf_ok(sent))
    }

    /// The person whose deals and work this viewer sees: themselves, or
    /// `None` for owners and managers, who see everyone's (as over the API).
    pub fn limited_to(&self) -> Option<i64> {
        (!self.role().is_manager()).then_some(self.id())
    }

    /// True when a form carries this session's CSRF token.
    pub fn csrf_ok(&self, sent: &str) -> bool {
        // Both are random hex of fixed length; compare without early exit.
        let expected = self.session.csrf_token.as_bytes();
        let sent = sent.as_bytes();
        expected.len() == sent.len()
            && expected
                .iter()
                .zip(sent)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// A form that carries nothing but its CSRF token: a button.
#[derive(serde::Deserialize)]
pub struct ButtonForm {
    pub csrf: String,
}

/// The answer to a form without the session's CSRF token.
pub fn csrf_refused() -> Response {
    super::message(
        StatusCode::FORBIDDEN,
        None,
        "The form has expired",
        "The form has expired or did not come from Baton. Go back, reload the page and send it again."
            .into(),
    )
}

/// Whether a form was sent from another site: the browser says so
/// (`Sec-Fetch-Site`), or its `Origin` is neither the host it sent the form
/// to nor `base_url`, the address people use (a proxy in front may pass
/// its own name for the host). Forms without a session (sign-in, set-up)
/// have no CSRF token, and a page elsewhere must not sign someone in to an
/// account of its choosing.
pub fn from_another_site(headers: &HeaderMap, base_url: &str) -> bool {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if text("sec-fetch-site").is_some_and(|site| site.eq_ignore_ascii_case("cross-site")) {
        return true;
    }
    let Some(origin) = text("origin") else {
        return false;
    };
    let authority = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    let to_this_host = text("host").is_some_and(|host| authority.eq_ignore_ascii_case(host));
    // An opaque origin (`null`) is neither, and says nothing good of where
    // the form came from.
    !(to_this_host || origin.eq_ignore_ascii_case(origin_of(base_url)))
}

/// The scheme and authority of an address, without its path.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |at| after_scheme + at);
    &url[..end]
}

/// The session secret in the request's cookies, if any.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_string())
}

/// `Set-Cookie` for a new session; `Secure` when Baton is served over https.
pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = format!(
        "{COOKIE_NAME}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{secure}",
        SESSION_TTL_MS / 1000
    );
    HeaderValue::from_str(&value).expect("hex tokens make a valid header")
}

/// `Set-Cookie` that removes the session cookie.
pub fn cleared_cookie() -> (axum::http::HeaderName, HeaderValue) {
    (
        SET_COOKIE,
        HeaderValue::from_static("baton_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"),
    )
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // A page asked for is gone back to after signing in; a form sent
        // after the session ended cannot be sent again that way.
        let asked = (parts.method == axum::http::Method::GET)
            .then(|| parts.uri.path_and_query().map(|p| p.as_str().to_string()))
            .flatten()
            .filter(|asked| asked != "/");
        let to_sign_in = || {
            let target = match &asked {
                Some(asked) => format!(
                    "/sign-in?next={}",
                    form_urlencoded::byte_serialize(asked.as_bytes()).collect::<String>()
                ),
                None => "/sign-in".to_string(),
            };
            Redirect::to(&target).into_response()
        };
        let token = cookie_token(&parts.headers).ok_or_else(to_sign_in)?;
        match state.db.session(&token).await {
            Ok(Some(session)) => Ok(Viewer { session, token }),
            Ok(None) => Err(to_sign_in()),
            Err(e) => Err(super::failure(None, e)),
        }
    }
}
