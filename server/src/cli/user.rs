//! `gridline user add | list | disable`: staff accounts from the command line, on the database
//! the configuration names (the same `DATABASE_URL`, `GRIDLINE_DATA_DIR`, ... as `serve`).
//!
//! This is how a production deployment gets its first admin: the admin API needs an admin, and
//! a production server seeds nothing. The password is read from standard input (a terminal
//! prompt with echo off, or the first line of a pipe), never from the command line, where it
//! would show in `ps` and the shell's history.
//!
//! ```text
//! printf '%s\n' "$PASSWORD" | gridline user add --login wang.li --role admin
//! gridline user add --login zhao --role dispatcher --area 110101001 < password.txt
//! gridline user list
//! gridline user disable --login zhao
//! ```
//!
//! The scope follows the role: `admin` and `system` cover the city; a `dispatcher` needs its
//! street (`--area`, 9 digits); a `viewer` watches the city, or the district or street given
//! with `--area`; an `inspector` gets the grid cells given with `--area` (repeatable, possibly
//! none yet); a `handler` needs its handling unit (`--unit`). The account rules themselves
//! (login names, password length, which scope fits which role) are those of
//! [`crate::auth::users`], the same the admin API applies.

use std::collections::BTreeSet;
use std::io::{self, BufRead, IsTerminal, Write};
use std::time::Duration;

use clap::{Args, Subcommand};
use gridline_core::codes::{AreaCode, AreaLevel, GridCode};
use gridline_core::workflow::Role;

use super::{CliError, CliResult};
use crate::auth::users::{self, AccountKind, NewStaff, User, UserPatch, UserQuery};
use crate::auth::{AuthError, Scope, now};
use crate::config::Config;
use crate::store::{Db, DbConnection};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account; the password is read from standard input.
    Add(AddArgs),
    /// List the staff accounts: login, role, scope, state, creation time (tab-separated).
    List {
        /// Only accounts of this role.
        #[arg(long)]
        role: Option<Role>,
    },
    /// Disable an account: it can no longer sign in, and its sessions are revoked.
    Disable {
        /// The account's login name.
        #[arg(long)]
        login: String,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Login name: 3 to 64 of a-z, 0-9, '.', '_' and '-' (case-insensitive).
    #[arg(long)]
    login: String,
    /// admin, district_admin, dispatcher, inspector, handler, viewer, operator or system.
    #[arg(long)]
    role: Role,
    /// The area of the account: a street (dispatcher), a district (district_admin), a district
    /// or street (viewer, operator; none is the whole city), a grid cell (inspector; repeat for
    /// several).
    #[arg(long = "area", value_name = "CODE")]
    areas: Vec<String>,
    /// The handling unit's code (handler).
    #[arg(long)]
    unit: Option<String>,
    /// Display name (default: the login name).
    #[arg(long)]
    name: Option<String>,
}

pub fn run(command: UserCommand) -> CliResult {
    // Checked before the database is touched: a mistyped command changes nothing.
    if let UserCommand::Add(args) = &command {
        scope_of(args.role, &args.areas, args.unit.as_deref())?;
    }
    let db = open_database()?;
    let mut conn = db.get().map_err(database)?;
    match command {
        UserCommand::Add(args) => add(&mut conn, args),
        UserCommand::List { role } => list(&mut conn, role),
        UserCommand::Disable { login } => disable(&mut conn, &login),
    }
}

pub(super) fn open_database() -> Result<Db, CliError> {
    let config = Config::load().map_err(|e| CliError::input(format!("configuration: {e}")))?;
    Db::connect(config.database_url.expose(), 1, Duration::from_secs(config.settings.db_timeout_secs))
        .map_err(database)
}

/// The calendar and response limit of the configuration, as the statistics' roll-ups count
/// by them (the same `GRIDLINE_CALENDAR_FILE` and `GRIDLINE_RESPONSE_LIMIT` as `serve`).
pub(super) fn rollup_rules() -> Result<std::sync::Arc<crate::store::rollups::RollupRules>, CliError> {
    let config = Config::load().map_err(|e| CliError::input(format!("configuration: {e}")))?;
    let settings = &config.settings;
    let calendar = crate::calendar::city_calendar(settings.calendar_file.as_deref())
        .map_err(|e| CliError::input(format!("working calendar: {e}")))?;
    let limit = settings.response_limit.working_duration(calendar.settings().day_length());
    Ok(crate::store::rollups::register(std::sync::Arc::new(calendar), limit))
}

pub(super) fn database(e: impl std::fmt::Display) -> CliError {
    CliError::failure(format!("database: {e}"))
}

/// An account error as the command line shows it: what the user gave wrong exits with 2.
fn account(e: AuthError) -> CliError {
    match e {
        AuthError::Database(cause) => database(cause),
        AuthError::Internal(cause) => CliError::failure(cause),
        _ => CliError::input(e.to_string()),
    }
}

/// The scope an account of `role` gets from `--area` and `--unit`.
fn scope_of(role: Role, areas: &[String], unit: Option<&str>) -> Result<Scope, CliError> {
    let refuse = |what: &str| {
        CliError::input(format!("{} account {what}", gridline_core::workflow::with_article(role)))
    };
    if unit.is_some() && role != Role::Handler {
        return Err(refuse("has no --unit (only a handler belongs to a handling unit)"));
    }
    let area = |code: &str| AreaCode::parse(code).map_err(|e| CliError::input(format!("--area: {e}")));
    let scope = match role {
        Role::Admin | Role::System if areas.is_empty() => Scope::City,
        Role::Admin | Role::System => return Err(refuse("covers the whole city: leave out --area")),
        Role::Dispatcher => match areas {
            [street] => Scope::Street { street: area(street)? },
            _ => return Err(refuse("needs its street: --area with a 9-digit street code")),
        },
        Role::DistrictAdmin => match areas {
            [district] => Scope::District { district: area(district)? },
            _ => return Err(refuse("needs its district: --area with a 6-digit district code")),
        },
        Role::Viewer | Role::Operator => match areas {
            [] => Scope::City,
            [code] => {
                let code = area(code)?;
                match code.level() {
                    AreaLevel::District => Scope::District { district: code },
                    AreaLevel::Street => Scope::Street { street: code },
                    _ => {
                        return Err(refuse("watches the city, a district (6 digits) or a street (9 digits)"));
                    }
                }
            }
            _ => return Err(refuse("watches one area: give --area at most once")),
        },
        Role::Inspector => {
            let grids = areas
                .iter()
                .map(|code| GridCode::parse(code).map_err(|e| CliError::input(format!("--area: {e}"))))
                .collect::<Result<BTreeSet<_>, _>>()?;
            Scope::Grids { grids }
        }
        Role::Handler => match (unit, areas) {
            (Some(unit), []) => Scope::Unit { unit: unit.to_owned() },
            (None, _) => return Err(refuse("needs its handling unit: --unit CODE")),
            (Some(_), _) => return Err(refuse("has a handling unit, not an area: leave out --area")),
        },
        Role::Citizen => {
            return Err(CliError::input(
                "citizens sign up themselves by phone or device; staff roles are admin, district_admin, dispatcher, inspector, handler, viewer, operator and system",
            ));
        }
    };
    scope.check_fits(role).map_err(|e| CliError::input(format!("scope: {e}")))?;
    Ok(scope)
}

fn add(conn: &mut DbConnection, args: AddArgs) -> CliResult {
    let scope = scope_of(args.role, &args.areas, args.unit.as_deref())?;
    let password = read_password()?;
    let display_name = args.name.unwrap_or_else(|| args.login.clone());
    let staff = NewStaff {
        login: args.login,
        display_name,
        role: args.role,
        scope: Some(scope),
        password: Some(password),
    };
    let (user, _) = users::create_staff(conn, staff, now()).map_err(account)?;
    println!("created {}", describe(&user));
    Ok(())
}

/// Every staff account, role by role (citizens, who may be millions, are not listed).
fn list(conn: &mut DbConnection, role: Option<Role>) -> CliResult {
    const PAGE: i64 = 500;
    let roles: Vec<Role> = match role {
        Some(Role::Citizen) => {
            return Err(CliError::input("citizen accounts are not listed (staff roles only)"));
        }
        Some(role) => vec![role],
        None => Role::ALL.iter().copied().filter(|r| *r != Role::Citizen).collect(),
    };
    let mut out = io::stdout().lock();
    let mut write =
        |line: String| writeln!(out, "{line}").map_err(|e| CliError::failure(format!("stdout: {e}")));
    write("login\trole\tscope\tstate\tcreated".to_owned())?;
    for role in roles {
        let mut offset = 0;
        loop {
            let query = UserQuery { role: Some(role), limit: PAGE, offset, kind: AccountKind::Staff };
            let page = users::list(conn, &query).map_err(account)?;
            for user in &page {
                let state = if user.disabled { "disabled" } else { "active" };
                let login = user.login.as_deref().unwrap_or("-");
                write(format!(
                    "{login}\t{}\t{}\t{state}\t{}",
                    user.role,
                    scope_text(&user.scope),
                    user.created_at.to_rfc3339()
                ))?;
            }
            if (page.len() as i64) < PAGE {
                break;
            }
            offset += PAGE;
        }
    }
    Ok(())
}

fn disable(conn: &mut DbConnection, login: &str) -> CliResult {
    let login = users::normalize_login(login).map_err(account)?;
    let row = users::find_by_login(conn, &login)
        .map_err(account)?
        .ok_or_else(|| CliError::input(format!("no account with the login {login:?}")))?;
    let patch = UserPatch { disabled: Some(true), ..Default::default() };
    // The revocation is written to the database for the running nodes; this process keeps no
    // list of its own to apply it to.
    let revocations = crate::auth::revocation::RevocationList::default();
    let user = users::update(conn, &revocations, &row.id, patch, now()).map_err(account)?;
    println!("disabled {}; its sessions are revoked", describe(&user));
    Ok(())
}

fn describe(user: &User) -> String {
    format!(
        "{} {} ({}, {})",
        user.role,
        user.login.as_deref().unwrap_or("-"),
        scope_text(&user.scope),
        user.id
    )
}

fn scope_text(scope: &Scope) -> String {
    match scope {
        Scope::City => "city".to_owned(),
        Scope::District { district } => format!("district {district}"),
        Scope::Street { street } => format!("street {street}"),
        Scope::Grids { grids } if grids.is_empty() => "no grid cells yet".to_owned(),
        Scope::Grids { grids } => {
            format!("grid cells {}", grids.iter().map(ToString::to_string).collect::<Vec<_>>().join(","))
        }
        Scope::Unit { unit } => format!("unit {unit}"),
        Scope::Own => "own reports".to_owned(),
    }
}

/// The new password: typed twice at a terminal with echo off, or the first line of a pipe.
fn read_password() -> Result<String, CliError> {
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        return read_line(&mut stdin.lock())?
            .ok_or_else(|| CliError::input("no password on standard input (give it as the first line)"));
    }
    let echo_off = set_terminal_echo(false);
    let result = (|| {
        eprint!("password: ");
        let first = read_line(&mut stdin.lock())?;
        eprint!("\nthe same password again: ");
        let second = read_line(&mut stdin.lock())?;
        eprintln!();
        match (first, second) {
            (Some(a), Some(b)) if a == b => Ok(a),
            (Some(_), Some(_)) => Err(CliError::input("the two passwords differ; nothing was created")),
            _ => Err(CliError::input("no password given; nothing was created")),
        }
    })();
    if echo_off {
        set_terminal_echo(true);
    }
    result
}

/// One line without its line ending; `None` at end of input or for an empty line.
fn read_line(input: &mut impl BufRead) -> Result<Option<String>, CliError> {
    let mut line = String::new();
    input.read_line(&mut line).map_err(|e| CliError::failure(format!("standard input: {e}")))?;
    let line = line.strip_suffix('\n').unwrap_or(&line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    Ok((!line.is_empty()).then(|| line.to_owned()))
}

/// Turns the controlling terminal's echo on or off with `stty` (no unsafe termios calls in
/// this crate); whether it worked. Without `stty`, the password is typed visibly.
fn set_terminal_echo(on: bool) -> bool {
    let Ok(tty) = std::fs::File::open("/dev/tty") else { return false };
    std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(tty)
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn each_role_gets_the_scope_its_area_names() {
        assert_eq!(scope_of(Role::Admin, &[], None).unwrap(), Scope::City);
        let street = AreaCode::parse("110101001").unwrap();
        assert_eq!(
            scope_of(Role::Dispatcher, &codes(&["110101001"]), None).unwrap(),
            Scope::Street { street }
        );
        assert_eq!(scope_of(Role::Viewer, &[], None).unwrap(), Scope::City);
        let district = AreaCode::parse("110101").unwrap();
        assert_eq!(scope_of(Role::Viewer, &codes(&["110101"]), None).unwrap(), Scope::District { district });
        assert_eq!(
            scope_of(Role::DistrictAdmin, &codes(&["110101"]), None).unwrap(),
            Scope::District { district }
        );
        let cells = codes(&["110101001001001", "110101001001002"]);
        assert!(
            matches!(scope_of(Role::Inspector, &cells, None).unwrap(), Scope::Grids { grids } if grids.len() == 2)
        );
        assert_eq!(
            scope_of(Role::Handler, &[], Some("sanitation")).unwrap(),
            Scope::Unit { unit: "sanitation".into() }
        );
    }

    #[test]
    fn a_scope_that_does_not_fit_the_role_is_refused_before_anything_is_stored() {
        for (role, areas, unit) in [
            (Role::Admin, codes(&["110101001"]), None),
            (Role::Dispatcher, vec![], None),
            (Role::Dispatcher, codes(&["110101"]), None),
            (Role::Dispatcher, codes(&["not a code"]), None),
            (Role::DistrictAdmin, vec![], None),
            (Role::DistrictAdmin, codes(&["110101001"]), None),
            (Role::DistrictAdmin, codes(&["110101", "110102"]), None),
            (Role::DistrictAdmin, vec![], Some("sanitation")),
            (Role::Viewer, codes(&["110101001001001"]), None),
            (Role::Inspector, codes(&["110101001"]), None),
            (Role::Handler, vec![], None),
            (Role::Handler, vec![], Some("bad unit code!")),
            (Role::Admin, vec![], Some("sanitation")),
            (Role::Citizen, vec![], None),
        ] {
            let refused = scope_of(role, &areas, unit).unwrap_err();
            assert_eq!(refused.exit_code, 2, "{role} {areas:?} {unit:?}: {}", refused.message);
        }
    }

    #[test]
    fn a_piped_password_is_its_first_line_without_the_line_ending() {
        let mut input = io::Cursor::new("  spaces kept  \r\nsecond line\n");
        assert_eq!(read_line(&mut input).unwrap().as_deref(), Some("  spaces kept  "));
        assert_eq!(read_line(&mut io::Cursor::new("")).unwrap(), None);
        assert_eq!(read_line(&mut io::Cursor::new("\n")).unwrap(), None);
    }
}
