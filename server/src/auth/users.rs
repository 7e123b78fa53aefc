//! Accounts: staff (login + password), citizens (phone), anonymous devices (device secret).
//! [`User`] is the view that leaves the server; the password hash and device secret hash never
//! do. Also [`seed_demo_users`], one account of each role for the demo city.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use gridline_core::codes::{AreaCode, AreaLevel, GridCode};
use gridline_core::workflow::Role;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Conn;
use super::error::{AuthError, AuthResult};
use super::password::{check_new_password, generate_password, hash_password};
use super::phone::PhoneNumber;
use super::phone_vault::PhoneVault;
use super::refresh;
use super::scope::Scope;
use crate::store::schema::users;

/// Longest display name accepted.
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;

/// An account row as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub role: String,
    pub scope: String,
    pub display_name: String,
    pub login: Option<String>,
    pub password_hash: Option<String>,
    pub phone: Option<String>,
    pub device_secret_hash: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// The number's look-up hash ([`super::phone_vault`]); the number itself is only sealed.
    pub phone_hash: Option<String>,
    pub phone_sealed: Option<String>,
    /// The password is a one-time password from a reset: it signs in only together with a new
    /// one ([`super::session::password_login`]).
    pub password_must_change: bool,
}

/// An account as the API shows it (core's [`gridline_core::protocol::UserView`]): no password
/// hash, no device secret.
pub use gridline_core::protocol::UserView as User;

fn time(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

impl UserRow {
    /// The API view. A row whose role or scope no longer parses is an internal error, never a
    /// silently widened account.
    pub fn to_user(&self) -> AuthResult<User> {
        let role: Role = self
            .role
            .parse()
            .map_err(|e| AuthError::Internal(format!("user {}: stored role: {e}", self.id)))?;
        let scope: Scope = serde_json::from_str(&self.scope)
            .map_err(|e| AuthError::Internal(format!("user {}: stored scope: {e}", self.id)))?;
        Ok(User {
            id: self.id.clone(),
            role,
            scope,
            display_name: self.display_name.clone(),
            login: self.login.clone(),
            // The number is stored sealed; only the sign-in that has just proven it shows it.
            phone: None,
            anonymous: self.device_secret_hash.is_some() && self.phone_hash.is_none(),
            disabled: self.disabled,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
        })
    }
}

fn scope_json(scope: &Scope) -> AuthResult<String> {
    serde_json::to_string(scope).map_err(|e| AuthError::Internal(format!("scope to JSON: {e}")))
}

/// Shortest and longest staff login name.
pub const MIN_LOGIN_CHARS: usize = 3;
pub const MAX_LOGIN_CHARS: usize = 64;

/// Normalize and check a staff login name: 3 to 64 of `a-z 0-9 . _ -`, case-insensitive.
pub fn normalize_login(login: &str) -> AuthResult<String> {
    let login = login.trim().to_lowercase();
    let ok = (MIN_LOGIN_CHARS..=MAX_LOGIN_CHARS).contains(&login.len())
        && login
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(login)
    } else {
        Err(AuthError::InvalidField {
            field: "login",
            reason: "a login name has 3 to 64 characters among a-z, 0-9, '.', '_' and '-'".into(),
        })
    }
}

pub(crate) fn check_display_name(name: &str) -> AuthResult<String> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_DISPLAY_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AuthError::InvalidField {
            field: "display_name",
            reason: format!(
                "a display name has 1 to {MAX_DISPLAY_NAME_CHARS} characters and no control characters"
            ),
        });
    }
    Ok(name.to_owned())
}

/// What an admin gives to create a staff account.
#[derive(Debug, Clone)]
pub struct NewStaff {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    /// `None` takes the role's default scope where there is one.
    pub scope: Option<Scope>,
    /// `None` generates a password, returned once.
    pub password: Option<String>,
}

/// Create a staff account (any role but citizen). Returns the account and, when the password
/// was generated, that password (shown once, never stored in clear).
pub fn create_staff(conn: &mut Conn, new: NewStaff, now: i64) -> AuthResult<(User, Option<String>)> {
    if new.role == Role::Citizen {
        return Err(AuthError::InvalidField {
            field: "role",
            reason: "citizens sign up themselves by phone or device; staff roles are inspector, dispatcher, handler, admin, district_admin, system, viewer and operator".into(),
        });
    }
    let login = normalize_login(&new.login)?;
    let display_name = check_display_name(&new.display_name)?;
    let scope = match new.scope {
        Some(scope) => scope,
        None => Scope::default_for(new.role).ok_or(AuthError::InvalidField {
            field: "scope",
            reason: format!("role {} needs an explicit scope", new.role),
        })?,
    };
    scope.check_fits(new.role)?;
    let (password, generated) = match new.password {
        Some(p) => (p, None),
        None => {
            let p = generate_password();
            (p.clone(), Some(p))
        }
    };
    check_new_password(&password)?;
    let row = UserRow {
        id: Uuid::now_v7().to_string(),
        role: new.role.as_str().to_owned(),
        scope: scope_json(&scope)?,
        display_name,
        login: Some(login),
        password_hash: Some(hash_password(&password)?),
        phone: None,
        device_secret_hash: None,
        disabled: false,
        created_at: now,
        updated_at: now,
        phone_hash: None,
        phone_sealed: None,
        password_must_change: false,
    };
    match diesel::insert_into(users::table).values(&row).execute(conn) {
        Ok(_) => Ok((row.to_user()?, generated)),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            Err(AuthError::LoginTaken)
        }
        Err(e) => Err(e.into()),
    }
}

pub fn find_by_id(conn: &mut Conn, id: &str) -> AuthResult<Option<UserRow>> {
    Ok(users::table.find(id).select(UserRow::as_select()).first(conn).optional()?)
}

pub fn find_by_login(conn: &mut Conn, login: &str) -> AuthResult<Option<UserRow>> {
    Ok(users::table.filter(users::login.eq(login)).select(UserRow::as_select()).first(conn).optional()?)
}

/// The citizen account of `phone` (found by its look-up hash), created on first sign-in with
/// the number sealed.
pub fn find_or_create_citizen(
    conn: &mut Conn,
    phones: &PhoneVault,
    phone: &PhoneNumber,
    now: i64,
) -> AuthResult<UserRow> {
    let phone_hash = phones.lookup_hash(phone);
    let find = |conn: &mut Conn| -> AuthResult<Option<UserRow>> {
        Ok(users::table
            .filter(users::phone_hash.eq(&phone_hash))
            .select(UserRow::as_select())
            .first(conn)
            .optional()?)
    };
    if let Some(row) = find(conn)? {
        return Ok(row);
    }
    let mut row = citizen_row(true, None, now)?;
    row.phone_hash = Some(phone_hash.clone());
    row.phone_sealed = Some(phones.seal(phone)?);
    match diesel::insert_into(users::table).values(&row).execute(conn) {
        Ok(_) => Ok(row),
        // the same number signed in twice at once: the other request created it
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            find(conn)?.ok_or_else(|| AuthError::Internal("citizen vanished after a duplicate insert".into()))
        }
        Err(e) => Err(e.into()),
    }
}

fn citizen_row(by_phone: bool, device_secret_hash: Option<String>, now: i64) -> AuthResult<UserRow> {
    let display_name = if by_phone { "Citizen" } else { "Anonymous citizen" };
    Ok(UserRow {
        id: Uuid::now_v7().to_string(),
        role: Role::Citizen.as_str().to_owned(),
        scope: scope_json(&Scope::Own)?,
        display_name: display_name.to_owned(),
        login: None,
        password_hash: None,
        phone: None,
        device_secret_hash,
        disabled: false,
        created_at: now,
        updated_at: now,
        phone_hash: None,
        phone_sealed: None,
        password_must_change: false,
    })
}

fn device_secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Create an anonymous citizen bound to a new device secret (32 random bytes, base64url).
/// Returns the account and the secret, which the device keeps to sign in again.
pub fn create_anonymous(conn: &mut Conn, now: i64) -> AuthResult<(UserRow, String)> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let row = citizen_row(false, Some(device_secret_hash(&secret)), now)?;
    diesel::insert_into(users::table).values(&row).execute(conn)?;
    Ok((row, secret))
}

/// The anonymous account a device secret belongs to. The secret has 256 bits of entropy, so a
/// plain SHA-256 lookup is safe; no slow hash is needed.
pub fn find_by_device_secret(conn: &mut Conn, secret: &str) -> AuthResult<Option<UserRow>> {
    if secret.len() > 128 {
        return Ok(None);
    }
    Ok(users::table
        .filter(users::device_secret_hash.eq(device_secret_hash(secret)))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Filters and paging for the admin list.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub role: Option<Role>,
    pub limit: i64,
    pub offset: i64,
    /// Which kind of account, on top of `role`.
    pub kind: AccountKind,
}

/// Staff, citizens known by phone, and anonymous device accounts are listed apart: a city's
/// device accounts outnumber its staff by far and would bury them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// Every account (the role filter alone decides).
    #[default]
    Any,
    /// Staff accounts (every role but citizen).
    Staff,
    /// Citizens who signed in with a phone number.
    Citizen,
    /// Anonymous device accounts (a device secret, no phone).
    Device,
}

/// Accounts in creation order (ids are UUIDv7).
pub fn list(conn: &mut Conn, query: &UserQuery) -> AuthResult<Vec<User>> {
    let mut q = users::table.select(UserRow::as_select()).order(users::id.asc()).into_boxed();
    if let Some(role) = query.role {
        q = q.filter(users::role.eq(role.as_str()));
    }
    let citizen = Role::Citizen.as_str();
    q = match query.kind {
        AccountKind::Any => q,
        AccountKind::Staff => q.filter(users::role.ne(citizen)),
        AccountKind::Citizen => q.filter(users::role.eq(citizen)).filter(users::phone_hash.is_not_null()),
        AccountKind::Device => q
            .filter(users::role.eq(citizen))
            .filter(users::device_secret_hash.is_not_null())
            .filter(users::phone_hash.is_null()),
    };
    let rows = q.limit(query.limit.clamp(1, 500)).offset(query.offset.max(0)).load(conn)?;
    rows.iter().map(UserRow::to_user).collect()
}

/// A change an admin makes to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub role: Option<Role>,
    pub scope: Option<Scope>,
    pub display_name: Option<String>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

/// Apply `patch` to account `id`. A new role needs a scope that fits it (given, or the role's
/// default). Changing role, scope, password or disabling revokes the account's refresh tokens,
/// so the change reaches every device within one access-token lifetime (15 minutes).
pub fn update(
    conn: &mut Conn,
    revocations: &super::revocation::RevocationList,
    id: &str,
    patch: UserPatch,
    now: i64,
) -> AuthResult<User> {
    crate::store::write_transaction::<_, AuthError, _>(conn, |conn| {
        let Some(mut row) = find_by_id(conn, id)? else {
            return Err(AuthError::UserNotFound);
        };
        let current = row.to_user()?;
        let role = patch.role.unwrap_or(current.role);
        if (role == Role::Citizen) != (current.role == Role::Citizen) {
            return Err(AuthError::InvalidField {
                field: "role",
                reason: "an account cannot move between citizen and staff roles".into(),
            });
        }
        let scope = match (patch.scope, patch.role) {
            (Some(scope), _) => scope,
            (None, Some(new_role)) if new_role != current.role => {
                Scope::default_for(new_role).ok_or(AuthError::InvalidField {
                    field: "scope",
                    reason: format!("role {new_role} needs an explicit scope"),
                })?
            }
            (None, _) => current.scope.clone(),
        };
        scope.check_fits(role)?;
        let mut revoke = role != current.role || scope != current.scope;
        row.role = role.as_str().to_owned();
        row.scope = scope_json(&scope)?;
        if let Some(name) = patch.display_name {
            row.display_name = check_display_name(&name)?;
        }
        let was_disabled = row.disabled;
        if let Some(disabled) = patch.disabled {
            revoke |= disabled && !row.disabled;
            row.disabled = disabled;
        }
        if let Some(password) = patch.password {
            if row.login.is_none() {
                return Err(AuthError::InvalidField {
                    field: "password",
                    reason: "only staff accounts (with a login name) have a password".into(),
                });
            }
            check_new_password(&password)?;
            row.password_hash = Some(hash_password(&password)?);
            // A password chosen (by its owner, or set by an admin) is no one-time password.
            row.password_must_change = false;
            revoke = true;
        }
        row.updated_at = now;
        diesel::update(users::table.find(id))
            .set((
                users::role.eq(&row.role),
                users::scope.eq(&row.scope),
                users::display_name.eq(&row.display_name),
                users::disabled.eq(row.disabled),
                users::password_hash.eq(&row.password_hash),
                users::password_must_change.eq(row.password_must_change),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        if was_disabled && !row.disabled {
            super::revocation::enable(conn, revocations, id)?;
        }
        if revoke {
            // Refresh tokens end, and the access tokens already handed out with them.
            refresh::revoke_all_of_user(conn, id, now)?;
            super::revocation::revoke(conn, revocations, id, row.disabled)?;
        }
        row.to_user()
    })
}

/// Every staff account of `role`, a page at a time (the street office's and the coverage's
/// lists, which filter by scope in memory).
pub fn all_staff_of(conn: &mut Conn, role: Role) -> AuthResult<Vec<User>> {
    const PAGE: i64 = 500;
    let mut all = Vec::new();
    loop {
        let query =
            UserQuery { role: Some(role), limit: PAGE, offset: all.len() as i64, kind: AccountKind::Staff };
        let page = list(conn, &query)?;
        let done = (page.len() as i64) < PAGE;
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}

/// Resets the password of staff account `id` to a generated one-time password, which signs in
/// only together with a new password ([`super::session::password_login`]); every session of
/// the account ends. Returns the account and the password, to be shown once.
pub fn reset_password(
    conn: &mut Conn,
    revocations: &super::revocation::RevocationList,
    id: &str,
    now: i64,
) -> AuthResult<(User, String)> {
    crate::store::write_transaction::<_, AuthError, _>(conn, |conn| {
        let row = find_by_id(conn, id)?.ok_or(AuthError::UserNotFound)?;
        if row.login.is_none() {
            return Err(AuthError::InvalidField {
                field: "reset_password",
                reason: "only staff accounts (with a login name) have a password".into(),
            });
        }
        let password = generate_password();
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(Some(hash_password(&password)?)),
                users::password_must_change.eq(true),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        refresh::revoke_all_of_user(conn, id, now)?;
        super::revocation::revoke(conn, revocations, id, row.disabled)?;
        let user = find_by_id(conn, id)?.ok_or(AuthError::UserNotFound)?.to_user()?;
        Ok((user, password))
    })
}

/// One demo account of each staff role, with its generated password (printed once by the
/// caller). Inspector, dispatcher and district admin scopes come from `first_grid`: its street,
/// that grid, and its district; the read-only viewer watches the whole city, and the hotline
/// operator takes the whole city's calls.
pub fn seed_demo_users(
    conn: &mut Conn,
    first_grid: GridCode,
    handling_unit: &str,
    now: i64,
) -> AuthResult<Vec<(User, String)>> {
    let street = AreaCode::parse(&first_grid.to_string()[..9])
        .map_err(|e| AuthError::Internal(format!("street of the demo grid: {e}")))?;
    let district = first_grid.area(AreaLevel::District);
    let accounts = [
        ("admin", "Demo city admin", Role::Admin, Scope::City),
        ("district", "Demo district admin", Role::DistrictAdmin, Scope::District { district }),
        ("dispatcher", "Demo street dispatcher", Role::Dispatcher, Scope::Street { street }),
        (
            "inspector",
            "Demo grid inspector",
            Role::Inspector,
            Scope::Grids { grids: [first_grid].into_iter().collect() },
        ),
        ("handler", "Demo handling unit", Role::Handler, Scope::Unit { unit: handling_unit.to_owned() }),
        ("viewer", "Demo operations screen (read-only)", Role::Viewer, Scope::City),
        ("operator", "Demo hotline operator (12345)", Role::Operator, Scope::City),
    ];
    let mut created = Vec::with_capacity(accounts.len());
    for (login, name, role, scope) in accounts {
        let password = generate_password();
        let (user, _) = create_staff(
            conn,
            NewStaff {
                login: login.into(),
                display_name: name.into(),
                role,
                scope: Some(scope),
                password: Some(password.clone()),
            },
            now,
        )?;
        created.push((user, password));
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::password::verify_password;
    use crate::auth::test_db;

    fn staff(login: &str, role: Role, scope: Option<Scope>) -> NewStaff {
        NewStaff { login: login.into(), display_name: "Someone".into(), role, scope, password: None }
    }

    #[test]
    fn staff_get_a_generated_password_that_is_stored_hashed() {
        let mut conn = test_db::sqlite();
        let (user, password) = create_staff(&mut conn, staff("Wang.Li", Role::Admin, None), 0).unwrap();
        let password = password.unwrap();
        assert_eq!(user.login.as_deref(), Some("wang.li"));
        assert_eq!(user.scope, Scope::City);
        let row = find_by_login(&mut conn, "wang.li").unwrap().unwrap();
        let hash = row.password_hash.unwrap();
        assert!(!hash.contains(&password));
        assert!(verify_password(&password, &hash));
        let json = serde_json::to_string(&user).unwrap();
        assert!(!json.contains("argon2") && !json.contains("password"), "{json}");
    }

    #[test]
    fn logins_are_unique_and_well_formed() {
        let mut conn = test_db::sqlite();
        create_staff(&mut conn, staff("li", Role::Admin, None), 0).unwrap_err();
        create_staff(&mut conn, staff("li.na", Role::Admin, None), 0).unwrap();
        assert!(matches!(
            create_staff(&mut conn, staff("LI.NA", Role::Admin, None), 0),
            Err(AuthError::LoginTaken)
        ));
        assert!(create_staff(&mut conn, staff("li na", Role::Admin, None), 0).is_err());
    }

    #[test]
    fn staff_roles_need_fitting_scopes() {
        let mut conn = test_db::sqlite();
        assert!(create_staff(&mut conn, staff("disp1", Role::Dispatcher, None), 0).is_err());
        assert!(matches!(
            create_staff(&mut conn, staff("disp1", Role::Dispatcher, Some(Scope::City)), 0),
            Err(AuthError::Scope(_))
        ));
        assert!(create_staff(&mut conn, staff("citizen1", Role::Citizen, Some(Scope::Own)), 0).is_err());
        let street = Scope::Street { street: AreaCode::parse("110101001").unwrap() };
        let (user, _) =
            create_staff(&mut conn, staff("disp1", Role::Dispatcher, Some(street.clone())), 0).unwrap();
        assert_eq!(user.scope, street);
    }

    #[test]
    fn citizens_are_found_again_by_phone_and_device() {
        let mut conn = test_db::sqlite();
        let phone = PhoneNumber::parse("13800138000").unwrap();
        let phones = PhoneVault::from_key(b"0123456789abcdef0123456789abcdef").unwrap();
        let a = find_or_create_citizen(&mut conn, &phones, &phone, 0).unwrap();
        let b = find_or_create_citizen(&mut conn, &phones, &phone, 5).unwrap();
        assert_eq!(a.id, b.id);
        assert_eq!((a.phone.clone(), a.phone_hash.clone()), (None, Some(phones.lookup_hash(&phone))));
        assert_eq!(phones.open(a.phone_sealed.as_deref().unwrap()).unwrap(), phone);
        assert_eq!(a.to_user().unwrap().role, Role::Citizen);

        let (anon, secret) = create_anonymous(&mut conn, 0).unwrap();
        assert!(anon.to_user().unwrap().anonymous);
        assert_eq!(find_by_device_secret(&mut conn, &secret).unwrap().unwrap().id, anon.id);
        assert!(find_by_device_secret(&mut conn, "not the secret").unwrap().is_none());
        assert_ne!(anon.device_secret_hash.as_deref(), Some(secret.as_str()));
    }

    #[test]
    fn patches_change_fields_and_revoke_sessions() {
        let mut conn = test_db::sqlite();
        let (user, _) = create_staff(&mut conn, staff("insp", Role::Inspector, None), 0).unwrap();
        let token = refresh::start_family(&mut conn, &user.id, 0).unwrap();
        let cells =
            Scope::Grids { grids: [GridCode::parse("110101001001001").unwrap()].into_iter().collect() };
        let patched = update(
            &mut conn,
            &Default::default(),
            &user.id,
            UserPatch {
                scope: Some(cells.clone()),
                display_name: Some("Zhang Wei".into()),
                ..Default::default()
            },
            10,
        )
        .unwrap();
        assert_eq!(patched.scope, cells);
        assert_eq!(patched.display_name, "Zhang Wei");
        assert!(refresh::rotate(&mut conn, &token, 11).is_err(), "a scope change signs the account out");

        let to_dispatcher = update(
            &mut conn,
            &Default::default(),
            &user.id,
            UserPatch { role: Some(Role::Dispatcher), ..Default::default() },
            12,
        );
        assert!(to_dispatcher.is_err(), "a dispatcher needs a street");
        let to_admin = update(
            &mut conn,
            &Default::default(),
            &user.id,
            UserPatch { role: Some(Role::Admin), ..Default::default() },
            12,
        )
        .unwrap();
        assert_eq!((to_admin.role, to_admin.scope), (Role::Admin, Scope::City));
        let to_citizen = update(
            &mut conn,
            &Default::default(),
            &user.id,
            UserPatch { role: Some(Role::Citizen), ..Default::default() },
            12,
        );
        assert!(to_citizen.is_err());
        let disabled = update(
            &mut conn,
            &Default::default(),
            &user.id,
            UserPatch { disabled: Some(true), ..Default::default() },
            13,
        )
        .unwrap();
        assert!(disabled.disabled);
        assert!(matches!(
            update(&mut conn, &Default::default(), "nobody", UserPatch::default(), 0),
            Err(AuthError::UserNotFound)
        ));
    }

    #[test]
    fn demo_seeding_creates_one_staff_account_per_role_with_distinct_passwords() {
        let mut conn = test_db::sqlite();
        let grid = GridCode::parse("110101001001001").unwrap();
        let seeded = seed_demo_users(&mut conn, grid, "sanitation", 0).unwrap();
        let roles: Vec<Role> = seeded.iter().map(|(u, _)| u.role).collect();
        assert_eq!(
            roles,
            [
                Role::Admin,
                Role::DistrictAdmin,
                Role::Dispatcher,
                Role::Inspector,
                Role::Handler,
                Role::Viewer,
                Role::Operator
            ]
        );
        assert_eq!(seeded[1].0.scope, Scope::District { district: AreaCode::parse("110101").unwrap() });
        assert_eq!(seeded[2].0.scope, Scope::Street { street: AreaCode::parse("110101001").unwrap() });
        assert_ne!(seeded[0].1, seeded[1].1);
        for (user, password) in &seeded {
            let row = find_by_id(&mut conn, &user.id).unwrap().unwrap();
            assert!(verify_password(password, row.password_hash.as_deref().unwrap()));
        }
    }
}
