// The Gridline iOS app: opens the one GridlineClient (store in Application Support, URLSession
// transport) and the one app core over it (Keychain, Core Location, local notifications,
// BGTaskScheduler), shows sign-in until the core's AppState says someone is signed in (the core
// restores a kept account at launch), then the citizen's screens (my reports, new report,
// drafts and outbox) or the field apps' (work list, case page, patrol) for a grid inspector or
// a handling unit's worker, under a bar with the account, the core's
// sync line in words and sign-out. Background sync runs the core's own background run as
// BGTaskScheduler tasks; when to retry is the core's (it asks through TaskScheduler). The APNs
// device token goes to the core, which registers it for the signed-in account.
import BackgroundTasks
import GridlineKit
import SwiftUI
import UIKit
import UserNotifications

@main
struct GridlineApp: App {
    @UIApplicationDelegateAdaptor(PushTokenDelegate.self) private var pushTokens
    @StateObject private var session = AppSession()
    @Environment(\.scenePhase) private var scenePhase

    init() {
        BackgroundSync.register()
    }

    var body: some Scene {
        WindowGroup {
            Group {
                if let client = session.client, let core = session.core {
                    RootView(client: client, core: core, location: session.location)
                } else if let failure = session.failure {
                    Text(failure)
                } else {
                    ProgressView()
                }
            }
            .task { await session.open() }
        }
        .onChange(of: scenePhase) { phase in
            if phase == .background { BackgroundSync.schedule(afterQueueing: false) }
        }
    }
}

/// Hands the APNs device token to the core (as hex, the form APNs relays take), at launch and
/// whenever iOS rotates it.
final class PushTokenDelegate: NSObject, UIApplicationDelegate {
    func application(
        _ application: UIApplication,
        didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]? = nil
    ) -> Bool {
        application.registerForRemoteNotifications()
        return true
    }

    func application(_ application: UIApplication, didRegisterForRemoteNotificationsWithDeviceToken deviceToken: Data) {
        let token = deviceToken.map { String(format: "%02x", $0) }.joined()
        Task {
            guard let core = try? await processClient.core() else { return }
            await core.dispatch(.registerPushToken(token: token, platform: .ios))
        }
    }
}

/// Holds the client and the app core for the life of the process.
@MainActor
final class AppSession: ObservableObject {
    @Published var client: GridlineClient?
    @Published var core: AppCore?
    @Published var failure: String?
    let location = processClient.location

    func open() async {
        guard client == nil else { return }
        do {
            client = try await processClient.client()
            core = try await processClient.core()
            _ = try? await UNUserNotificationCenter.current().requestAuthorization(options: [.alert, .sound])
        } catch {
            failure = error.localizedDescription
        }
    }
}

/// The one client and app core of the process, shared by the screens and the background tasks
/// (which may be launched without any screen).
let processClient = ProcessClient()

actor ProcessClient {
    // One opening for every caller: two clients on the same data folder must never exist.
    private var opening: Task<GridlineClient, Error>?
    private var coreOpening: Task<AppCore, Error>?
    nonisolated let location = CoreLocationProvider()

    // The server the app talks to; set per build configuration in Info.plist.
    private let serverURL = URL(string: Bundle.main.object(forInfoDictionaryKey: "GridlineServerURL") as? String
        ?? "https://gridline.example.gov.cn")!

    func client() async throws -> GridlineClient {
        let url = serverURL
        let task = opening ?? Task {
            let folder = try FileManager.default.url(
                for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
            return try await GridlineClient(serverURL: url, dataFolder: folder, transport: URLSessionTransport())
        }
        opening = task
        do {
            return try await task.value
        } catch {
            opening = nil
            throw error
        }
    }

    func core() async throws -> AppCore {
        let client = try await client()
        let location = self.location
        let task = coreOpening ?? Task {
            let chinese = Locale.preferredLanguages.first?.hasPrefix("zh") ?? false
            return try await client.appCore(
                location: location, notifier: LocalNotifier(), secureStorage: KeychainSecureStorage(),
                scheduler: TaskScheduler(), language: chinese ? .zh : .en)
        }
        coreOpening = task
        do {
            return try await task.value
        } catch {
            coreOpening = nil
            throw error
        }
    }
}

/// Background sync: an app-refresh task (when the system sees fit) and a processing task that
/// needs the network (asked for when the core schedules a sync, after its own delay). Both run
/// the core's background run. Their identifiers must be listed under
/// `BGTaskSchedulerPermittedIdentifiers` in Info.plist.
enum BackgroundSync {
    static let refreshTask = "org.gridline.app.sync.refresh"
    static let processingTask = "org.gridline.app.sync.processing"

    static func register() {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: refreshTask, using: nil) { task in handle(task) }
        BGTaskScheduler.shared.register(forTaskWithIdentifier: processingTask, using: nil) { task in handle(task) }
    }

    /// Ask for the next runs: the periodic refresh always; a network-bound processing run when
    /// the core asked for one (after `delay`).
    static func schedule(afterQueueing: Bool, delay: TimeInterval = 0) {
        try? BGTaskScheduler.shared.submit(BGAppRefreshTaskRequest(identifier: refreshTask))
        if afterQueueing {
            let processing = BGProcessingTaskRequest(identifier: processingTask)
            processing.requiresNetworkConnectivity = true
            processing.requiresExternalPower = false
            processing.earliestBeginDate = delay > 0 ? Date(timeIntervalSinceNow: delay) : nil
            try? BGTaskScheduler.shared.submit(processing)
        }
    }

    private static func handle(_ task: BGTask) {
        let work = Task {
            let finished = (try? await processClient.core().syncInBackground()) ?? false
            schedule(afterQueueing: false)
            task.setTaskCompleted(success: finished)
        }
        task.expirationHandler = { work.cancel() }
    }
}

/// Follows a model's stream of states on the main actor, for a SwiftUI view to draw.
@MainActor
final class Drawn<State>: ObservableObject {
    @Published var state: State?

    func follow(_ stream: AsyncStream<State>) async {
        for await next in stream { state = next }
    }
}

struct RootView: View {
    let client: GridlineClient
    let core: AppCore
    let location: CoreLocationProvider
    @StateObject private var app = Drawn<AppState>()

    var body: some View {
        Group {
            if let state = app.state {
                if state.signedIn {
                    signedIn(state)
                } else {
                    NavigationStack { SignInView(core: core) }
                }
            } else {
                ProgressView()
            }
        }
        .task { await app.follow(core.states) }
        .task(id: app.state?.accountName) {
            // Fresh lists for whoever signs in (a citizen, or staff with their work list).
            if app.state?.signedIn == true { await core.dispatch(.syncNow) }
        }
    }

    @ViewBuilder
    private func signedIn(_ state: AppState) -> some View {
        VStack(spacing: 0) {
            HStack {
                VStack(alignment: .leading) {
                    Text(state.accountName.isEmpty ? state.roleText : state.accountName)
                    Text(state.syncText).font(.caption)
                }
                Spacer()
                Button("sync_now") { Task { await core.dispatch(.syncNow) } }.disabled(state.syncing)
                Button("sign_out") { Task { await core.dispatch(.signOut) } }.disabled(!state.signOutEnabled)
            }
            .padding(.horizontal)
            if let error = state.error { Text(error).foregroundColor(.red) }
            switch state.role {
            case "citizen":
                NavigationStack { MyReportsView(core: core, location: location) }
            case "inspector", "handler":
                NavigationStack { WorkListView(core: core, location: location) }
            default:
                Text("staff_use_web").padding()
            }
        }
        // A new view tree for each account: nothing of the previous one's navigation stays.
        .id("\(state.accountName)|\(state.role ?? "")")
    }
}
