// The grid inspector's patrol (巡查), drawn from the core's PatrolState: on or off duty, the
// positions recorded and those waiting for a connection, in the core's words. While the view is
// up and the inspector is on duty, recordWhileOnDuty (GridlineKit/FieldScreens.swift) sends
// `record` at the interval the core gives; PatrolTracker, which this view starts, goes on
// recording with the app in the background while on duty. A patrol report is the ordinary
// new report view: for an inspector the core presets the cell and never offers anonymity.
// Compiled by Xcode only.
import GridlineKit
import SwiftUI

struct PatrolView: View {
    let core: AppCore
    let location: CoreLocationProvider
    @State private var model: PatrolModel?
    @StateObject private var drawn = Drawn<PatrolState>()

    var body: some View {
        Group {
            if let state = drawn.state {
                Form {
                    Text(state.statusText)
                    if let message = state.message { Text(message).foregroundColor(.red) }
                    if state.available {
                        Button(state.toggleLabel) { send(state.onDuty ? .endDuty : .startDuty) }
                        NavigationLink("new_report_title") { NewReportView(core: core, location: location) }
                    }
                }
                .navigationTitle(state.title)
            } else {
                ProgressView()
            }
        }
        .task {
            location.start()
            let opened = await core.openPatrol()
            model = opened
            PatrolTracker.shared.follow(opened)
            async let timer: Void = opened.recordWhileOnDuty()
            await drawn.follow(opened.states)
            await timer
        }
        .onDisappear { location.stop() }
    }

    private func send(_ intent: PatrolIntent) {
        guard let model else { return }
        Task { await model.dispatch(intent) }
    }
}
