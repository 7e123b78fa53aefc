// The sign-in form's reducer and checks, and every server refusal turned into its message,
// without a server (the SDK's exceptions built as the SDK throws them).
package org.gridline.app.presentation

import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue
import org.gridline.sdk.PullList
import org.gridline.sdk.Role
import org.gridline.sdk.ffi.GridlineException
import org.junit.jupiter.api.Test

class SignInTest {
    private fun refused(code: String, status: Int = 401) = GridlineException.Refused(status.toUShort(), code, null)

    private fun tooMany(code: String, wait: Int?) = GridlineException.TooManyAttempts(code, wait?.toUInt())

    private val citizen = SavedAccount("u1", Role.CITIZEN, anonymous = false, displayName = "")

    @Test
    fun `a phone number is checked before a code can be requested`() {
        var s = SignInState()
        assertFalse(s.canRequestCode)
        for (bad in listOf("1380013800", "+86 abc", "138001380001", "+1234567")) {
            assertFalse(reduce(s, SignInEvent.PhoneChanged(bad)).phoneValid, bad)
        }
        for (good in listOf("13800138000", "+8613800138000", " 138-0013-8000 ")) {
            assertTrue(reduce(s, SignInEvent.PhoneChanged(good)).canRequestCode, good)
        }
        s = reduce(s, SignInEvent.PhoneChanged("13800138000"))
        s = reduce(s, SignInEvent.Sent)
        assertTrue(s.busy)
        assertFalse(s.canRequestCode, "not twice while the first is on its way")
        s = reduce(s, SignInEvent.CodeSent)
        assertTrue(s.codeSent)
        assertFalse(s.busy)
        assertFalse(s.canSignIn)
        s = reduce(s, SignInEvent.CodeChanged("12a34-56 7"))
        assertEquals("123456", s.code, "digits only, six at most")
        assertTrue(s.canSignIn)
        // Another number needs its own code.
        assertFalse(reduce(s, SignInEvent.PhoneChanged("13900139000")).codeSent)
        assertTrue(reduce(s, SignInEvent.PhoneChanged("13800138000")).codeSent)
        val back = reduce(s, SignInEvent.ChangePhone)
        assertFalse(back.codeSent)
        assertEquals("", back.code)
    }

    @Test
    fun `staff need a login and a password, and a refusal clears the password`() {
        var s = reduce(SignInState(), SignInEvent.ModeChosen(SignInMode.STAFF))
        assertFalse(s.canSignIn)
        s = reduce(s, SignInEvent.LoginChanged(" inspector1 "))
        assertEquals("inspector1", s.login)
        assertFalse(s.canSignIn)
        s = reduce(s, SignInEvent.PasswordChanged("secret"))
        assertTrue(s.canSignIn)
        s = reduce(reduce(s, SignInEvent.Sent), SignInEvent.Failed(SignInError(SignInErrorKey.WRONG_PASSWORD)))
        assertEquals(SignInErrorKey.WRONG_PASSWORD, s.error?.key)
        assertEquals("", s.password)
        assertEquals("inspector1", s.login)
        assertFalse(s.busy)
        assertNull(reduce(s, SignInEvent.PasswordChanged("x")).error, "typing clears the message")
    }

    @Test
    fun `a wrong code clears the code, a used-up or expired one goes back to requesting`() {
        val waiting = SignInState(phone = "13800138000", code = "123456", codeSent = true)
        val wrong = reduce(waiting, SignInEvent.Failed(SignInError(SignInErrorKey.WRONG_CODE)))
        assertTrue(wrong.codeSent)
        assertEquals("", wrong.code)
        for (key in listOf(SignInErrorKey.CODE_USED_UP, SignInErrorKey.CODE_EXPIRED)) {
            assertFalse(reduce(waiting, SignInEvent.Failed(SignInError(key))).codeSent, key.name)
        }
        val offline = reduce(waiting, SignInEvent.Failed(SignInError(SignInErrorKey.OFFLINE)))
        assertTrue(offline.codeSent)
        assertEquals("123456", offline.code, "nothing was wrong with the code")
    }

    @Test
    fun `signing in forgets the form, signing out says whether the server revoked the session`() {
        val form = SignInState(mode = SignInMode.STAFF, login = "a", password = "b", busy = true)
        val signedIn = reduce(form, SignInEvent.SignedIn(citizen))
        assertEquals(SignInState(mode = SignInMode.STAFF, account = citizen), signedIn)
        assertTrue(signedIn.signedIn)
        val offline = reduce(signedIn, SignInEvent.SignedOut(revoked = false))
        assertFalse(offline.signedIn)
        assertTrue(offline.signedOutOffline)
        assertFalse(reduce(signedIn, SignInEvent.SignedOut(revoked = true)).signedOutOffline)
        assertFalse(reduce(offline, SignInEvent.Sent).signedOutOffline)
    }

    @Test
    fun `every refusal the sign-in endpoints give has its message`() {
        val citizenMode = SignInMode.CITIZEN
        assertEquals(SignInError(SignInErrorKey.INVALID_PHONE), signInError(refused("invalid_phone", 422), citizenMode))
        assertEquals(SignInError(SignInErrorKey.WRONG_CODE), signInError(refused("otp_wrong"), citizenMode))
        assertEquals(SignInError(SignInErrorKey.CODE_EXPIRED), signInError(refused("otp_expired"), citizenMode))
        assertEquals(SignInError(SignInErrorKey.CODE_USED_UP), signInError(tooMany("otp_attempts_exhausted", null), citizenMode))
        assertEquals(SignInError(SignInErrorKey.TOO_MANY_ATTEMPTS, 300), signInError(tooMany("rate_limited", 300), citizenMode))
        assertEquals(
            SignInError(SignInErrorKey.TOO_MANY_ATTEMPTS, UNSTATED_WAIT_SECONDS),
            signInError(tooMany("rate_limited", null), citizenMode),
        )
        assertEquals(SignInError(SignInErrorKey.WRONG_PASSWORD), signInError(refused("invalid_credentials"), SignInMode.STAFF))
        assertEquals(SignInError(SignInErrorKey.LOCKED, 30), signInError(tooMany("rate_limited", 30), SignInMode.STAFF))
        assertEquals(SignInError(SignInErrorKey.DEVICE_UNKNOWN), signInError(refused("device_unknown"), citizenMode))
        assertEquals(SignInError(SignInErrorKey.OFFLINE), signInError(GridlineException.Network("timeout"), citizenMode))
        assertEquals(SignInError(SignInErrorKey.OTHER, code = "forbidden"), signInError(refused("forbidden", 403), citizenMode))
        assertEquals(SignInError(SignInErrorKey.OTHER, code = "Storage"), signInError(GridlineException.Storage("disk full"), citizenMode))
        assertTrue(SignInErrorKey.entries.map { it.resourceName }.all { it.startsWith("signin_error_") })
    }

    @Test
    fun `each role pulls its own list and opens its own screen`() {
        assertEquals(listOf(PullList.MY_REPORTS), pullListsFor(Role.CITIZEN))
        assertEquals(listOf(PullList.WORK_LIST), pullListsFor(Role.INSPECTOR))
        assertEquals(Home.REPORTS, homeFor(Role.CITIZEN))
        assertEquals(Home.WORK_LIST, homeFor(Role.INSPECTOR))
        for (role in Role.entries - setOf(Role.CITIZEN, Role.INSPECTOR)) {
            assertEquals(emptyList(), pullListsFor(role), role.name)
            assertEquals(Home.STAFF_ONLY, homeFor(role), role.name)
        }
    }
}
