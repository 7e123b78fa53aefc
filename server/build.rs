//! Rebuilds the server when a migration is added or edited: `store::mod` embeds the
//! `migrations/` folders with diesel's `embed_migrations!`, and Cargo does not know those files
//! are inputs of the crate unless a build script names them.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
