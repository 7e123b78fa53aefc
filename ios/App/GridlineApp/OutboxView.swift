// Drafts and the outbox, drawn from the core's OutboxState: each draft (resume, discard) and
// each queued item with its state in words (waiting, sending, failed with the reason) and the
// controls the core enables for it (retry, discard, back to drafts), and "send now". Compiled
// by Xcode only.
import GridlineKit
import SwiftUI

struct OutboxView: View {
    let core: AppCore
    let location: CoreLocationProvider
    @State private var model: OutboxModel?
    @StateObject private var drawn = Drawn<OutboxState>()

    var body: some View {
        Group {
            if let state = drawn.state {
                list(state)
            } else {
                ProgressView()
            }
        }
        .task {
            let opened = await core.openOutbox()
            model = opened
            await drawn.follow(opened.states)
        }
    }

    private func send(_ intent: OutboxIntent) {
        guard let model else { return }
        Task { await model.dispatch(intent) }
    }

    private func list(_ state: OutboxState) -> some View {
        List {
            if let message = state.message { Text(message).foregroundColor(.red) }
            if let empty = state.emptyText { Text(empty) }
            Section(state.draftsTitle) {
                ForEach(state.drafts, id: \.id) { draft in
                    VStack(alignment: .leading) {
                        Text(draft.title)
                        Text(draft.preview).lineLimit(2)
                        HStack {
                            NavigationLink(draft.resumeLabel) { NewReportView(core: core, location: location, draftId: draft.id) }
                            Button(draft.discardLabel, role: .destructive) { send(.discardDraft(draftId: draft.id)) }
                        }
                        .buttonStyle(.borderless)
                    }
                }
            }
            Section(state.outboxTitle) {
                ForEach(state.items, id: \.id) { item in
                    VStack(alignment: .leading) {
                        Text(item.title)
                        Text(item.statusText)
                        if let reason = item.reason { Text(reason).foregroundColor(.red) }
                        HStack {
                            Button(state.retryLabel) { send(.retry(itemId: item.id)) }.disabled(!item.retryEnabled)
                            Button(state.discardLabel) { send(.discardItem(itemId: item.id)) }.disabled(!item.discardEnabled)
                            Button(state.backToDraftsLabel) { send(.backToDrafts(itemId: item.id)) }
                                .disabled(!item.backToDraftsEnabled)
                        }
                        .buttonStyle(.borderless)
                    }
                }
            }
            Button(state.sendNowLabel) { send(.sendNow) }.disabled(!state.sendNowEnabled)
        }
    }
}
