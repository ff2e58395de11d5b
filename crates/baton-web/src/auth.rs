//! Who is calling: bearer API tokens, and the role checks every endpoint makes.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use baton_core::domain::Role;
use baton_db::users::User;

/// The authenticated user behind a request's bearer token.
#[derive(Debug, Clone)]
pub struct Caller(pub User);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        let user = state
            .db
            .user_for_token(token)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(Caller(user))
    }
}

/// The token of an `Authorization: Bearer …` value; the scheme's name is
/// matched whatever its case (RFC 9110 §11.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

impl Caller {
    pub fn id(&self) -> i64 {
        self.0.id
    }

    pub fn role(&self) -> Role {
        self.0.role
    }

    /// Refuses unless the caller has one of `roles`; owners may do anything.
    pub fn require(&self, roles: &[Role], what: &str) -> Result<(), ApiError> {
        if self.0.role == Role::Owner || roles.contains(&self.0.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "{} cannot {what}",
                self.0.role.a_person(false)
            )))
        }
    }

    /// Owners and managers see every team's work.
    pub fn sees_everything(&self) -> bool {
        self.0.role.is_manager()
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_schemes_name_is_read_whatever_its_case() {
        for value in ["Bearer abc", "bearer abc", "BEARER  abc "] {
            assert_eq!(bearer_token(value), Some("abc"), "{value}");
        }
        for value in ["Basic abc", "Bearerabc", "abc"] {
            assert_eq!(bearer_token(value), None, "{value}");
        }
    }
}
