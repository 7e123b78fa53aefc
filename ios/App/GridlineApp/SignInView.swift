// Sign-in: a resident with a phone number and a texted code, or anonymously, drawn from the
// core's SignInState (labels, enabled buttons, errors in words, attempts left, the server's
// wait); staff with a login and password. The phone and code are checked by the core, not here.
import GridlineKit
import SwiftUI

struct SignInView: View {
    let core: AppCore
    let client: GridlineClient
    @State private var staff = false

    var body: some View {
        Form {
            Picker("", selection: $staff) {
                Text("signin_citizen").tag(false)
                Text("signin_staff").tag(true)
            }
            .pickerStyle(.segmented)
            if staff {
                StaffSignIn(core: core, client: client)
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

/// Staff sign in with a password; the refusal is shown as the SDK words it.
private struct StaffSignIn: View {
    let core: AppCore
    let client: GridlineClient
    @State private var login = ""
    @State private var password = ""
    @State private var refusal: String?

    var body: some View {
        Section {
            TextField("signin_login", text: $login).textInputAutocapitalization(.never)
            SecureField("signin_password", text: $password)
            Button("signin_submit") {
                Task {
                    do {
                        _ = try await client.signInStaff(login: login, password: password)
                        refusal = nil
                        await core.dispatch(.syncNow)
                    } catch {
                        refusal = error.localizedDescription
                    }
                }
            }
            if let refusal { Text(refusal).foregroundColor(.red) }
        }
    }
}
