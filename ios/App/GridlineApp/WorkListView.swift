// The field apps' work list and case page, drawn from the core's WorkListState and
// CasePageState: for a grid inspector every open case of their cells, for a handling unit's
// worker the cases dispatched to their unit. A row shows the task, category, text, place, time
// left and, with a fix, the distance; the list sorts by deadline or distance and filters by
// task with the counts the core gives; the map draws the cells from the grid package with the
// cases as markers. The case page shows the case, its photos before and after (thumbnails
// that open full size), a joint case's helper parts (协办) with the lead unit, the staff
// timeline, where the phone stands relative to the cell, and the steps the core allows
// with what each needs; a step's photo comes from the camera, the reason is typed here, the
// position is the live fix the core reads. Every order, filter, requirement and word is the
// core's. Compiled by Xcode only; the streams under it are GridlineKit/FieldScreens.swift.
import GridlineKit
import SwiftUI

struct WorkListView: View {
    let core: AppCore
    let location: CoreLocationProvider
    @State private var model: WorkListModel?
    @StateObject private var drawn = Drawn<WorkListState>()
    @State private var showMap = false

    var body: some View {
        Group {
            if let state = drawn.state {
                list(state)
            } else {
                ProgressView()
            }
        }
        .task {
            // Distance sorting and on-site steps read the live fix.
            location.start()
            let opened = await core.openWorkList()
            model = opened
            await opened.dispatch(.refresh)
            await drawn.follow(opened.states)
        }
        .onDisappear { location.stop() }
    }

    private func send(_ intent: WorkListIntent) {
        guard let model else { return }
        Task { await model.dispatch(intent) }
    }

    private func list(_ state: WorkListState) -> some View {
        List {
            Section {
                Picker("sort", selection: Binding(get: { state.sort }, set: { send(.sortBy(sort: $0)) })) {
                    Text(state.sortDueLabel).tag(WorkSort.due)
                    Text(state.sortDistanceLabel).tag(WorkSort.distance)
                }
                .pickerStyle(.segmented)
                .disabled(!state.sortDistanceEnabled && state.sort == .due)
                ScrollView(.horizontal) {
                    HStack {
                        ForEach(state.filters, id: \.label) { choice in
                            Button("\(choice.label) (\(choice.count))") { send(.filter(filter: choice.filter)) }
                                .buttonStyle(.bordered)
                                .tint(choice.selected ? .accentColor : .secondary)
                        }
                    }
                }
                if let message = state.message { Text(message).foregroundColor(.red) }
                if state.busy { ProgressView() }
            }
            if showMap, let map = state.map {
                Section { CasesMap(map: map).frame(height: 300) }
            }
            Section {
                if let empty = state.emptyText { Text(empty) }
                ForEach(state.rows, id: \.caseId) { row in
                    NavigationLink { CasePageView(core: core, caseId: row.caseId) } label: { WorkRowView(row: row) }
                }
            }
        }
        .refreshable { await model?.dispatch(.refresh) }
        .navigationTitle(state.title)
        .toolbar {
            if state.map != nil { Button("map") { showMap.toggle() } }
            NavigationLink("patrol") { PatrolView(core: core, location: location) }
            NavigationLink("new_report_title") { NewReportView(core: core, location: location) }
        }
    }
}

private struct WorkRowView: View {
    let row: WorkRow

    var body: some View {
        VStack(alignment: .leading) {
            Text("\(row.taskText) · \(row.title)").font(.headline)
                .foregroundColor(row.task == .overdue ? .red : .accentColor)
            Text(row.description).lineLimit(2)
            Text(row.placeText).font(.caption)
            Text([row.trackingNumber, row.stateText, row.timeLeftText, row.distanceText].compactMap { $0 }.joined(separator: " · "))
                .font(.caption2)
                .foregroundColor(row.overdue ? .red : .primary)
        }
    }
}

/// The cells from the grid package with the cases as markers, fitted to the view. Everything
/// drawn comes from the core's WorkMap.
private struct CasesMap: View {
    let map: WorkMap

    var body: some View {
        Canvas { context, size in
            let points = map.cells.flatMap { $0.rings.flatMap { $0 } } + map.markers.map(\.position) + (map.here.map { [$0] } ?? [])
            guard let south = points.map(\.lat).min(), let north = points.map(\.lat).max(),
                  let west = points.map(\.lon).min(), let east = points.map(\.lon).max() else { return }
            let lonScale = cos((south + north) / 2 * .pi / 180)
            let span = max(north - south, (east - west) * lonScale)
            guard span > 0 else { return }
            let side = min(size.width, size.height)
            func at(_ p: MapPoint) -> CGPoint {
                CGPoint(x: (p.lon - west) * lonScale / span * side, y: (north - p.lat) / span * side)
            }
            for cell in map.cells {
                for ring in cell.rings {
                    var path = Path()
                    for (i, p) in ring.enumerated() {
                        if i == 0 { path.move(to: at(p)) } else { path.addLine(to: at(p)) }
                    }
                    path.closeSubpath()
                    context.stroke(path, with: .color(.gray))
                }
            }
            for marker in map.markers {
                let c = at(marker.position)
                let dot = Path(ellipseIn: CGRect(x: c.x - 5, y: c.y - 5, width: 10, height: 10))
                context.fill(dot, with: .color(marker.task == .overdue ? .red : .accentColor))
            }
            if let here = map.here {
                let c = at(here)
                context.fill(Path(ellipseIn: CGRect(x: c.x - 4, y: c.y - 4, width: 8, height: 8)), with: .color(.blue))
            }
        }
        .accessibilityLabel(Text("map"))
    }
}

struct CasePageView: View {
    let core: AppCore
    let caseId: String
    @State private var model: CasePageModel?
    @StateObject private var drawn = Drawn<CasePageState>()
    @State private var showingCamera = false

    var body: some View {
        Group {
            if let state = drawn.state {
                page(state).serverPhotoViewer(state.viewer) { send(.closePhoto) }
            } else {
                ProgressView()
            }
        }
        .task {
            let opened = await core.openCasePage(caseId: caseId)
            model = opened
            await opened.dispatch(.refresh)
            await drawn.follow(opened.states)
        }
        .sheet(isPresented: $showingCamera) { CameraPicker { photo in send(.addPhoto(bytes: photo)) } }
    }

    private func send(_ intent: CasePageIntent) {
        guard let model else { return }
        Task { await model.dispatch(intent) }
    }

    private func page(_ state: CasePageState) -> some View {
        Form {
            if state.missing && !state.busy {
                if let error = state.error { Text(error).foregroundColor(.red) }
            } else {
                Section {
                    Text("\(state.trackingNumber)  \(state.category)").font(.headline)
                    Text(state.stateText).foregroundColor(.accentColor)
                    Text(state.placeText).font(.caption)
                    if let left = state.timeLeftText { Text(left).foregroundColor(state.overdue ? .red : .primary) }
                    Text(state.description)
                    ServerPhotoRow(label: state.beforePhotosLabel, photos: state.beforePhotos) { send(.openPhoto(photoId: $0)) }
                    ServerPhotoRow(label: state.afterPhotosLabel, photos: state.afterPhotos) { send(.openPhoto(photoId: $0)) }
                    if let onSite = state.onSiteText { Text(onSite).font(.caption) }
                    if state.busy { ProgressView() }
                }
                if !state.parts.isEmpty {
                    Section(header: Text(state.partsLabel)) {
                        if let lead = state.leadUnitText { Text(lead).font(.caption) }
                        ForEach(Array(state.parts.enumerated()), id: \.offset) { _, part in
                            VStack(alignment: .leading) {
                                Text("\(part.unit)  \(part.stateText)")
                                Text(part.note).font(.caption)
                                if let left = part.timeLeftText { Text(left).foregroundColor(part.overdue ? .red : .primary) }
                                if let reason = part.reason { Text(reason).font(.caption) }
                            }
                        }
                    }
                }
                Section {
                    ForEach(Array(state.timeline.enumerated()), id: \.offset) { _, event in
                        VStack(alignment: .leading) {
                            Text("\(event.at)  \(event.who)").font(.caption2)
                            Text(event.text)
                            if let reason = event.reason { Text(reason).font(.caption) }
                            if let note = event.note { Text(note).font(.caption) }
                        }
                    }
                }
                if !state.actions.isEmpty { steps(state) }
            }
        }
        .refreshable { await model?.dispatch(.refresh) }
    }

    @ViewBuilder
    private func steps(_ state: CasePageState) -> some View {
        Section {
            if state.actions.contains(where: { $0.needsPhoto }) {
                Button(state.addPhotoLabel) { showingCamera = true }.disabled(state.busy)
                Text(String(format: NSLocalizedString("step_photos", comment: ""), Int(state.stepPhotos))).font(.caption)
                if state.stepPhotos > 0 { Button("clear_photos") { send(.clearPhotos) } }
                if let error = state.photoError { Text(error).foregroundColor(.red) }
            }
            if state.actions.contains(where: { $0.needsReason }) {
                TextField(state.reasonLabel, text: Binding(get: { state.reason }, set: { send(.setReason(reason: $0)) }))
                if let error = state.reasonError { Text(error).foregroundColor(.red) }
            }
            ForEach(state.actions, id: \.action) { action in
                VStack(alignment: .leading) {
                    Button(action.label) { send(.take(action: action.action)) }.disabled(state.busy)
                    if let needs = action.requirementText { Text(needs).font(.caption) }
                }
            }
            if let error = state.error { Text(error).foregroundColor(.red) }
            if let message = state.message { Text(message) }
        }
    }
}
