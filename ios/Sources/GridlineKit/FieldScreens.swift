// The field apps' view models (grid inspector, handling unit's worker) made to feel like Swift,
// as CoreScreens.swift does for the citizen's: the work list, the case page and the patrol
// screen each give their states as an AsyncStream and take intents as async calls on the core's
// queue. What a row shows, the order and filters, which steps a case offers and what each
// needs, the on-site check and the patrol's interval are the core's
// (core/src/device/app/{work_list,case_page,patrol}.rs); the SwiftUI screens only draw.
//
// `recordWhileOnDuty` is the shell's timer for the patrol track, the same as the Android app's
// (FieldScreens.kt, JVM-tested): it waits the interval the core gives and sends `record` for as
// long as the core says the inspector is on duty; the task that runs it ends it by cancelling.
import Foundation

private final class WorkListRelay: WorkListListener, @unchecked Sendable {
    let relay: Relay<WorkListState>
    init(_ relay: Relay<WorkListState>) { self.relay = relay }
    func onState(state: WorkListState) { relay.continuation.yield(state) }
}

private final class CasePageRelay: CasePageListener, @unchecked Sendable {
    let relay: Relay<CasePageState>
    init(_ relay: Relay<CasePageState>) { self.relay = relay }
    func onState(state: CasePageState) { relay.continuation.yield(state) }
}

private final class PatrolRelay: PatrolListener, @unchecked Sendable {
    let relay: Relay<PatrolState>
    init(_ relay: Relay<PatrolState>) { self.relay = relay }
    func onState(state: PatrolState) { relay.continuation.yield(state) }
}

public extension AppCore {
    func openWorkList() async -> WorkListModel { await onCoreQueue { self.workListScreen() } }
    func openCasePage(caseId: String) async -> CasePageModel { await onCoreQueue { self.caseScreen(caseId: caseId) } }
    func openPatrol() async -> PatrolModel { await onCoreQueue { self.patrolScreen() } }
}

public extension WorkListModel {
    var states: AsyncStream<WorkListState> { stateStream { self.subscribe(listener: WorkListRelay($0)) } }
    func dispatch(_ intent: WorkListIntent) async { await onCoreQueue { self.send(intent: intent) } }
}

public extension CasePageModel {
    var states: AsyncStream<CasePageState> { stateStream { self.subscribe(listener: CasePageRelay($0)) } }
    func dispatch(_ intent: CasePageIntent) async { await onCoreQueue { self.send(intent: intent) } }
}

public extension PatrolModel {
    var states: AsyncStream<PatrolState> { stateStream { self.subscribe(listener: PatrolRelay($0)) } }
    func dispatch(_ intent: PatrolIntent) async { await onCoreQueue { self.send(intent: intent) } }

    /// Sends `record` every `intervalSecs` (the core's) while the core says the inspector is on
    /// duty; returns when the calling task is cancelled.
    func recordWhileOnDuty() async {
        var ticking: Task<Void, Never>?
        var current: (Bool, UInt64)?
        for await state in states {
            let next = (state.available && state.onDuty, state.intervalSecs)
            if let current, current == next { continue }
            current = next
            ticking?.cancel()
            ticking = nil
            guard next.0 else { continue }
            let interval = next.1
            ticking = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: interval * 1_000_000_000)
                    if Task.isCancelled { break }
                    await self.dispatch(.record)
                }
            }
        }
        ticking?.cancel()
    }
}
