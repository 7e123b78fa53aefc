// The Gridline iOS app: opens the one GridlineClient (store in Application Support,
// URLSession transport), shows sign-in until someone is signed in (a kept session is restored
// at launch), then the citizen's or the inspector's screens under a sign-out bar and the banner.
// Background sync runs as BGTaskScheduler tasks (BackgroundSync below); what a run does and how
// it ends is decided in Presentation.swift, a port of the JVM-tested BackgroundSync.kt.
import BackgroundTasks
import GridlineKit
import SwiftUI

@main
struct GridlineApp: App {
    @StateObject private var session = AppSession()
    @Environment(\.scenePhase) private var scenePhase

    init() {
        BackgroundSync.register()
    }

    var body: some Scene {
        WindowGroup {
            Group {
                if let client = session.client, let signIn = session.signIn {
                    RootView(client: client, signIn: signIn)
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

/// Holds the client for the life of the process.
@MainActor
final class AppSession: ObservableObject {
    @Published var client: GridlineClient?
    @Published var signIn: SignInModel?
    @Published var failure: String?

    func open() async {
        guard client == nil else { return }
        do {
            let opened = try await processClient.client()
            let model = SignInModel(client: opened) { BackgroundSync.schedule(afterQueueing: true) }
            model.restore()
            client = opened
            signIn = model
        } catch {
            failure = error.localizedDescription
        }
    }
}

/// The one client of the process, shared by the screens and the background tasks (which may be
/// launched without any screen).
let processClient = ProcessClient()

actor ProcessClient {
    // One opening for every caller: two clients on the same data folder must never exist.
    private var opening: Task<GridlineClient, Error>?

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
}

/// Background sync: an app-refresh task (periodic, about every `SyncSchedule.period`) and a
/// processing task that needs the network (asked for when a report or step is queued). Both run
/// `runBackgroundSync`; a run to retry is scheduled again after the doubling backoff. Their
/// identifiers must be listed under `BGTaskSchedulerPermittedIdentifiers` in Info.plist.
enum BackgroundSync {
    private static let attemptKey = "gridline.sync.attempt"

    static func register() {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: SyncSchedule.refreshTask, using: nil) { task in
            handle(task)
        }
        BGTaskScheduler.shared.register(forTaskWithIdentifier: SyncSchedule.processingTask, using: nil) { task in
            handle(task)
        }
    }

    /// Ask for the next runs: the periodic refresh always; a network-bound processing run when
    /// something was just queued (or a run asked to retry after `delay`).
    static func schedule(afterQueueing: Bool, delay: TimeInterval = 0) {
        let refresh = BGAppRefreshTaskRequest(identifier: SyncSchedule.refreshTask)
        refresh.earliestBeginDate = Date(timeIntervalSinceNow: SyncSchedule.period)
        try? BGTaskScheduler.shared.submit(refresh)
        if afterQueueing {
            let processing = BGProcessingTaskRequest(identifier: SyncSchedule.processingTask)
            processing.requiresNetworkConnectivity = true
            processing.requiresExternalPower = false
            processing.earliestBeginDate = delay > 0 ? Date(timeIntervalSinceNow: delay) : nil
            try? BGTaskScheduler.shared.submit(processing)
        }
    }

    private static func handle(_ task: BGTask) {
        let work = Task {
            let attempt = UserDefaults.standard.integer(forKey: attemptKey)
            let result: RunResult
            do {
                let client = try await processClient.client()
                result = await runBackgroundSync(client, attempt: attempt)
            } catch {
                result = .failure
            }
            switch result {
            case .success, .failure:
                // A failure gives up this series; the periodic refresh starts a new one.
                UserDefaults.standard.set(0, forKey: attemptKey)
                schedule(afterQueueing: false)
            case .retry:
                UserDefaults.standard.set(attempt + 1, forKey: attemptKey)
                schedule(afterQueueing: true, delay: SyncSchedule.retryDelay(attempt: attempt))
            }
            task.setTaskCompleted(success: result == .success)
        }
        task.expirationHandler = { work.cancel() }
    }
}

struct RootView: View {
    let client: GridlineClient
    @ObservedObject var signIn: SignInModel

    var body: some View {
        if let account = signIn.form.account, let role = signIn.role {
            VStack(spacing: 0) {
                HStack {
                    Text(account.displayName.isEmpty ? NSLocalizedString("signed_in", comment: "") : account.displayName)
                    Spacer()
                    Button("sign_out") { signIn.signOut() }
                }
                .padding(.horizontal)
                SyncBannerView(client: client)
                switch homeFor(role) {
                case .reports:
                    NavigationStack { MyReportsView(client: client) }
                case .workList:
                    NavigationStack { WorkListView(client: client) }
                case .staffOnly:
                    Text("staff_use_web").padding()
                }
            }
            .id(account.userId)
        } else {
            NavigationStack { SignInView(model: signIn) }
        }
    }
}
