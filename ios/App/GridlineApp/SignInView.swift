// Sign-in: a resident with a phone number and a texted code, or anonymously, drawn from the
// core's SignInState (labels, enabled buttons, errors in words, attempts left, the server's
// wait); staff with a login and password, and after a reset the new password the core asks for
// in exchange for the one-time password. Nothing is checked here: the core and the server do.
import GridlineKit
import SwiftUI

struct SignInView: View {
    let core: AppCore
    @State private var staff = false

    var body: some View {
        Form {
            Picker("", selection: $staff) {
                Text("signin_citizen").tag(false)
                Text("signin_staff").tag(true)
            }
            .pickerStyle(.segmented)
            if staff {
                StaffSignIn(core: core)
            } else {
                ResidentSignIn(core: core)
            }
        }
    }
}

private struct ResidentSignIn: View {
    let core: AppCore
    @State private var model: SignInModel?
    @StateObject private var drawn = Drawn<SignInState>()

    var body: some View {
        Group {
            if let model, let state = drawn.state {
                form(model, state)
            } else {
                ProgressView()
            }
        }
        .task {
            let opened = await core.openSignIn()
            model = opened
            await drawn.follow(opened.states)
        }
    }

    @ViewBuilder
    private func form(_ model: SignInModel, _ state: SignInState) -> some View {
        Section(state.title) {
            TextField(state.phoneLabel, text: binding(state.phone) { .setPhone(phone: $0) })
                .keyboardType(.phonePad)
                .disabled(state.codeVisible)
            if let error = state.phoneError { Text(error).foregroundColor(.red) }
            if state.codeVisible {
                TextField(state.codeLabel, text: binding(state.code) { .setCode(code: $0) })
                    .keyboardType(.numberPad)
                    .textContentType(.oneTimeCode)
                if let error = state.codeError { Text(error).foregroundColor(.red) }
                Button(state.verifyLabel) { send(.verify) }.disabled(!state.verifyEnabled)
                Button("signin_change_phone") { send(.changePhone) }
            } else {
                Button(state.requestCodeLabel) { send(.requestCode) }.disabled(!state.requestCodeEnabled)
            }
            Button(state.anonymousLabel) { send(.continueAnonymously) }.disabled(!state.anonymousEnabled)
            if let message = state.message { Text(message).foregroundColor(.red) }
            if state.busy { ProgressView() }
        }
    }

    private func send(_ intent: SignInIntent) {
        guard let model else { return }
        Task { await model.dispatch(intent) }
    }

    /// A text field bound to the core's value: each edit is an intent, the field shows the state.
    private func binding(_ value: String, _ intent: @escaping (String) -> SignInIntent) -> Binding<String> {
        Binding(get: { value }, set: { send(intent($0)) })
    }
}

/// Staff sign in, drawn from the core's sign-in model in its staff mode: the login, the password
/// (kept here only as typed: the core never shows a password back) and, after a reset, the new
/// password the core asks for in exchange for the one-time password.
private struct StaffSignIn: View {
    let core: AppCore
    @State private var model: SignInModel?
    @StateObject private var drawn = Drawn<SignInState>()
    @State private var password = ""
    @State private var newPassword = ""

    var body: some View {
        Group {
            if let model, let state = drawn.state {
                form(model, state)
            } else {
                ProgressView()
            }
        }
        .task {
            let opened = await core.openSignIn()
            model = opened
            await opened.dispatch(.setStaffMode(staff: true))
            await drawn.follow(opened.states)
        }
    }

    @ViewBuilder
    private func form(_ model: SignInModel, _ state: SignInState) -> some View {
        Section {
            TextField(state.loginLabel, text: Binding(get: { state.login }, set: { send(.setLogin(login: $0)) }))
                .textInputAutocapitalization(.never)
            if let error = state.loginError { Text(error).foregroundColor(.red) }
            SecureField(state.passwordLabel, text: Binding(get: { password }, set: { typed in
                password = typed
                send(.setPassword(password: typed))
            }))
            if let error = state.passwordError { Text(error).foregroundColor(.red) }
            if state.newPasswordVisible {
                SecureField(state.newPasswordLabel, text: Binding(get: { newPassword }, set: { typed in
                    newPassword = typed
                    send(.setNewPassword(password: typed))
                }))
                if let error = state.newPasswordError { Text(error).foregroundColor(.red) }
            }
            Button(state.staffSignInLabel) { send(.signInStaff) }.disabled(!state.staffSignInEnabled)
            if let message = state.message { Text(message).foregroundColor(.red) }
            if state.busy { ProgressView() }
        }
    }

    private func send(_ intent: SignInIntent) {
        guard let model else { return }
        Task { await model.dispatch(intent) }
    }
}
