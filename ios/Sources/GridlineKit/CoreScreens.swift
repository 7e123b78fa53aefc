// The app core's view models made to feel like Swift: each screen's state as an AsyncStream
// (from the model's subscribe; ending the iteration unsubscribes) and each intent as an async
// call. Every call into the core may block (the network, SQLite, photo preparation), so it runs
// on one dedicated serial dispatch queue, never on Swift's cooperative thread pool (whose few
// threads must not wait on I/O). Everything a screen shows and every rule behind it is the
// core's (core/src/device/app); the SwiftUI screens only draw these states and send intents.
import Foundation
@_exported import GridlineCore

/// The queue every blocking call into the app core runs on.
private let coreQueue = DispatchQueue(label: "org.gridline.core", qos: .userInitiated)

/// Runs `work` on the core's queue and resumes the caller when it is done.
func onCoreQueue<T>(_ work: @escaping () -> T) async -> T {
    await withCheckedContinuation { continuation in
        coreQueue.async { continuation.resume(returning: work()) }
    }
}

/// Runs a throwing `work` on the core's queue.
func onCoreQueueThrowing<T>(_ work: @escaping () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        coreQueue.async { continuation.resume(with: Result { try work() }) }
    }
}

/// Forwards each state the core sends to an AsyncStream.
final class Relay<State>: @unchecked Sendable {
    let continuation: AsyncStream<State>.Continuation
    init(_ continuation: AsyncStream<State>.Continuation) { self.continuation = continuation }
}

private final class AppRelay: AppListener, @unchecked Sendable {
    let relay: Relay<AppState>
    init(_ relay: Relay<AppState>) { self.relay = relay }
    func onState(state: AppState) { relay.continuation.yield(state) }
}

private final class SignInRelay: SignInListener, @unchecked Sendable {
    let relay: Relay<SignInState>
    init(_ relay: Relay<SignInState>) { self.relay = relay }
    func onState(state: SignInState) { relay.continuation.yield(state) }
}

private final class NewReportRelay: NewReportListener, @unchecked Sendable {
    let relay: Relay<NewReportState>
    init(_ relay: Relay<NewReportState>) { self.relay = relay }
    func onState(state: NewReportState) { relay.continuation.yield(state) }
}

private final class OutboxRelay: OutboxListener, @unchecked Sendable {
    let relay: Relay<OutboxState>
    init(_ relay: Relay<OutboxState>) { self.relay = relay }
    func onState(state: OutboxState) { relay.continuation.yield(state) }
}

private final class MyReportsRelay: MyReportsListener, @unchecked Sendable {
    let relay: Relay<MyReportsState>
    init(_ relay: Relay<MyReportsState>) { self.relay = relay }
    func onState(state: MyReportsState) { relay.continuation.yield(state) }
}

/// A stream of states: only the newest matters to a screen, so older unread ones are dropped.
/// Subscribing happens on the core's queue; ending the stream cancels the subscription.
func stateStream<State>(_ subscribe: @escaping (Relay<State>) -> ListenerHandle) -> AsyncStream<State> {
    AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
        let relay = Relay(continuation)
        coreQueue.async {
            let handle = subscribe(relay)
            continuation.onTermination = { _ in coreQueue.async { handle.cancel() } }
        }
    }
}

public extension AppCore {
    var states: AsyncStream<AppState> { stateStream { self.subscribe(listener: AppRelay($0)) } }
    func dispatch(_ intent: AppIntent) async { await onCoreQueue { self.send(intent: intent) } }
    /// One background run (send the outbox, pull the lists); true when it finished.
    func syncInBackground() async -> Bool { await onCoreQueue { self.backgroundSync() } }
    func openSignIn() async -> SignInModel { await onCoreQueue { self.signInScreen() } }
    func openNewReport(draftId: String? = nil) async -> NewReportModel {
        await onCoreQueue { self.newReportScreen(draftId: draftId) }
    }
    func openOutbox() async -> OutboxModel { await onCoreQueue { self.outboxScreen() } }
    func openMyReports() async -> MyReportsModel { await onCoreQueue { self.myReportsScreen() } }
}

public extension SignInModel {
    var states: AsyncStream<SignInState> { stateStream { self.subscribe(listener: SignInRelay($0)) } }
    func dispatch(_ intent: SignInIntent) async { await onCoreQueue { self.send(intent: intent) } }
}

public extension NewReportModel {
    var states: AsyncStream<NewReportState> { stateStream { self.subscribe(listener: NewReportRelay($0)) } }
    func dispatch(_ intent: NewReportIntent) async { await onCoreQueue { self.send(intent: intent) } }
}

public extension OutboxModel {
    var states: AsyncStream<OutboxState> { stateStream { self.subscribe(listener: OutboxRelay($0)) } }
    func dispatch(_ intent: OutboxIntent) async { await onCoreQueue { self.send(intent: intent) } }
}

public extension MyReportsModel {
    var states: AsyncStream<MyReportsState> { stateStream { self.subscribe(listener: MyReportsRelay($0)) } }
    func dispatch(_ intent: MyReportsIntent) async { await onCoreQueue { self.send(intent: intent) } }
}

public extension GridlineClient {
    /// The app core over this client, with the phone's capabilities; open it once per process.
    func appCore(
        location: LocationProvider, notifier: Notifier, secureStorage: SecureStorage,
        scheduler: BackgroundScheduler, language: Language
    ) async throws -> AppCore {
        try await onCoreQueueThrowing {
            try self.ffiClient.appCore(
                location: location, notifier: notifier, secureStorage: secureStorage,
                scheduler: scheduler, language: language)
        }
    }
}
