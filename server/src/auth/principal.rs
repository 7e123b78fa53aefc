//! [`Principal`]: who is calling, taken from the `Authorization: Bearer` access token by an
//! actix extractor, with the scope checks handlers call. See the [`super`] module doc.

use std::future::{Ready, ready};

use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use gridline_core::codes::{AreaCode, GridCode};
use gridline_core::workflow::Role;

use super::AuthSettings;
use super::error::AuthError;
use super::jwt::JwtError;
use super::scope::{CaseFilter, CaseVisibility, Scope};
use crate::error::ApiError;

/// The authenticated caller: an account id, its role and its scope, as signed into the access
/// token at sign-in or the last refresh (changes by an admin revoke the refresh tokens, so they
/// apply within 15 minutes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub role: Role,
    pub scope: Scope,
}

impl Principal {
    /// Refuse with 403 `forbidden` unless the caller has one of `roles`.
    pub fn require_role(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) { Ok(()) } else { Err(AuthError::Forbidden.into()) }
    }

    /// Whether cases in `grid` are in the caller's scope by place (admin: all; dispatcher:
    /// their street; inspector: their cells; handler and citizen: never by place).
    pub fn can_see_grid(&self, grid: GridCode) -> bool {
        self.scope.covers_grid(grid)
    }

    /// Whether the whole of `area` is in the caller's scope (statistics, grid import).
    pub fn can_see_area(&self, area: AreaCode) -> bool {
        self.scope.covers_area(area)
    }

    /// Whether the caller may see this case in a non-public view; exactly the cases that
    /// [`Principal::case_filter`] lets through.
    pub fn can_see_case(&self, case: &CaseVisibility<'_>) -> bool {
        self.case_filter().admits(case)
    }

    /// The filter to apply to any list of cases (see [`CaseFilter`] for how).
    pub fn case_filter(&self) -> CaseFilter {
        CaseFilter::for_scope(&self.scope, &self.user_id)
    }

    /// The caller of `req` from its access token, verified once per request: the first call
    /// (the viewer middleware, or else the handler's extractor) keeps the principal in the
    /// request's extensions, and later calls read it from there.
    pub(super) fn from_request_head(req: &HttpRequest) -> Result<Option<Principal>, AuthError> {
        if let Some(Verified(who)) = req.extensions().get::<Verified>() {
            return Ok(Some(who.clone()));
        }
        let who = Self::verify_bearer(req)?;
        if let Some(who) = &who {
            req.extensions_mut().insert(Verified(who.clone()));
        }
        Ok(who)
    }

    fn verify_bearer(req: &HttpRequest) -> Result<Option<Principal>, AuthError> {
        let Some(header) = req.headers().get(AUTHORIZATION) else {
            return Ok(None);
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or(AuthError::InvalidToken)?;
        // The auth room's own app data (registered beside the app state), so that auth needs
        // nothing from the app room that builds it.
        let auth = req
            .app_data::<web::Data<AuthSettings>>()
            .ok_or_else(|| AuthError::Internal("AuthSettings are not registered as app data".into()))?;
        let claims = auth.access_keys.verify(token).map_err(|e| match e {
            JwtError::Expired => AuthError::ExpiredToken,
            _ => AuthError::InvalidToken,
        })?;
        // A map look-up in this node's copy of the revocation list, no database round trip.
        if auth.revocations.is_revoked(&claims.sub, &claims.jti) {
            return Err(AuthError::RevokedToken);
        }
        Ok(Some(Principal { user_id: claims.sub, role: claims.role, scope: claims.scope }))
    }
}

/// A principal whose token this request's `Authorization` header carried and that verified.
#[derive(Clone)]
struct Verified(Principal);

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match Principal::from_request_head(req) {
            Ok(Some(principal)) => Ok(principal),
            Ok(None) => Err(AuthError::MissingToken.into()),
            Err(e) => Err(e.into()),
        })
    }
}

/// For endpoints open to everyone that show more to a signed-in caller: `None` when no
/// `Authorization` header is sent; a bad or expired token is still refused with 401 (never
/// silently treated as anonymous).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaybePrincipal(pub Option<Principal>);

impl FromRequest for MaybePrincipal {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Principal::from_request_head(req).map(MaybePrincipal).map_err(ApiError::from))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::auth::scope::tests::{area, grid};

    fn principal(role: Role, scope: Scope) -> Principal {
        Principal { user_id: format!("{role}-1"), role, scope }
    }

    /// One principal per role, with the scope that role gets.
    fn everyone() -> Vec<Principal> {
        let cells: BTreeSet<GridCode> = [grid("110101001001001")].into_iter().collect();
        vec![
            principal(Role::Citizen, Scope::Own),
            principal(Role::Inspector, Scope::Grids { grids: cells }),
            principal(Role::Dispatcher, Scope::Street { street: area("110101001") }),
            principal(Role::Handler, Scope::Unit { unit: "roads".into() }),
            principal(Role::Admin, Scope::City),
            principal(Role::System, Scope::City),
            principal(Role::Viewer, Scope::District { district: area("110101") }),
        ]
    }

    #[test]
    fn require_role_admits_exactly_the_listed_roles() {
        for who in everyone() {
            assert!(who.require_role(&[who.role]).is_ok());
            let others: Vec<Role> = Role::ALL.iter().copied().filter(|r| *r != who.role).collect();
            let refused = who.require_role(&others).unwrap_err();
            assert_eq!((refused.kind.status().as_u16(), refused.code), (403, "forbidden"));
            assert!(who.require_role(&[]).is_err());
        }
    }

    #[test]
    fn who_sees_which_grid() {
        let own_cell = grid("110101001001001");
        let same_street = grid("110101001002001");
        let other_district = grid("110102001001001");
        let seen = |g: GridCode| {
            everyone().into_iter().filter(|p| p.can_see_grid(g)).map(|p| p.role).collect::<Vec<_>>()
        };
        assert_eq!(
            seen(own_cell),
            [Role::Inspector, Role::Dispatcher, Role::Admin, Role::System, Role::Viewer]
        );
        assert_eq!(seen(same_street), [Role::Dispatcher, Role::Admin, Role::System, Role::Viewer]);
        assert_eq!(seen(other_district), [Role::Admin, Role::System]);
    }

    #[test]
    fn who_sees_which_area() {
        let seen = |a: &str| {
            everyone().into_iter().filter(|p| p.can_see_area(area(a))).map(|p| p.role).collect::<Vec<_>>()
        };
        assert_eq!(seen("110101001"), [Role::Dispatcher, Role::Admin, Role::System, Role::Viewer]);
        assert_eq!(
            seen("110101001001001"),
            [Role::Inspector, Role::Dispatcher, Role::Admin, Role::System, Role::Viewer]
        );
        assert_eq!(seen("110101"), [Role::Admin, Role::System, Role::Viewer]);
        assert_eq!(seen("110102"), [Role::Admin, Role::System]);
    }

    #[test]
    fn who_sees_which_case() {
        let case = |grid: Option<GridCode>, unit: Option<&'static str>, reporter: Option<&'static str>| {
            CaseVisibility { grid, handling_unit: unit, reporter, triage_street: None, verifier: None }
        };
        let cases = [
            ("in the inspector's cell", case(Some(grid("110101001001001")), None, Some("someone"))),
            ("elsewhere in the street", case(Some(grid("110101001002001")), None, None)),
            ("dispatched to roads, other district", case(Some(grid("110102001001001")), Some("roads"), None)),
            (
                "reported by the citizen, other district",
                case(Some(grid("110102001001001")), None, Some("citizen-1")),
            ),
            ("triage queue", case(None, None, Some("someone"))),
        ];
        let expected: [(&str, &[Role]); 5] = [
            (
                "in the inspector's cell",
                &[Role::Inspector, Role::Dispatcher, Role::Admin, Role::System, Role::Viewer],
            ),
            ("elsewhere in the street", &[Role::Dispatcher, Role::Admin, Role::System, Role::Viewer]),
            ("dispatched to roads, other district", &[Role::Handler, Role::Admin, Role::System]),
            ("reported by the citizen, other district", &[Role::Citizen, Role::Admin, Role::System]),
            ("triage queue", &[Role::Admin, Role::System]),
        ];
        for ((name, case), (expected_name, roles)) in cases.iter().zip(expected) {
            assert_eq!(*name, expected_name);
            let seen: Vec<Role> =
                everyone().into_iter().filter(|p| p.can_see_case(case)).map(|p| p.role).collect();
            assert_eq!(seen, roles, "{name}");
        }
    }
}
