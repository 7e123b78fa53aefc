// The citizen's own reports as sync last pulled them, each with its status timeline, and the
// rating form on closed cases (queued as a RATE step).
import GridlineKit
import SwiftUI

struct MyReportsView: View {
    let client: GridlineClient
    @State private var cases: [CachedCase] = []

    var body: some View {
        List(cases, id: \.id) { item in
            VStack(alignment: .leading) {
                Text(item.createdAt).font(.caption)
                ForEach(Array(timeline(item.state).enumerated()), id: \.offset) { _, row in
                    HStack {
                        Image(systemName: row.mark == .done ? "checkmark.circle.fill" : row.mark == .current ? "circle.inset.filled" : "circle")
                        Text(LocalizedStringKey(row.key))
                    }
                }
                if item.state == .closed { RatingView(client: client, item: item) }
            }
        }
        .navigationTitle("tab_reports")
        .toolbar {
            NavigationLink { NewReportView(model: NewReportModel(client: client)) } label: { Image(systemName: "plus") }
        }
        .task {
            client.setPullLists([.myReports])
            for await _ in client.syncStates {
                cases = (try? await client.cachedCases(.myReports)) ?? cases
            }
        }
    }
}

struct RatingView: View {
    let client: GridlineClient
    let item: CachedCase
    @State private var stars = 0
    @State private var comment = ""
    @State private var sent = false

    var body: some View {
        HStack {
            ForEach(1...5, id: \.self) { n in
                Button { stars = n } label: { Image(systemName: n <= stars ? "star.fill" : "star") }
                    .buttonStyle(.borderless)
            }
        }
        TextField("rating_comment", text: $comment)
        Button("rate") {
            Task {
                let request = CaseActionRequest(caseId: item.id, action: .rate, reason: comment.isEmpty ? nil : comment,
                                                position: nil, rating: UInt8(stars))
                sent = (try? await client.queueAction(request, knownState: item.state, role: .citizen)) != nil
                if sent { BackgroundSync.schedule(afterQueueing: true) }
            }
        }
        .disabled(sent || !(1...5).contains(stars) || comment.count > 500)
    }
}
