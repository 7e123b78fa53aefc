// What the app core asks of the phone, on iOS: the device secret in the Keychain
// (SecureStorage, this device only, after first unlock), the newest Core Location fix
// (LocationProvider), a local notification when a sync brings a state change (Notifier), and a
// background sync soon (BackgroundScheduler, through BGTaskScheduler). The core decides when
// each is used and what a notification says. Compiled by Xcode only.
import CoreLocation
import Foundation
import GridlineKit
import Security
import UserNotifications

/// Secrets as generic passwords in the app's Keychain, readable after the first unlock (so a
/// background sync can sign in) and never moved to another device by a backup.
final class KeychainSecureStorage: SecureStorage, @unchecked Sendable {
    private let service = "org.gridline.app"

    private func query(_ key: String) -> [String: Any] {
        [kSecClass as String: kSecClassGenericPassword, kSecAttrService as String: service, kSecAttrAccount as String: key]
    }

    func read(key: String) -> String? {
        var lookup = query(key)
        lookup[kSecReturnData as String] = true
        lookup[kSecMatchLimit as String] = kSecMatchLimitOne
        var found: CFTypeRef?
        guard SecItemCopyMatching(lookup as CFDictionary, &found) == errSecSuccess, let data = found as? Data else { return nil }
        return String(data: data, encoding: .utf8)
    }

    func write(key: String, value: String) {
        let data = Data(value.utf8)
        let update: [String: Any] = [kSecValueData as String: data]
        if SecItemUpdate(query(key) as CFDictionary, update as CFDictionary) == errSecItemNotFound {
            var item = query(key)
            item[kSecValueData as String] = data
            item[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
            SecItemAdd(item as CFDictionary, nil)
        }
    }

    func delete(key: String) {
        SecItemDelete(query(key) as CFDictionary)
    }
}

/// The newest fix Core Location has; the new-report screen starts and stops the updates.
final class CoreLocationProvider: NSObject, LocationProvider, CLLocationManagerDelegate, @unchecked Sendable {
    private let manager = CLLocationManager()
    private let lock = NSLock()
    private var latest: CLLocation?

    override init() {
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyBest
    }

    /// Asks for permission (the usage string is in Info.plist) and starts updates.
    func start() {
        manager.requestWhenInUseAuthorization()
        manager.startUpdatingLocation()
    }

    func stop() { manager.stopUpdatingLocation() }

    func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        lock.lock()
        latest = locations.last
        lock.unlock()
    }

    func currentFix() -> LocationFix? {
        lock.lock()
        defer { lock.unlock() }
        guard let location = latest else { return nil }
        let accuracy = location.horizontalAccuracy >= 0 ? location.horizontalAccuracy : nil
        return LocationFix(lat: location.coordinate.latitude, lon: location.coordinate.longitude, accuracyM: accuracy)
    }
}

/// Posts the core's notification (its title and body) at once, if the user allowed them.
final class LocalNotifier: Notifier, @unchecked Sendable {
    func notify(notification: LocalNotification) {
        let content = UNMutableNotificationContent()
        content.title = notification.title
        content.body = notification.body
        let request = UNNotificationRequest(identifier: notification.caseId, content: content, trigger: nil)
        UNUserNotificationCenter.current().add(request)
    }
}

/// A background sync soon, through BGTaskScheduler (BackgroundSync in GridlineApp.swift).
final class TaskScheduler: BackgroundScheduler, @unchecked Sendable {
    func scheduleSync(afterSecs: UInt64) {
        BackgroundSync.schedule(afterQueueing: true, delay: TimeInterval(afterSecs))
    }
}
