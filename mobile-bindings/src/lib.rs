//! gridline-mobile: the UniFFI façade that the Android and iOS apps call.
uniffi::setup_scaffolding!();
