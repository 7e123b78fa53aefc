// The Swift face of the phone client: drafts, photos, submit, the outbox, sync, sign-in and
// sign-out, the pulled lists and the offline grid package as `async` methods that run off the
// caller's actor, and the sync state as an `AsyncStream` over the core's state listener. The
// field apps' work list, case page and steps are the app core's view models (CoreScreens.swift).
//
// The generated `GridlineFFI.GridlineClient` does the work; this type only moves each call to a
// detached task and turns the listener into a stream. It holds no logic of its own.

import Foundation
import GridlineFFI

/// A draft's fields.
public typealias DraftFields = GridlineFFI.DraftFields
/// A draft and its photos.
public typealias Draft = GridlineFFI.Draft
/// A prepared photo kept on the device.
public typealias Photo = GridlineFFI.Photo
/// Where the problem is, in the coordinate system of the map that measured it.
public typealias Position = GridlineFFI.Position
/// An answer to a category question.
public typealias AnswerValue = GridlineFFI.AnswerValue
/// Something sent that the server has not confirmed yet.
public typealias OutboxItem = GridlineFFI.OutboxItem
/// What the sync engine is doing.
public typealias SyncState = GridlineFFI.SyncState
/// How one `syncNow()` ended.
public typealias SyncOutcome = GridlineFFI.SyncOutcome
/// Who is signed in.
public typealias Account = GridlineFFI.Account
/// A role: citizen, inspector, dispatcher, handler, admin.
public typealias Role = GridlineFFI.Role
/// Where a case stands in the workflow.
public typealias CaseState = GridlineFFI.CaseState
/// A workflow step.
public typealias WorkflowAction = GridlineFFI.WorkflowAction
/// A category for the picker.
public typealias CategoryInfo = GridlineFFI.CategoryInfo
/// One problem of a draft, by field.
public typealias FieldProblem = GridlineFFI.FieldProblem
/// The app's own HTTP stack, as the SDK calls it (see `URLSessionTransport`).
public typealias HttpTransport = GridlineFFI.HttpTransport
/// A list sync pulls and keeps on the phone: the work list or own reports.
public typealias PullList = GridlineFFI.PullList
/// A case as last pulled, readable offline.
public typealias CachedCase = GridlineFFI.CachedCase
/// An offline grid package, indexed for routing on the phone.
public typealias GridPackage = GridlineFFI.GridPackage
/// The unit grid a point was routed to offline.
public typealias GridRoute = GridlineFFI.GridRoute
/// What a grid package refresh found: whether a newer package was downloaded.
public typealias GridPackageRefresh = GridlineFFI.GridPackageRefresh

/// Forwards the core's state changes into an `AsyncStream`.
private final class StreamListener: SyncStateListener, @unchecked Sendable {
    private let continuation: AsyncStream<SyncState>.Continuation

    init(_ continuation: AsyncStream<SyncState>.Continuation) {
        self.continuation = continuation
    }

    func onStateChanged(state: SyncState) {
        continuation.yield(state)
    }
}

/// The Gridline client of one app: open it once and keep it. Every method is `async` and runs
/// on a detached task, so it may be awaited from the main actor. Errors are `GridlineError`.
public final class GridlineClient: @unchecked Sendable {
    private let ffi: GridlineFFI.GridlineClient

    /// The generated client, for the app core (CoreScreens.swift).
    var ffiClient: GridlineFFI.GridlineClient { ffi }

    /// Open the client for the server at `serverURL` with its store in `dataFolder` (the
    /// app's Application Support folder). HTTP goes through `transport` when given (e.g.
    /// `URLSessionTransport()`), else through the SDK's built-in one.
    public init(serverURL: URL, dataFolder: URL, transport: HttpTransport? = nil) async throws {
        ffi = try await Task.detached {
            try GridlineFFI.GridlineClient(
                serverUrl: serverURL.absoluteString, dataFolder: dataFolder.path, transport: transport)
        }.value
    }

    private func background<T: Sendable>(_ work: @escaping @Sendable (GridlineFFI.GridlineClient) throws -> T) async throws -> T {
        let ffi = self.ffi
        return try await Task.detached(priority: .utility) { try work(ffi) }.value
    }

    /// The sync state: the current one at once, then every change. Iterating subscribes to
    /// the core; ending the iteration (or its task) unsubscribes.
    public var syncStates: AsyncStream<SyncState> {
        AsyncStream(bufferingPolicy: .unbounded) { continuation in
            let subscription = ffi.subscribe(listener: StreamListener(continuation))
            continuation.onTermination = { _ in subscription.cancel() }
        }
    }

    /// The sync state now.
    public var syncState: SyncState { ffi.syncState() }

    /// The categories for the picker.
    public var categories: [CategoryInfo] { ffi.categories() }

    /// Start a draft.
    public func createDraft(_ fields: DraftFields = DraftFields()) async throws -> Draft {
        try await background { try $0.createDraft(fields: fields) }
    }

    /// Replace a draft's fields (its photos stay).
    public func updateDraft(_ draftId: String, fields: DraftFields) async throws -> Draft {
        try await background { try $0.updateDraft(draftId: draftId, fields: fields) }
    }

    /// One draft.
    public func draft(_ draftId: String) async throws -> Draft {
        try await background { try $0.draft(draftId: draftId) }
    }

    /// Every draft, oldest first.
    public func drafts() async throws -> [Draft] {
        try await background { try $0.drafts() }
    }

    /// Delete a draft and its photos.
    public func deleteDraft(_ draftId: String) async throws {
        try await background { try $0.deleteDraft(draftId: draftId) }
    }

    /// Prepare camera bytes (JPEG, PNG, WebP; convert HEIC first) and attach them to a draft.
    public func addPhoto(_ draftId: String, cameraBytes: Data) async throws -> Photo {
        try await background { try $0.addPhoto(draftId: draftId, cameraBytes: cameraBytes) }
    }

    /// Detach and delete a draft's photo.
    public func removePhoto(_ draftId: String, photoId: String) async throws {
        try await background { try $0.removePhoto(draftId: draftId, photoId: photoId) }
    }

    /// What is wrong with a draft, by field; empty when it can be submitted.
    public func checkDraft(_ draftId: String) async throws -> [FieldProblem] {
        try await background { try $0.checkDraft(draftId: draftId) }
    }

    /// Move a complete draft into the outbox; it reaches the server exactly once.
    public func submit(_ draftId: String) async throws -> OutboxItem {
        try await background { try $0.submit(draftId: draftId) }
    }

    /// The outbox in queue order; delivered items too when `includeDelivered`.
    public func outbox(includeDelivered: Bool = false) async throws -> [OutboxItem] {
        try await background { try $0.outbox(includeDelivered: includeDelivered) }
    }

    /// Put a failed or conflicting item back in the queue.
    public func retry(_ itemId: String) async throws -> OutboxItem {
        try await background { try $0.retryItem(itemId: itemId) }
    }

    /// Remove a failed or conflicting item.
    public func discard(_ itemId: String) async throws {
        try await background { try $0.discardItem(itemId: itemId) }
    }

    /// Turn a failed report back into a draft; returns the draft id.
    public func returnToDrafts(_ itemId: String) async throws -> String {
        try await background { try $0.returnToDrafts(itemId: itemId) }
    }

    /// Send the outbox once through; on `.retryIn`, schedule the next call (BGTaskScheduler).
    public func syncNow() async throws -> SyncOutcome {
        try await background { try $0.syncNow() }
    }

    /// Text a one-time code to `phone`.
    public func requestCode(phone: String) async throws {
        try await background { try $0.requestCode(phone: phone) }
    }

    /// Sign in as the citizen owning `phone` with the texted `code`.
    public func signIn(phone: String, code: String) async throws -> Account {
        try await background { try $0.signInWithCode(phone: phone, code: code) }
    }

    /// Sign in anonymously; keep `deviceSecret` of a new account in the Keychain.
    public func signInAnonymously(deviceSecret: String? = nil) async throws -> Account {
        try await background { try $0.signInAnonymously(deviceSecret: deviceSecret) }
    }

    /// Sign in as staff.
    public func signInStaff(login: String, password: String) async throws -> Account {
        try await background { try $0.signInStaff(login: login, password: password) }
    }

    /// Whether a session is kept on this device.
    public var isSignedIn: Bool { ffi.isSignedIn() }

    /// Sign out: forget the session and the pulled lists here and revoke the refresh token on
    /// the server. Best effort: offline the session is still forgotten here, and this returns
    /// `false` (`true` when the server confirmed the revocation).
    @discardableResult
    public func signOut() async throws -> Bool {
        try await background { try $0.signOut() }
    }

    /// Make every sync pass pull `lists` after sending the outbox (none until set).
    public func setPullLists(_ lists: [PullList]) {
        ffi.setPullLists(lists: lists)
    }

    /// The lists each sync pass pulls.
    public var pullLists: [PullList] { ffi.pullLists() }

    /// The cases of `list` as last pulled, newest first; readable offline.
    public func cachedCases(_ list: PullList) async throws -> [CachedCase] {
        try await background { try $0.cachedCases(list: list) }
    }

    /// One case of `list` as last pulled, or `nil`.
    public func cachedCase(_ list: PullList, caseId: String) async throws -> CachedCase? {
        try await background { try $0.cachedCase(list: list, caseId: caseId) }
    }

    /// Download the city's grid package when the server has a newer one than the stored one (an
    /// unchanged grid costs a 304), keep it in the data folder and route with it from now on.
    @discardableResult
    public func refreshGridPackage() async throws -> GridPackageRefresh {
        try await background { try $0.refreshGridPackage() }
    }

    /// The stored grid package, or `nil` before the first refresh; offline.
    public func gridPackage() async throws -> GridPackage? {
        try await background { try $0.gridPackage() }
    }

    /// The unit grid of `point` (given in `crs`) by the stored grid package, offline; `nil`
    /// before the first refresh or when the point is in no grid.
    public func routeOffline(_ point: GeoPoint, crs: Crs = .wgs84) async throws -> GridRoute? {
        try await background { try $0.routeOffline(point: point, crs: crs) }
    }

    /// Decode and index an offline grid package (made by `gridline grid pack`) off the caller's
    /// actor.
    public static func openGridPackage(_ bytes: Data) async throws -> GridPackage {
        try await Task.detached(priority: .utility) { try GridPackage(bytes: bytes) }.value
    }
}
