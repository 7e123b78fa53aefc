// The patrol track with the app in the background, on iOS: while the core says the inspector is
// on duty, a location manager of its own runs with background updates allowed (the "location"
// background mode in Info.plist, the blue indicator shown) and hands every update to the core
// as PatrolIntent.moved with the fix's own time; the core keeps one per interval, whatever
// iOS's cadence, queues it and uploads it. When the core says the duty ended the updates stop.
// Started by the patrol view from the foreground, so the when-in-use permission suffices; it
// lives as long as the process, not the view. The FFI call goes through GridlineKit's core
// queue, never Swift's cooperative pool. Compiled by Xcode only.
import CoreLocation
import GridlineKit

@MainActor
final class PatrolTracker: NSObject, CLLocationManagerDelegate {
    static let shared = PatrolTracker()

    private let manager = CLLocationManager()
    private var model: PatrolModel?
    private var following: Task<Void, Never>?
    private var recording = false

    override private init() {
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyNearestTenMeters
        manager.activityType = .otherNavigation
        manager.pausesLocationUpdatesAutomatically = false
    }

    /// Follows `model`'s duty from now on (once per process; later calls keep the first).
    func follow(_ model: PatrolModel) {
        guard following == nil else { return }
        self.model = model
        following = Task { @MainActor in
            for await state in model.states {
                self.record(state.available && state.onDuty)
            }
        }
    }

    private func record(_ onDuty: Bool) {
        guard onDuty != recording else { return }
        recording = onDuty
        if onDuty {
            manager.allowsBackgroundLocationUpdates = true
            manager.showsBackgroundLocationIndicator = true
            manager.startUpdatingLocation()
        } else {
            manager.stopUpdatingLocation()
            manager.allowsBackgroundLocationUpdates = false
        }
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        let moves = locations.map { location in
            PatrolIntent.moved(
                fix: LocationFix(
                    lat: location.coordinate.latitude,
                    lon: location.coordinate.longitude,
                    accuracyM: location.horizontalAccuracy >= 0 ? location.horizontalAccuracy : nil
                ),
                atUnixMs: Int64(location.timestamp.timeIntervalSince1970 * 1000)
            )
        }
        Task { @MainActor in
            guard let model = self.model else { return }
            for move in moves { await model.dispatch(move) }
        }
    }
}
