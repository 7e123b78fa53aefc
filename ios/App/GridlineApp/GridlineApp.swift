// The Gridline iOS app: opens the one GridlineClient (store in Application Support,
// URLSession transport) and shows the citizen's or the inspector's screens under the banner.
import GridlineKit
import SwiftUI

@main
struct GridlineApp: App {
    @StateObject private var session = AppSession()

    var body: some Scene {
        WindowGroup {
            Group {
                if let client = session.client {
                    RootView(client: client)
                } else if let failure = session.failure {
                    Text(failure)
                } else {
                    ProgressView()
                }
            }
            .task { await session.open() }
        }
    }
}

/// Holds the client for the life of the process.
@MainActor
final class AppSession: ObservableObject {
    @Published var client: GridlineClient?
    @Published var failure: String?

    // The server the app talks to; set per build configuration in Info.plist.
    private let serverURL = URL(string: Bundle.main.object(forInfoDictionaryKey: "GridlineServerURL") as? String
        ?? "https://gridline.example.gov.cn")!

    func open() async {
        guard client == nil else { return }
        do {
            let folder = try FileManager.default.url(
                for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
            client = try await GridlineClient(serverURL: serverURL, dataFolder: folder, transport: URLSessionTransport())
        } catch {
            failure = error.localizedDescription
        }
    }
}

struct RootView: View {
    let client: GridlineClient

    var body: some View {
        VStack(spacing: 0) {
            SyncBannerView(client: client)
            TabView {
                NavigationStack { MyReportsView(client: client) }
                    .tabItem { Label("tab_reports", systemImage: "list.bullet") }
                NavigationStack { WorkListView(client: client) }
                    .tabItem { Label("tab_work", systemImage: "checklist") }
            }
        }
    }
}
