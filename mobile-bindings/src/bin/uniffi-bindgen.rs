//! The UniFFI binding generator, built from the same uniffi version as the library so the two
//! always agree: `cargo run -p gridline-mobile --features bindgen --bin uniffi-bindgen -- ...`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
