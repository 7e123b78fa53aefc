// "My reports", drawn from the core's MyReportsState: each report's tracking number, title,
// preview and state in words, marked when not yet sent, and the reports followed from the
// duplicate step; a report's detail (category, text, answers, the report's photos and the
// handling unit's after-photos as thumbnails that open full size, the public timeline, the deadline), the rating with an optional comment once it
// is closed, and unfollow for a followed report. The state words, the timeline, the comment
// limit and when rating is offered are the core's. Compiled by Xcode only.
import GridlineKit
import SwiftUI

struct MyReportsView: View {
    let core: AppCore
    let location: CoreLocationProvider
    @State private var model: MyReportsModel?
    @StateObject private var drawn = Drawn<MyReportsState>()

    var body: some View {
        Group {
            if let state = drawn.state {
                if let detail = state.detail {
                    ReportDetailView(detail: detail, send: send)
                        .serverPhotoViewer(state.viewer) { send(.closePhoto) }
                } else {
                    list(state)
                }
            } else {
                ProgressView()
            }
        }
        .task {
            let opened = await core.openMyReports()
            model = opened
            await opened.dispatch(.refresh)
            await drawn.follow(opened.states)
        }
    }

    private func send(_ intent: MyReportsIntent) {
        guard let model else { return }
        Task { await model.dispatch(intent) }
    }

    private func list(_ state: MyReportsState) -> some View {
        List {
            if let message = state.message { Text(message).foregroundColor(.red) }
            if let empty = state.emptyText { Text(empty) }
            ForEach(state.rows, id: \.id) { row in
                Button { send(.open(caseId: row.id)) } label: {
                    VStack(alignment: .leading) {
                        Text("\(row.trackingNumber)  \(row.title)").font(.headline)
                        Text(row.preview).lineLimit(2)
                        Text(row.stateText).foregroundColor(row.unsent ? .red : .accentColor)
                    }
                }
            }
        }
        .refreshable { await model?.dispatch(.refresh) }
        .navigationTitle(state.title)
        .toolbar {
            NavigationLink("new_report_title") { NewReportView(core: core, location: location) }
            NavigationLink("open_outbox") { OutboxView(core: core, location: location) }
        }
    }
}

struct ReportDetailView: View {
    let detail: ReportDetail
    let send: (MyReportsIntent) -> Void

    var body: some View {
        List {
            Button("back") { send(.closeDetail) }
            Section {
                Text(detail.trackingNumber).font(.title2)
                Text(detail.category).font(.headline)
                Text(detail.stateText).foregroundColor(.accentColor)
                if let deadline = detail.deadlineText { Text(deadline) }
                Text(detail.description)
                ForEach(detail.answers, id: \.self) { Text($0) }
                if detail.followed {
                    Button(detail.unfollowLabel) { send(.unfollow(trackingNumber: detail.trackingNumber)) }
                }
                ServerPhotoRow(label: detail.photosLabel, photos: detail.photos) { send(.openPhoto(photoId: $0)) }
                ServerPhotoRow(label: detail.afterPhotosLabel, photos: detail.afterPhotos) { send(.openPhoto(photoId: $0)) }
            }
            Section {
                ForEach(Array(detail.timeline.enumerated()), id: \.offset) { _, entry in
                    VStack(alignment: .leading) {
                        Text(entry.at).font(.caption)
                        Text(entry.text)
                        if let reason = entry.reason { Text(reason).font(.footnote) }
                    }
                }
            }
            Section {
                if let rating = detail.rating { Text(String(repeating: "★", count: Int(rating))) }
                if detail.rateVisible {
                    Text(detail.rateLabel)
                    TextField(
                        detail.commentLabel,
                        text: Binding(get: { detail.comment }, set: { send(.setComment(text: $0)) }),
                        axis: .vertical
                    )
                    Text(detail.commentError ?? detail.commentCounter)
                        .font(.caption)
                        .foregroundColor(detail.commentError == nil ? .secondary : .red)
                    HStack {
                        // One to five stars: the core refuses anything else, in words.
                        ForEach(1...5, id: \.self) { stars in
                            Button(String(repeating: "★", count: stars)) { send(.rate(stars: UInt8(stars))) }
                                .buttonStyle(.borderless)
                        }
                    }
                }
            }
        }
    }
}
