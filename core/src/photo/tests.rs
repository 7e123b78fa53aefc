//! Unit tests of the photo pipeline internals (sizes, format sniffing, pixel conversions).
