//! Grid routing benchmarks (filled in below).
fn main() {}
