// Sign-in: a citizen with a phone number and a texted code, or anonymously; staff with a login
// and password; and sign-out. SignInModel does the SDK calls and keeps who signed in
// (UserDefaults) and the anonymous account's device secret (Keychain); the form's rules and the
// messages for the server's refusals are in Presentation.swift (a port of the tested SignIn.kt).
import GridlineKit
import Security
import SwiftUI

/// What the app keeps of the sign-in across launches; the core keeps the session's tokens.
struct SignInMemory {
    private let defaults = UserDefaults.standard
    private let accountKey = "gridline.account"
    private let secretAccount = "gridline.device-secret"

    var account: SavedAccount? {
        get { defaults.data(forKey: accountKey).flatMap { try? JSONDecoder().decode(SavedAccount.self, from: $0) } }
        nonmutating set {
            if let value = newValue, let data = try? JSONEncoder().encode(value) {
                defaults.set(data, forKey: accountKey)
            } else {
                defaults.removeObject(forKey: accountKey)
            }
        }
    }

    var deviceSecret: String? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrAccount as String: secretAccount,
            kSecReturnData as String: true,
        ]
        var item: CFTypeRef?
        guard SecItemCopyMatching(query as CFDictionary, &item) == errSecSuccess, let data = item as? Data else { return nil }
        return String(data: data, encoding: .utf8)
    }

    func keepDeviceSecret(_ secret: String) {
        let match: [String: Any] = [kSecClass as String: kSecClassGenericPassword, kSecAttrAccount as String: secretAccount]
        SecItemDelete(match as CFDictionary)
        var add = match
        add[kSecValueData as String] = Data(secret.utf8)
        add[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlock
        SecItemAdd(add as CFDictionary, nil)
    }
}

let allRoles: [Role] = [.citizen, .inspector, .dispatcher, .handler, .admin, .system, .viewer]

func roleNamed(_ name: String) -> Role? {
    allRoles.first { "\($0)" == name }
}

@MainActor
final class SignInModel: ObservableObject {
    @Published var form = SignInForm()
    private let client: GridlineClient
    private let memory = SignInMemory()
    private let onSignedIn: () -> Void

    init(client: GridlineClient, onSignedIn: @escaping () -> Void) {
        self.client = client
        self.onSignedIn = onSignedIn
    }

    var role: Role? { form.account.flatMap { roleNamed($0.role) } }

    /// On launch: signed in again when the core still holds the session of the remembered account.
    func restore() {
        if let saved = memory.account, client.isSignedIn, roleNamed(saved.role) != nil {
            enter(saved)
        } else {
            memory.account = nil
        }
    }

    func requestCode() {
        run(.citizen) {
            try await self.client.requestCode(phone: self.form.phone)
            self.form.busy = false
            self.form.codeSent = true
            self.form.code = ""
        }
    }

    func signIn() {
        let form = self.form
        run(form.mode) {
            switch form.mode {
            case .citizen: self.signedIn(try await self.client.signIn(phone: form.phone, code: form.code))
            case .staff: self.signedIn(try await self.client.signInStaff(login: form.login, password: form.password))
            }
        }
    }

    func continueAnonymously() {
        run(.citizen) {
            let account: Account
            do {
                account = try await self.client.signInAnonymously(deviceSecret: self.memory.deviceSecret)
            } catch GridlineError.Refused(_, "device_unknown", _) {
                // The server no longer knows the kept secret: a new anonymous account.
                account = try await self.client.signInAnonymously(deviceSecret: nil)
            }
            if let secret = account.deviceSecret { self.memory.keepDeviceSecret(secret) }
            self.signedIn(account)
        }
    }

    func signOut() {
        run(form.mode) {
            let revoked = try await self.client.signOut()
            self.client.setPullLists([])
            self.memory.account = nil
            self.form = SignInForm(mode: self.form.mode, signedOutOffline: !revoked)
        }
    }

    private func signedIn(_ account: Account) {
        let saved = SavedAccount(
            userId: account.userId, role: "\(account.role)", anonymous: account.anonymous, displayName: account.displayName)
        memory.account = saved
        enter(saved)
    }

    private func enter(_ saved: SavedAccount) {
        if let role = roleNamed(saved.role) { client.setPullLists(pullListsFor(role)) }
        form = SignInForm(mode: form.mode, account: saved)
        onSignedIn()
    }

    private func run(_ mode: SignInMode, _ work: @escaping @MainActor () async throws -> Void) {
        form.busy = true
        form.error = nil
        form.signedOutOffline = false
        Task {
            do {
                try await work()
            } catch {
                form.failed(signInError(error, mode: mode))
            }
        }
    }
}

struct SignInView: View {
    @ObservedObject var model: SignInModel

    var body: some View {
        Form {
            Picker("signin_title", selection: $model.form.mode) {
                Text("signin_citizen").tag(SignInMode.citizen)
                Text("signin_staff").tag(SignInMode.staff)
            }
            .pickerStyle(.segmented)
            switch model.form.mode {
            case .citizen:
                Section {
                    TextField("signin_phone", text: $model.form.phone)
                        .keyboardType(.phonePad)
                        .disabled(model.form.codeSent)
                    if model.form.codeSent {
                        TextField("signin_code", text: $model.form.code)
                            .keyboardType(.numberPad)
                            .textContentType(.oneTimeCode)
                        Button("signin_submit") { model.signIn() }.disabled(!model.form.canSignIn)
                        Button("signin_change_phone") { model.form.codeSent = false; model.form.code = "" }
                    } else {
                        Button("signin_send_code") { model.requestCode() }.disabled(!model.form.canRequestCode)
                    }
                }
                Section {
                    Button("signin_anonymous") { model.continueAnonymously() }.disabled(model.form.busy)
                }
            case .staff:
                Section {
                    TextField("signin_login", text: $model.form.login)
                        .textInputAutocapitalization(.never)
                        .autocorrectionDisabled()
                    SecureField("signin_password", text: $model.form.password)
                    Button("signin_submit") { model.signIn() }.disabled(!model.form.canSignIn)
                }
            }
            if let error = model.form.error {
                Text(signInErrorText(error)).foregroundColor(.red)
            }
            if model.form.signedOutOffline {
                Text("signin_signed_out_offline")
            }
            if model.form.busy {
                ProgressView()
            }
        }
        .navigationTitle("signin_title")
    }
}

func signInErrorText(_ error: SignInError) -> String {
    let format = NSLocalizedString(error.key, comment: "")
    switch error.key {
    case "signin_error_too_many", "signin_error_locked":
        return String(format: format, error.waitSeconds ?? unstatedWaitSeconds)
    case "signin_error_other":
        return String(format: format, error.code ?? "")
    default:
        return format
    }
}
