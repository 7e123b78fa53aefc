// The offline/sync banner: the SDK's sync states (AsyncStream), the unsent count and the
// network path, through bannerFor.
import GridlineKit
import Network
import SwiftUI

struct SyncBannerView: View {
    let client: GridlineClient
    @State private var state: SyncState = .idle
    @State private var unsent = 0
    @State private var online = true

    var body: some View {
        Group {
            if let banner = bannerFor(state, unsent: unsent, online: online) {
                Text(String(format: NSLocalizedString(banner.key, comment: ""), arguments: banner.args.map { $0 as CVarArg }))
                    .frame(maxWidth: .infinity)
                    .padding(8)
                    .background(banner.warning ? Color.orange.opacity(0.3) : Color.blue.opacity(0.15))
            }
        }
        .task {
            for await next in client.syncStates {
                state = next
                unsent = (try? await client.outbox().count) ?? unsent
            }
        }
        .task {
            let monitor = NWPathMonitor()
            let paths = AsyncStream<Bool> { continuation in
                monitor.pathUpdateHandler = { continuation.yield($0.status == .satisfied) }
                continuation.onTermination = { _ in monitor.cancel() }
                monitor.start(queue: DispatchQueue(label: "gridline.network"))
            }
            for await reachable in paths { online = reachable }
        }
    }
}
