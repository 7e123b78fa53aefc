// The sign-in screen's view model in plain Kotlin: restores a kept session on start, requests
// codes, signs in (code, anonymously, staff) and out through the SDK in [scope], remembers who
// signed in (and an anonymous account's device secret) in a SignInMemory, and tells sync which
// lists to pull for the role. The Android ViewModel wraps it with its viewModelScope; the tests
// drive it with runBlocking against a real server.
package org.gridline.app.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridline.sdk.Account
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.ffi.GridlineException

/** The sign-in screen over [client]; SDK calls run in [scope]; [onSignedIn] schedules background sync. */
class SignInViewModel(
    private val client: GridlineClient,
    private val scope: CoroutineScope,
    private val memory: SignInMemory,
    private val onSignedIn: (SavedAccount) -> Unit = {},
) {
    private val mutable = MutableStateFlow(SignInState())

    /** What the screen renders. */
    val state: StateFlow<SignInState> = mutable.asStateFlow()

    /** Feed a screen event through the reducer. */
    fun onEvent(event: SignInEvent) = mutable.update { reduce(it, event) }

    /**
     * On start: signed in again as the remembered account when the core still holds its session;
     * a session without a remembered account (or the reverse) is dropped, so the form shows.
     */
    fun restore() {
        val saved = memory.account()
        if (saved != null && client.isSignedIn()) {
            enter(saved)
        } else {
            memory.keepAccount(null)
        }
    }

    /** Text a code to the phone number on the form. */
    fun requestCode(): Job =
        request(SignInMode.CITIZEN) {
            client.requestCode(state.value.phone)
            onEvent(SignInEvent.CodeSent)
        }

    /** Sign in with the form: the texted code (citizen) or login and password (staff). */
    fun signIn(): Job {
        val form = state.value
        return request(form.mode) {
            val account =
                when (form.mode) {
                    SignInMode.CITIZEN -> client.signInWithCode(form.phone, form.code)
                    SignInMode.STAFF -> client.signInStaff(form.login, form.password)
                }
            signedIn(account)
        }
    }

    /** Continue without a phone number: the device's anonymous account, created on first use. */
    fun continueAnonymously(): Job =
        request(SignInMode.CITIZEN) {
            val account =
                try {
                    client.signInAnonymously(memory.deviceSecret())
                } catch (e: GridlineException.Refused) {
                    // The server no longer knows the kept secret: a new anonymous account.
                    if (e.code != "device_unknown") throw e
                    client.signInAnonymously(null)
                }
            account.deviceSecret?.let(memory::keepDeviceSecret)
            signedIn(account)
        }

    /**
     * Sign out: the session and pulled lists are forgotten here at once; the state says whether
     * the server also revoked the session (offline it could not). Reports still in the outbox stay
     * and are sent after the next sign-in.
     */
    fun signOut(): Job =
        request(state.value.mode) {
            val revoked = client.signOut()
            client.setPullLists(emptyList())
            memory.keepAccount(null)
            onEvent(SignInEvent.SignedOut(revoked))
        }

    private fun signedIn(account: Account) {
        val saved = SavedAccount(account.userId, account.role, account.anonymous, account.displayName)
        memory.keepAccount(saved)
        enter(saved)
    }

    private fun enter(saved: SavedAccount) {
        client.setPullLists(pullListsFor(saved.role))
        onEvent(SignInEvent.SignedIn(saved))
        onSignedIn(saved)
    }

    private fun request(mode: SignInMode, block: suspend () -> Unit): Job =
        scope.launch {
            onEvent(SignInEvent.Sent)
            try {
                block()
            } catch (e: GridlineException) {
                onEvent(SignInEvent.Failed(signInError(e, mode)))
            }
        }
}
