#!/usr/bin/env bash
# Build ios/build/gridline_mobileFFI.xcframework and copy the generated Swift bindings into
# ios/Sources/GridlineFFI (the client) and ios/Sources/GridlineCore (the app core's view
# models), so that the GridlineKit package (ios/Package.swift) builds in Xcode.
#
#   ios/scripts/build-xcframework.sh            # on a Mac with Xcode and rustup
#   PROFILE=debug ios/scripts/build-xcframework.sh
#
# Slices: aarch64-apple-ios (devices), and for the simulator aarch64-apple-ios-sim and
# x86_64-apple-ios merged into one fat library with lipo. The header and module map come from
# the same generator as on Linux (scripts/gen-bindings), so the checks that scripts/test-mobile
# runs there (syntax, header = exported symbols) hold for what ships here.
set -euo pipefail
cd "$(dirname "$0")/../.."

profile=${PROFILE:-release}
cargo_profile_flag=$([ "$profile" = release ] && echo --release || true)
out=ios/build
ffi=gridline_mobileFFI
device=aarch64-apple-ios
simulators=(aarch64-apple-ios-sim x86_64-apple-ios)

[ "$(uname -s)" = Darwin ] || { echo "build-xcframework.sh needs macOS with Xcode" >&2; exit 1; }

rustup target add "$device" "${simulators[@]}"
for target in "$device" "${simulators[@]}"; do
    # shellcheck disable=SC2086 # the profile flag is empty for debug builds
    cargo build -p gridline-mobile --lib --target "$target" $cargo_profile_flag
done

# Bindings from the host build of the same sources (the metadata is identical on every target).
scripts/gen-bindings
swift_out=target/bindings/swift

rm -rf "$out" && mkdir -p "$out/headers" "$out/simulator"
# One library, two UniFFI namespaces: both C headers, and one module map (inside an
# xcframework it must be called module.modulemap) declaring both C modules.
cp "$swift_out/$ffi.h" "$swift_out/gridline_coreFFI.h" "$out/headers/"
cat "$swift_out/$ffi.modulemap" <(echo) "$swift_out/gridline_coreFFI.modulemap" >"$out/headers/module.modulemap"

lipo -create \
    "target/${simulators[0]}/$profile/libgridline_mobile.a" \
    "target/${simulators[1]}/$profile/libgridline_mobile.a" \
    -output "$out/simulator/libgridline_mobile.a"

xcodebuild -create-xcframework \
    -library "target/$device/$profile/libgridline_mobile.a" -headers "$out/headers" \
    -library "$out/simulator/libgridline_mobile.a" -headers "$out/headers" \
    -output "$out/$ffi.xcframework"

rm -rf ios/Sources/GridlineFFI ios/Sources/GridlineCore && mkdir -p ios/Sources/GridlineFFI ios/Sources/GridlineCore
cp "$swift_out/GridlineCore.swift" ios/Sources/GridlineCore/
# The client's bindings use the app core's types (AppCore, the platform protocols) that live in
# the GridlineCore module; UniFFI writes no import for a type of another crate, so add it.
perl -pe 's/^import Foundation$/import Foundation\nimport GridlineCore/ if $. < 20' \
    "$swift_out/GridlineFFI.swift" >ios/Sources/GridlineFFI/GridlineFFI.swift

echo "built $out/$ffi.xcframework, ios/Sources/GridlineFFI and ios/Sources/GridlineCore ($profile)"
