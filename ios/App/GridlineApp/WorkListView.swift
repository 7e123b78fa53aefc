// The inspector's work list, readable offline, in the order the SDK keeps it, and one case with
// the handle/verify form: photos taken on site, reason, queued in the outbox as a step. The
// grid package is refreshed when the list opens (a 304 when unchanged), so the case view can
// name the unit grid the inspector stands in without a network.
import CoreLocation
import GridlineKit
import SwiftUI

struct WorkListView: View {
    let client: GridlineClient
    @State private var cases: [CachedCase] = []

    var body: some View {
        List {
            ForEach(cases, id: \.id) { item in
                NavigationLink { CaseView(client: client, item: item) } label: {
                    HStack {
                        Text(String(describing: item.state))
                        Spacer()
                        Text(item.createdAt).font(.caption)
                    }
                }
            }
        }
        .navigationTitle("tab_work")
        .task {
            client.setPullLists([.workList])
            // Best effort: offline, the stored package keeps routing.
            _ = try? await client.refreshGridPackage()
            for await _ in client.syncStates {
                cases = (try? await client.cachedCases(.workList)) ?? cases
            }
        }
    }
}

struct CaseView: View {
    let client: GridlineClient
    let item: CachedCase
    @State private var action: WorkflowAction?
    @State private var photos: [Data] = []
    @State private var reason = ""
    @State private var queued = false
    @State private var showingCamera = false
    @State private var failure: String?
    @State private var gridHere: String?

    private var available: [WorkflowAction] { Gridline.availableActions(state: item.state, role: .inspector) }

    /// The same needs as the Kotlin CaseActionState: verification takes a photo and the
    /// position, failing it also a reason; marking handled takes a photo.
    private var ready: Bool {
        guard let action, available.contains(action) else { return false }
        let needsPhoto = [.markHandled, .verifyPass, .verifyFail].contains(action)
        let needsReason = [.verifyFail, .reject, .sendBack, .shelve, .close, .reopen].contains(action)
        return (!needsPhoto || !photos.isEmpty) && (!needsReason || !reason.trimmingCharacters(in: .whitespaces).isEmpty)
    }

    var body: some View {
        Form {
            Section {
                Text(item.id)
                Text(String(describing: item.state))
                if let gridHere {
                    HStack {
                        Text("grid_here")
                        Spacer()
                        Text(verbatim: gridHere).font(.caption.monospacedDigit())
                    }
                }
            }
            Section {
                Picker("step", selection: $action) {
                    ForEach(available, id: \.self) { Text(String(describing: $0)).tag(Optional($0)) }
                }
                Button(String(format: NSLocalizedString("take_photo_count", comment: ""), photos.count)) { showingCamera = true }
                TextField("reason", text: $reason)
                if let failure { Text(failure).foregroundColor(.red) }
                Button("queue_step") { Task { await queue() } }.disabled(!ready || queued)
            }
        }
        .sheet(isPresented: $showingCamera) { CameraPicker { photos.append($0) } }
        .task { await locateGrid() }
    }

    /// The unit grid of the inspector's last fix, routed on the phone with the stored package.
    private func locateGrid() async {
        guard let fix = CLLocationManager().location else { return }
        let here = GeoPoint(lat: fix.coordinate.latitude, lon: fix.coordinate.longitude)
        gridHere = (try? await client.routeOffline(here, crs: .wgs84))?.code
    }

    private func queue() async {
        guard let action else { return }
        let fix = CLLocationManager().location
        let position = fix.map { Position(lat: $0.coordinate.latitude, lon: $0.coordinate.longitude, crs: .wgs84, accuracyM: $0.horizontalAccuracy) }
        let request = CaseActionRequest(caseId: item.id, action: action, reason: reason.isEmpty ? nil : reason, position: position, rating: nil)
        do {
            _ = try await client.queueAction(request, knownState: item.state, role: .inspector, cameraPhotos: photos)
            queued = true
            BackgroundSync.schedule(afterQueueing: true)
        } catch {
            failure = error.localizedDescription
        }
    }
}
