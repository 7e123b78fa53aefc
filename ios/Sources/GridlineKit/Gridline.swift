// The Swift face of the Gridline SDK: what an iOS app imports (`import GridlineKit`).
//
// A thin, idiomatic layer over the generated module `GridlineFFI` (never edited by hand): the
// value types are re-exported under the same names, fast calls stay synchronous, and work
// that grows with its input (a whole patrol track or grid outline) is `async`, off the
// caller's actor.

import GridlineFFI

/// A point in degrees, latitude first.
public typealias GeoPoint = GridlineFFI.GeoPoint

/// The coordinate system a point is given in: WGS-84 (GPS, stored), GCJ-02 or BD-09.
public typealias Crs = GridlineFFI.Crs

/// A valid unit-grid code with its district, street and community codes.
public typealias GridCodeInfo = GridlineFFI.GridCodeInfo

/// A valid category code with its kind and classes.
public typealias CategoryCodeInfo = GridlineFFI.CategoryCodeInfo

/// Component (部件) or event (事件).
public typealias CategoryKind = GridlineFFI.CategoryKind

/// Every error the SDK throws; switch on it, e.g. `case .InvalidInput(let field, _)`.
public typealias GridlineError = GridlineFFI.GridlineError

/// Entry point of the Gridline SDK.
public enum Gridline {
    /// Convert `point`, given in `from`, to `to` (WGS-84 unless said otherwise), e.g. the
    /// GCJ-02 position of a MapKit tap in China to the WGS-84 that the server stores.
    ///
    /// - Throws: `GridlineError.InvalidInput` when `point` is not a valid coordinate.
    public static func convert(_ point: GeoPoint, from: Crs, to: Crs = .wgs84) throws -> GeoPoint {
        try convertPoint(point: point, from: from, to: to)
    }

    /// Convert every point of `points` (a track, an outline) from `from` to `to`, off the
    /// caller's actor.
    ///
    /// - Throws: `GridlineError.InvalidInput` at the first point that is not a valid coordinate.
    public static func convertAll(
        _ points: [GeoPoint],
        from: Crs,
        to: Crs = .wgs84
    ) async throws -> [GeoPoint] {
        try await Task.detached(priority: .userInitiated) {
            try points.map { try convertPoint(point: $0, from: from, to: to) }
        }.value
    }

    /// Great-circle distance in metres between `a` and `b`, both in the same system.
    ///
    /// - Throws: `GridlineError.InvalidInput` when either point is not a valid coordinate.
    public static func distanceMeters(_ a: GeoPoint, _ b: GeoPoint) throws -> Double {
        try distanceM(a: a, b: b)
    }

    /// Validate and normalize a grid code (15 digits, or the 14-digit CJ/T 213 form).
    ///
    /// - Throws: `GridlineError.InvalidInput` with field `grid_code` saying what is wrong.
    public static func parseGridCode(_ text: String) throws -> GridCodeInfo {
        try GridlineFFI.parseGridCode(text: text)
    }

    /// Like `parseGridCode`, but `nil` for an invalid code: for live validation of a text field.
    public static func gridCodeOrNil(_ text: String) -> GridCodeInfo? {
        try? parseGridCode(text)
    }

    /// Validate and normalize a category code such as `C0101` or `e-0203`.
    ///
    /// - Throws: `GridlineError.InvalidInput` with field `category_code` saying what is wrong.
    public static func parseCategoryCode(_ text: String) throws -> CategoryCodeInfo {
        try GridlineFFI.parseCategoryCode(text: text)
    }

    /// The workflow steps `role` may take on a case in `state`, by the server's own rules.
    public static func availableActions(state: CaseState, role: Role) -> [WorkflowAction] {
        GridlineFFI.availableActions(state: state, role: role)
    }

    /// Like `parseCategoryCode`, but `nil` for an invalid code.
    public static func categoryCodeOrNil(_ text: String) -> CategoryCodeInfo? {
        try? parseCategoryCode(text)
    }
}
