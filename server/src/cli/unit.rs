//! `gridline unit list | add | retire | reinstate`: handling units from the command line, on
//! the database the configuration names (the same settings as `serve`). The rules are the
//! store's ([`crate::store::units::check_fields`], [`check_categories`]), the same the admin
//! API applies; a unit is retired, never deleted.
//!
//! ```text
//! gridline unit list
//! gridline unit add --code bins-west --zh 西区环卫所 --en "West sanitation depot" \
//!     --contact "010-6500 1234" --category E0101 --category C0301 --area 110101001
//! gridline unit retire --code bins-west
//! gridline unit reinstate --code bins-west
//! ```

use std::io::{self, Write};

use chrono::Utc;
use clap::{Args, Subcommand};

use super::user::{database, open_database};
use super::{CliError, CliResult};
use crate::clock::rfc3339;
use crate::store::DbConnection;
use crate::store::units::{self, UnitRow, check_categories, check_fields, encode_categories};

#[derive(Debug, Subcommand)]
pub enum UnitCommand {
    /// List every unit, retired ones too (tab-separated: code, state, area, categories, names, contact).
    List,
    /// Create a unit.
    Add(AddArgs),
    /// Retire a unit: dispatch no longer accepts it; its cases keep their history.
    Retire {
        #[arg(long)]
        code: String,
    },
    /// Make a retired unit active again.
    Reinstate {
        #[arg(long)]
        code: String,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// 1-64 characters of a-z, 0-9, '_' or '-'; never reused.
    #[arg(long)]
    code: String,
    /// The Chinese name.
    #[arg(long)]
    zh: String,
    /// The English name.
    #[arg(long)]
    en: String,
    /// A contact line (phone, person).
    #[arg(long, default_value = "")]
    contact: String,
    /// A category code the unit handles (repeatable): suggests the unit at dispatch.
    #[arg(long = "category", value_name = "CODE")]
    categories: Vec<String>,
    /// The district (6 digits) or street (9 digits) it serves; none for the whole city.
    #[arg(long)]
    area: Option<String>,
}

pub fn run(command: UnitCommand) -> CliResult {
    let db = open_database()?;
    let mut conn = db.get().map_err(database)?;
    match command {
        UnitCommand::List => list(&mut conn),
        UnitCommand::Add(args) => add(&mut conn, args),
        UnitCommand::Retire { code } => set_active(&mut conn, &code, false),
        UnitCommand::Reinstate { code } => set_active(&mut conn, &code, true),
    }
}

fn list(conn: &mut DbConnection) -> CliResult {
    let rows = units::list(conn, true).map_err(database)?;
    let mut out = io::stdout().lock();
    let mut write =
        |line: String| writeln!(out, "{line}").map_err(|e| CliError::failure(format!("stdout: {e}")));
    write("code\tstate\tarea\tcategories\tzh\ten\tcontact".to_owned())?;
    for row in rows {
        let state = match row.retired_at {
            Some(at) => format!("retired {}", rfc3339(at)),
            None => "active".to_owned(),
        };
        let categories = row.categories().map_err(database)?.join(",");
        write(format!(
            "{}\t{state}\t{}\t{categories}\t{}\t{}\t{}",
            row.code,
            row.area.as_deref().unwrap_or("city"),
            row.name_zh,
            row.name_en,
            row.contact
        ))?;
    }
    Ok(())
}

fn add(conn: &mut DbConnection, args: AddArgs) -> CliResult {
    let now = Utc::now().naive_utc();
    let row = UnitRow {
        code: args.code,
        name_zh: args.zh,
        name_en: args.en,
        contact: args.contact,
        categories: encode_categories(&args.categories),
        area: args.area,
        retired_at: None,
        created_at: now,
        updated_at: now,
    };
    check_fields(&row).map_err(|bad| CliError::input(bad.to_string()))?;
    check_categories(conn, &args.categories)
        .map_err(database)?
        .map_err(|bad| CliError::input(bad.to_string()))?;
    if !units::insert(conn, &row).map_err(database)? {
        return Err(CliError::input(format!("a unit (active or retired) has the code {:?}", row.code)));
    }
    println!("unit {} created", row.code);
    Ok(())
}

fn set_active(conn: &mut DbConnection, code: &str, active: bool) -> CliResult {
    let mut row = units::find(conn, code)
        .map_err(database)?
        .ok_or_else(|| CliError::input(format!("no unit has the code {code:?}")))?;
    let now = Utc::now().naive_utc();
    row.retired_at = if active { None } else { row.retired_at.or(Some(now)) };
    row.updated_at = now;
    units::replace(conn, &row).map_err(database)?;
    println!("unit {code} {}", if active { "active" } else { "retired" });
    Ok(())
}
