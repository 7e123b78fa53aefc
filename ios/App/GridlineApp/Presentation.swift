// The screens' rules in plain Swift, the same as the Android app's org.gridline.app.presentation
// (the Kotlin there is the tested reference): the new-report form and its checks, category
// search, the sync banner, the status timeline, the work-list order, sign-in (SignIn.kt) and
// background sync's decisions (BackgroundSync.kt). No SwiftUI here.
import Foundation
import GridlineKit

let maxDescriptionChars = 4000
let maxPhotos = 9
let impreciseFixMetres = 100.0

enum FormProblem: String, CaseIterable {
    case categoryMissing = "problem_category_missing"
    case descriptionEmpty = "problem_description_empty"
    case descriptionTooLong = "problem_description_too_long"
    case positionMissing = "problem_position_missing"
    case positionImprecise = "problem_position_imprecise"
    case photoMissing = "problem_photo_missing"
    case tooManyPhotos = "problem_too_many_photos"
    case anonymousNotAllowed = "problem_anonymous_not_allowed"
}

enum SendStatus { case editing, submitting, queued, sent, failed }

struct NewReportForm {
    var categories: [CategoryInfo] = []
    var query = ""
    var category: CategoryInfo?
    var description = ""
    var position: Position?
    var pinAdjusted = false
    var photoIds: [String] = []
    var anonymous = false
    var draftId: String?
    var status = SendStatus.editing
    var attempted = false
    var serverProblems: [FieldProblem] = []
    var failure: String?

    var anonymousAvailable: Bool { category?.anonymousAllowed ?? false }
    var descriptionLeft: Int { maxDescriptionChars - description.unicodeScalars.count }
    var matches: [CategoryInfo] { searchCategories(categories, query: query) }
    var canSend: Bool { status == .editing || status == .failed }
    var shownProblems: [FormProblem] { attempted ? problems : [] }

    /// The accuracy line under the map: nil before a fix, "placed by hand", or metres.
    var accuracyKey: (key: String, metres: Int?) {
        guard let position else { return ("accuracy_none", nil) }
        if pinAdjusted { return ("accuracy_by_hand", nil) }
        guard let accuracy = position.accuracyM else { return ("accuracy_unknown", nil) }
        return ("accuracy_measured", Int(accuracy.rounded()))
    }

    var problems: [FormProblem] {
        var problems: [FormProblem] = []
        if category == nil { problems.append(.categoryMissing) }
        if description.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.append(.descriptionEmpty)
        } else if descriptionLeft < 0 {
            problems.append(.descriptionTooLong)
        }
        if let position {
            if !pinAdjusted && (position.accuracyM ?? 0) > impreciseFixMetres { problems.append(.positionImprecise) }
        } else {
            problems.append(.positionMissing)
        }
        if photoIds.isEmpty { problems.append(.photoMissing) }
        if photoIds.count > maxPhotos { problems.append(.tooManyPhotos) }
        if anonymous && !anonymousAvailable { problems.append(.anonymousNotAllowed) }
        return problems
    }

    mutating func choose(code: String) {
        category = categories.first { $0.code.caseInsensitiveCompare(code) == .orderedSame }
        anonymous = anonymous && anonymousAvailable
        query = ""
    }

    mutating func fix(_ fix: Position) {
        if !pinAdjusted { position = fix }
    }

    mutating func movePin(lat: Double, lon: Double) {
        position = Position(lat: lat, lon: lon, crs: position?.crs ?? .wgs84, accuracyM: nil)
        pinAdjusted = true
    }

    mutating func setAnonymous(_ on: Bool) {
        anonymous = on && anonymousAvailable
    }

    /// Whether the send may go on to the SDK; marks the form as attempted either way.
    mutating func pressSend() -> Bool {
        guard canSend else { return false }
        attempted = true
        guard problems.isEmpty else { return false }
        status = .submitting
        serverProblems = []
        failure = nil
        return true
    }
}

/// Categories matching `query`: code exact, code prefix, name prefix, name substring.
func searchCategories(_ categories: [CategoryInfo], query: String) -> [CategoryInfo] {
    let text = query.trimmingCharacters(in: .whitespaces)
    if text.isEmpty { return categories.sorted { $0.code < $1.code } }
    let code = text.replacingOccurrences(of: "-", with: "").uppercased()
    let lower = text.lowercased()
    func rank(_ category: CategoryInfo) -> Int? {
        let names = [category.nameZh, category.nameEn.lowercased()]
        if category.code.uppercased() == code { return 0 }
        if category.code.uppercased().hasPrefix(code) { return 1 }
        if names.contains(where: { $0.hasPrefix(lower) }) { return 2 }
        if names.contains(where: { $0.contains(lower) }) { return 3 }
        return nil
    }
    return categories
        .compactMap { category in rank(category).map { ($0, category) } }
        .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1.code < $1.1.code }
        .map { $0.1 }
}

/// The banner's string key and numbers, or nil for no banner.
struct Banner: Equatable {
    let key: String
    let args: [Int]
    let warning: Bool
}

func bannerFor(_ state: SyncState, unsent: Int, online: Bool) -> Banner? {
    if !online {
        return unsent > 0 ? Banner(key: "banner_offline_unsent", args: [unsent], warning: true)
            : Banner(key: "banner_offline", args: [], warning: true)
    }
    switch state {
    case let .syncing(done, total):
        return Banner(key: "banner_syncing", args: [Int(done), Int(total)], warning: false)
    case let .waitingForNetwork(_, retryIn):
        return Banner(key: "banner_retrying", args: [unsent, Int(retryIn.rounded(.up))], warning: true)
    case .error:
        return Banner(key: "banner_sync_failed", args: [unsent], warning: true)
    case .idle:
        return unsent > 0 ? Banner(key: "banner_unsent", args: [unsent], warning: false) : nil
    }
}

enum StepMark { case done, current, upcoming }

/// The status timeline: string keys (`timeline_*`) with their marks.
func timeline(_ state: CaseState) -> [(key: String, mark: StepMark)] {
    let path = ["reported", "registered", "dispatched", "in_progress", "handled", "closed"]
    func ended(after: Int, last: String, mark: StepMark) -> [(key: String, mark: StepMark)] {
        path[0...after].map { ("timeline_" + $0, StepMark.done) } + [("timeline_" + last, mark)]
    }
    let at: Int
    switch state {
    case .rejected: return ended(after: 0, last: "rejected", mark: .done)
    case .merged: return ended(after: 0, last: "merged", mark: .done)
    case .shelved: return ended(after: 1, last: "shelved", mark: .current)
    case .closed: return path.map { ("timeline_" + $0, StepMark.done) }
    case .reported: at = 0
    case .registered: at = 1
    case .dispatched: at = 2
    case .inProgress: at = 3
    case .handled: at = 4
    }
    return path.enumerated().map { index, step in
        ("timeline_" + step, index < at ? .done : index == at ? .current : .upcoming)
    }
}

/// Verification first, then new reports, the rest after, finished cases last; oldest first.
func inspectorPriority(_ state: CaseState) -> Int {
    switch state {
    case .handled: return 0
    case .reported: return 1
    case .registered: return 2
    case .dispatched: return 3
    case .inProgress: return 4
    case .shelved: return 5
    case .closed, .rejected, .merged: return 6
    }
}

func orderWorkList(_ cases: [CachedCase]) -> [CachedCase] {
    let parser = ISO8601DateFormatter()
    func created(_ c: CachedCase) -> Date { parser.date(from: c.createdAt) ?? .distantFuture }
    return cases.sorted { a, b in
        let (pa, pb) = (inspectorPriority(a.state), inspectorPriority(b.state))
        if pa != pb { return pa < pb }
        let (ca, cb) = (created(a), created(b))
        return ca != cb ? ca < cb : a.id < b.id
    }
}

// MARK: - Sign-in (SignIn.kt)

enum SignInMode: Int { case citizen, staff }

enum Home { case reports, workList, staffOnly }

/// A refused or failed sign-in: the string key, and the seconds to wait where the server gave them.
struct SignInError: Equatable {
    let key: String
    var waitSeconds: Int? = nil
    var code: String? = nil
}

/// A wait the server did not state is shown as a minute rather than as nothing.
let unstatedWaitSeconds = 60

/// What the app remembers of who signed in, next to the core's session.
struct SavedAccount: Codable, Equatable {
    let userId: String
    let role: String
    let anonymous: Bool
    let displayName: String
}

struct SignInForm {
    var mode: SignInMode = .citizen
    var phone = "" { didSet { if phone != oldValue { codeSent = false; error = nil } } }
    var code = "" { didSet { let digits = String(code.filter(\.isNumber).prefix(6)); if digits != code { code = digits }; error = nil } }
    var codeSent = false
    var login = "" { didSet { error = nil } }
    var password = "" { didSet { error = nil } }
    var busy = false
    var error: SignInError?
    var account: SavedAccount?
    var signedOutOffline = false

    var phoneValid: Bool {
        let digits = phone.trimmingCharacters(in: .whitespaces).filter { $0 != " " && $0 != "-" }
        return digits.range(of: #"^(\d{11}|\+\d{8,15})$"#, options: .regularExpression) != nil
    }
    var canRequestCode: Bool { !busy && phoneValid }
    var canSignIn: Bool {
        guard !busy else { return false }
        switch mode {
        case .citizen: return codeSent && phoneValid && code.count == 6
        case .staff: return !login.trimmingCharacters(in: .whitespaces).isEmpty && !password.isEmpty
        }
    }

    /// A refusal: a wrong code is cleared, a used-up or expired one goes back to requesting, the password never stays.
    mutating func failed(_ error: SignInError) {
        busy = false
        self.error = error
        if error.key == "signin_error_code_used_up" || error.key == "signin_error_code_expired" { codeSent = false }
        if error.key == "signin_error_wrong_code" { code = "" }
        password = ""
    }
}

/// The message for a failed sign-in step, from the server's stable code and Retry-After only.
func signInError(_ error: Error, mode: SignInMode) -> SignInError {
    guard let error = error as? GridlineError else { return SignInError(key: "signin_error_other", code: "\(type(of: error))") }
    switch error {
    case let .TooManyAttempts(code, retryAfterSecs):
        if code == "otp_attempts_exhausted" { return SignInError(key: "signin_error_code_used_up") }
        let wait = retryAfterSecs.map { Int($0) } ?? unstatedWaitSeconds
        return SignInError(key: mode == .staff ? "signin_error_locked" : "signin_error_too_many", waitSeconds: wait)
    case let .Refused(_, code, _):
        switch code {
        case "invalid_phone": return SignInError(key: "signin_error_invalid_phone")
        case "otp_wrong", "otp_invalid": return SignInError(key: "signin_error_wrong_code")
        case "otp_expired": return SignInError(key: "signin_error_code_expired")
        case "invalid_credentials": return SignInError(key: "signin_error_wrong_password")
        case "device_unknown": return SignInError(key: "signin_error_device_unknown")
        default: return SignInError(key: "signin_error_other", code: code)
        }
    case .Network:
        return SignInError(key: "signin_error_offline")
    default:
        return SignInError(key: "signin_error_other", code: "\(error)".components(separatedBy: "(").first)
    }
}

func pullListsFor(_ role: Role) -> [PullList] {
    switch role {
    case .citizen: return [.myReports]
    case .inspector: return [.workList]
    default: return []
    }
}

func homeFor(_ role: Role) -> Home {
    switch role {
    case .citizen: return .reports
    case .inspector: return .workList
    default: return .staffOnly
    }
}

// MARK: - Background sync (BackgroundSync.kt)

enum RunResult { case success, retry, failure }

enum PartOutcome { case done, later, signedOut, broken }

enum SyncSchedule {
    static let refreshTask = "org.gridline.app.sync"
    static let processingTask = "org.gridline.app.sync.outbox"
    static let period: TimeInterval = 30 * 60
    static let backoff: TimeInterval = 30
    static let maxAttempts = 10

    /// The next try after `attempt` failed ones: the backoff doubled each time, at most 5 hours.
    static func retryDelay(attempt: Int) -> TimeInterval {
        min(backoff * pow(2, Double(min(attempt, 20))), 5 * 3600)
    }
}

struct RunPlan: Equatable {
    let sync: Bool
    let refreshGridPackage: Bool
}

func planRun(signedIn: Bool, pullLists: [PullList]) -> RunPlan? {
    signedIn ? RunPlan(sync: true, refreshGridPackage: pullLists.contains(.workList)) : nil
}

func syncPart(_ outcome: SyncOutcome) -> PartOutcome {
    switch outcome {
    case .idle: return .done
    case .retryIn, .alreadyRunning: return .later
    case .signedOut: return .signedOut
    }
}

func errorPart(_ error: Error) -> PartOutcome {
    guard let error = error as? GridlineError else { return .broken }
    switch error {
    case .Network, .TooManyAttempts: return .later
    case .SignedOut: return .signedOut
    case .Refused: return .done
    default: return .broken
    }
}

func runResult(_ parts: [PartOutcome], attempt: Int) -> RunResult {
    if parts.contains(.broken) { return .failure }
    if parts.contains(.later) { return attempt + 1 >= SyncSchedule.maxAttempts ? .failure : .retry }
    return .success
}

/// One background run: sync, then (for an inspector) refresh the grid package.
func runBackgroundSync(_ client: GridlineClient, attempt: Int) async -> RunResult {
    guard let plan = planRun(signedIn: client.isSignedIn, pullLists: client.pullLists) else { return .success }
    var parts: [PartOutcome] = []
    if plan.sync {
        do { parts.append(syncPart(try await client.syncNow())) } catch { parts.append(errorPart(error)) }
    }
    if plan.refreshGridPackage && !parts.contains(.signedOut) {
        do {
            _ = try await client.refreshGridPackage()
            parts.append(.done)
        } catch {
            parts.append(errorPart(error))
        }
    }
    return runResult(parts, attempt: attempt)
}
