// The sign-in screen as plain Kotlin: a citizen signs in with a phone number and a texted
// one-time code, or continues anonymously; staff sign in with a login and password. Its state,
// events, reducer, the input checks, and the server's refusals turned into messages by string
// key (the same names in Android's strings.xml and iOS's Localizable.strings).
//
// The core keeps the session (tokens in the device store) across restarts, but not who signed
// in: the app keeps the role next to it (SignInMemory) to choose its screens on the next start.
package org.gridline.app.presentation

import org.gridline.sdk.PullList
import org.gridline.sdk.Role
import org.gridline.sdk.ffi.GridlineException

/** Which form the sign-in screen shows. */
enum class SignInMode { CITIZEN, STAFF }

/** Where the app goes once signed in. */
enum class Home { REPORTS, WORK_LIST, STAFF_ONLY }

/** A refused or failed sign-in, by string key, with the seconds to wait where the server gave them. */
enum class SignInErrorKey(val resourceName: String) {
    INVALID_PHONE("signin_error_invalid_phone"),
    WRONG_CODE("signin_error_wrong_code"),
    CODE_EXPIRED("signin_error_code_expired"),
    CODE_USED_UP("signin_error_code_used_up"),
    TOO_MANY_ATTEMPTS("signin_error_too_many"),
    WRONG_PASSWORD("signin_error_wrong_password"),
    LOCKED("signin_error_locked"),
    DEVICE_UNKNOWN("signin_error_device_unknown"),
    OFFLINE("signin_error_offline"),
    OTHER("signin_error_other"),
}

/** A sign-in message: its key and, for waits, the seconds (an unknown wait reads as a minute). */
data class SignInError(val key: SignInErrorKey, val waitSeconds: Long? = null, val code: String? = null)

/** What the app remembers of who signed in, next to the core's session. */
data class SavedAccount(val userId: String, val role: Role, val anonymous: Boolean, val displayName: String)

/**
 * The app's own memory of the sign-in (Android: private SharedPreferences; iOS: the Keychain and
 * UserDefaults): who signed in, and the device secret of the anonymous account, which signs in
 * to the same account again after the session is gone.
 */
interface SignInMemory {
    fun account(): SavedAccount?

    fun keepAccount(account: SavedAccount?)

    fun deviceSecret(): String?

    fun keepDeviceSecret(secret: String)
}

/** The sign-in screen. */
data class SignInState(
    val mode: SignInMode = SignInMode.CITIZEN,
    val phone: String = "",
    val code: String = "",
    /** A code was texted to [phone]; the code field is shown. */
    val codeSent: Boolean = false,
    val login: String = "",
    val password: String = "",
    /** A request is on its way: buttons are disabled. */
    val busy: Boolean = false,
    val error: SignInError? = null,
    /** Who is signed in; null on the form. */
    val account: SavedAccount? = null,
    /** A sign-out could not reach the server: the session is gone here but not revoked there. */
    val signedOutOffline: Boolean = false,
) {
    val signedIn: Boolean get() = account != null

    /** A phone number worth sending: 11 digits (mainland) or + and 8 to 15 digits. */
    val phoneValid: Boolean get() = PHONE.matches(phone.filterNot { it == ' ' || it == '-' })

    val codeValid: Boolean get() = CODE.matches(code)

    val canRequestCode: Boolean get() = !busy && phoneValid

    val canSignIn: Boolean
        get() =
            !busy &&
                when (mode) {
                    SignInMode.CITIZEN -> codeSent && phoneValid && codeValid
                    SignInMode.STAFF -> login.isNotBlank() && password.isNotEmpty()
                }

    private companion object {
        val PHONE = Regex("""^(\d{11}|\+\d{8,15})$""")
        val CODE = Regex("""^\d{6}$""")
    }
}

/** What the sign-in screen and its view model report. */
sealed class SignInEvent {
    data class ModeChosen(val mode: SignInMode) : SignInEvent()

    data class PhoneChanged(val phone: String) : SignInEvent()

    data class CodeChanged(val code: String) : SignInEvent()

    data class LoginChanged(val login: String) : SignInEvent()

    data class PasswordChanged(val password: String) : SignInEvent()

    /** A request (code, sign-in, sign-out) went out. */
    object Sent : SignInEvent()

    object CodeSent : SignInEvent()

    /** Back from the code field to change the number. */
    object ChangePhone : SignInEvent()

    data class SignedIn(val account: SavedAccount) : SignInEvent()

    data class Failed(val error: SignInError) : SignInEvent()

    /** Signed out; [revoked] is whether the server confirmed it. */
    data class SignedOut(val revoked: Boolean) : SignInEvent()
}

/** The next state of the sign-in screen. Typing clears the last error; the password never outlives a sign-in. */
fun reduce(state: SignInState, event: SignInEvent): SignInState =
    when (event) {
        is SignInEvent.ModeChosen -> state.copy(mode = event.mode, error = null)
        is SignInEvent.PhoneChanged ->
            state.copy(phone = event.phone.trim(), codeSent = state.codeSent && event.phone.trim() == state.phone, error = null)
        is SignInEvent.CodeChanged -> state.copy(code = event.code.filter(Char::isDigit).take(6), error = null)
        is SignInEvent.LoginChanged -> state.copy(login = event.login.trim(), error = null)
        is SignInEvent.PasswordChanged -> state.copy(password = event.password, error = null)
        SignInEvent.Sent -> state.copy(busy = true, error = null, signedOutOffline = false)
        SignInEvent.CodeSent -> state.copy(busy = false, codeSent = true, code = "")
        SignInEvent.ChangePhone -> state.copy(codeSent = false, code = "", error = null)
        is SignInEvent.SignedIn -> SignInState(mode = state.mode, account = event.account)
        is SignInEvent.Failed ->
            state.copy(
                busy = false,
                error = event.error,
                // A used-up or expired code cannot be tried again: back to requesting one.
                codeSent = state.codeSent && event.error.key !in setOf(SignInErrorKey.CODE_USED_UP, SignInErrorKey.CODE_EXPIRED),
                code = if (event.error.key == SignInErrorKey.WRONG_CODE) "" else state.code,
                password = "",
            )
        is SignInEvent.SignedOut -> SignInState(mode = state.mode, signedOutOffline = !event.revoked)
    }

/** A wait the server did not state is shown as a minute rather than as nothing. */
const val UNSTATED_WAIT_SECONDS = 60L

/**
 * The message for a failed sign-in step in [mode]. Built from the server's stable code and
 * Retry-After only: the SDK never passes the server's free text on (it may quote what was sent).
 */
fun signInError(error: GridlineException, mode: SignInMode): SignInError =
    when (error) {
        is GridlineException.TooManyAttempts ->
            when (error.code) {
                "otp_attempts_exhausted" -> SignInError(SignInErrorKey.CODE_USED_UP)
                else -> {
                    val wait = error.retryAfterSecs?.toLong() ?: UNSTATED_WAIT_SECONDS
                    val key = if (mode == SignInMode.STAFF) SignInErrorKey.LOCKED else SignInErrorKey.TOO_MANY_ATTEMPTS
                    SignInError(key, waitSeconds = wait)
                }
            }
        is GridlineException.Refused ->
            when (error.code) {
                "invalid_phone" -> SignInError(SignInErrorKey.INVALID_PHONE)
                "otp_wrong", "otp_invalid" -> SignInError(SignInErrorKey.WRONG_CODE)
                "otp_expired" -> SignInError(SignInErrorKey.CODE_EXPIRED)
                "invalid_credentials" -> SignInError(SignInErrorKey.WRONG_PASSWORD)
                "device_unknown" -> SignInError(SignInErrorKey.DEVICE_UNKNOWN)
                else -> SignInError(SignInErrorKey.OTHER, code = error.code)
            }
        is GridlineException.Network -> SignInError(SignInErrorKey.OFFLINE)
        else -> SignInError(SignInErrorKey.OTHER, code = error.javaClass.simpleName)
    }

/** The lists sync keeps on the phone for [role]: a citizen's reports, an inspector's work list. */
fun pullListsFor(role: Role): List<PullList> =
    when (role) {
        Role.CITIZEN -> listOf(PullList.MY_REPORTS)
        Role.INSPECTOR -> listOf(PullList.WORK_LIST)
        else -> emptyList()
    }

/** The first screen after signing in as [role]; other staff work on the web and see a notice. */
fun homeFor(role: Role): Home =
    when (role) {
        Role.CITIZEN -> Home.REPORTS
        Role.INSPECTOR -> Home.WORK_LIST
        else -> Home.STAFF_ONLY
    }
