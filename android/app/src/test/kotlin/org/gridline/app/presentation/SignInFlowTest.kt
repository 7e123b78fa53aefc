// The sign-in view model driven through the real SDK against the real server that
// scripts/test-mobile starts: a code texted and a wrong one refused, the right one signing in,
// the session kept across a restart (a new client on the same data folder) and signed out with
// the server's revocation; a code used up; staff refused, locked out with the wait, and signed
// in; the anonymous account found again by its kept device secret.
package org.gridline.app.presentation

import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.flow.first
import org.gridline.sdk.CaseState
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.OkHttpTransport
import org.gridline.sdk.PullList
import org.gridline.sdk.Role
import org.gridline.sdk.TestServer
import org.gridline.sdk.cameraJpeg
import org.gridline.sdk.completeFields
import org.gridline.sdk.dataFolder
import org.gridline.sdk.jsonNumber
import org.gridline.sdk.jsonString
import org.gridline.sdk.ffi.SyncOutcome
import org.junit.jupiter.api.Test

/** What SharedPreferences or the Keychain keep on a phone, kept in memory for a test. */
class KeptSignIn : SignInMemory {
    var saved: SavedAccount? = null
    var secret: String? = null

    override fun account() = saved

    override fun keepAccount(account: SavedAccount?) {
        saved = account
    }

    override fun deviceSecret() = secret

    override fun keepDeviceSecret(secret: String) {
        this.secret = secret
    }
}

class SignInFlowTest {
    private fun newPhone() = "+86139" + (10_000_000..99_999_999).random()

    private fun wrongCode() = if (TestServer.lastCode() == "000000") "111111" else "000000"

    @Test
    fun `a citizen signs in by code, stays signed in after a restart, and signs out`() = runBlocking<Unit> {
        val folder = dataFolder()
        var reported = ""
        val memory = KeptSignIn()
        val entered = mutableListOf<SavedAccount>()
        GridlineClient.open(TestServer.url, folder, OkHttpTransport()).use { client ->
            val model = SignInViewModel(client, this, memory) { entered += it }
            model.restore()
            assertFalse(model.state.value.signedIn)
            model.onEvent(SignInEvent.PhoneChanged(newPhone()))
            model.requestCode().join()
            assertTrue(model.state.value.codeSent, "error: ${model.state.value.error}")

            model.onEvent(SignInEvent.CodeChanged(wrongCode()))
            model.signIn().join()
            assertEquals(SignInError(SignInErrorKey.WRONG_CODE), model.state.value.error)
            assertFalse(model.state.value.signedIn)

            model.onEvent(SignInEvent.CodeChanged(TestServer.lastCode()))
            model.signIn().join()
            val account = assertNotNull(model.state.value.account, "error: ${model.state.value.error}")
            assertEquals(Role.CITIZEN, account.role)
            assertFalse(account.anonymous)
            assertEquals(account, memory.saved)
            assertEquals(listOf(account), entered, "background sync is scheduled on sign-in")
            assertEquals(listOf(PullList.MY_REPORTS), client.pullLists())
            val draft = client.createDraft(completeFields(TestServer.point, "Manhole cover rattles"))
            client.addPhoto(draft.id, cameraJpeg(seed = 4))
            val item = client.submit(draft.id)
            assertEquals(SyncOutcome.Idle, client.syncNow())
            val delivered = client.outbox(includeDelivered = true).first().single { it.id == item.id }
            reported = jsonString(assertNotNull(delivered.serverResult), "id")
            assertEquals(CaseState.REPORTED, client.cachedCase(PullList.MY_REPORTS, reported)?.state)
        }

        // While the app is closed, the street office registers the report.
        val dispatcher = TestServer.staffToken("dispatcher")
        val (_, case) = TestServer.call("GET", "/api/v1/cases/$reported", dispatcher)
        val version = jsonNumber(String(case), "version")
        val (status, _) = TestServer.call(
            "POST",
            "/api/v1/cases/$reported/actions",
            dispatcher,
            """{"action":"register"}""",
            mapOf("If-Match" to "\"$version\""),
        )
        assertEquals(200, status)

        // The app is started again: the core kept the session, the app kept who it was.
        GridlineClient.open(TestServer.url, folder, OkHttpTransport()).use { client ->
            assertEquals(emptyList(), client.pullLists(), "a new process pulls nothing until told")
            val model = SignInViewModel(client, this, memory)
            model.restore()
            val account = assertNotNull(model.state.value.account)
            assertEquals(Role.CITIZEN, account.role)
            assertEquals(listOf(PullList.MY_REPORTS), client.pullLists())
            assertEquals(SyncOutcome.Idle, client.syncNow())
            assertEquals(
                CaseState.REGISTERED,
                client.cachedCase(PullList.MY_REPORTS, reported)?.state,
                "the kept session pulled the citizen's reports, with the office's step",
            )
            model.signOut().join()
            assertFalse(model.state.value.signedIn)
            assertFalse(model.state.value.signedOutOffline, "the server confirmed the revocation")
            assertNull(memory.saved)
            assertFalse(client.isSignedIn())
            assertEquals(emptyList(), client.pullLists())
        }

        GridlineClient.open(TestServer.url, folder, OkHttpTransport()).use { client ->
            val model = SignInViewModel(client, this, memory)
            model.restore()
            assertFalse(model.state.value.signedIn, "signed out stays signed out")
        }
    }

    @Test
    fun `a code tried five times wrong is used up and a new one must be requested`() = runBlocking<Unit> {
        GridlineClient.open(TestServer.url, dataFolder(), OkHttpTransport()).use { client ->
            val model = SignInViewModel(client, this, KeptSignIn())
            model.onEvent(SignInEvent.PhoneChanged(newPhone()))
            model.requestCode().join()
            val wrong = wrongCode()
            repeat(4) {
                model.onEvent(SignInEvent.CodeChanged(wrong))
                model.signIn().join()
                assertEquals(SignInErrorKey.WRONG_CODE, model.state.value.error?.key, "attempt ${it + 1}")
            }
            model.onEvent(SignInEvent.CodeChanged(wrong))
            model.signIn().join()
            assertEquals(SignInError(SignInErrorKey.CODE_USED_UP), model.state.value.error)
            assertFalse(model.state.value.codeSent, "back to requesting a code")
            assertFalse(client.isSignedIn())
        }
    }

    @Test
    fun `staff are told a wrong password, then that the login is locked and for how long`() = runBlocking<Unit> {
        GridlineClient.open(TestServer.url, dataFolder(), OkHttpTransport()).use { client ->
            val model = SignInViewModel(client, this, KeptSignIn())
            model.onEvent(SignInEvent.ModeChosen(SignInMode.STAFF))
            // A name of its own, so the lock does not reach the accounts other tests use.
            model.onEvent(SignInEvent.LoginChanged("nobody-" + (1000..9999).random()))
            repeat(5) {
                model.onEvent(SignInEvent.PasswordChanged("not the password"))
                model.signIn().join()
                assertEquals(SignInError(SignInErrorKey.WRONG_PASSWORD), model.state.value.error, "attempt ${it + 1}")
            }
            model.onEvent(SignInEvent.PasswordChanged("not the password"))
            model.signIn().join()
            val locked = assertNotNull(model.state.value.error)
            assertEquals(SignInErrorKey.LOCKED, locked.key)
            assertTrue(locked.waitSeconds in 1L..30L, "the server locks a login for 30 s first: ${locked.waitSeconds}")

            val (login, password) = TestServer.staff("inspector")
            model.onEvent(SignInEvent.LoginChanged(login))
            model.onEvent(SignInEvent.PasswordChanged(password))
            model.signIn().join()
            val account = assertNotNull(model.state.value.account, "error: ${model.state.value.error}")
            assertEquals(Role.INSPECTOR, account.role)
            assertEquals(Home.WORK_LIST, homeFor(account.role))
            assertEquals(listOf(PullList.WORK_LIST), client.pullLists())
            model.signOut().join()
            assertFalse(client.isSignedIn())
        }
    }

    @Test
    fun `continuing anonymously keeps the device secret and finds the same account again`() = runBlocking<Unit> {
        val memory = KeptSignIn()
        GridlineClient.open(TestServer.url, dataFolder(), OkHttpTransport()).use { client ->
            val model = SignInViewModel(client, this, memory)
            model.continueAnonymously().join()
            val first = assertNotNull(model.state.value.account, "error: ${model.state.value.error}")
            assertTrue(first.anonymous)
            val secret = assertNotNull(memory.secret)
            model.signOut().join()
            model.continueAnonymously().join()
            assertEquals(first.userId, model.state.value.account?.userId, "the same account by its secret")
            assertEquals(secret, memory.secret)
        }
        // A secret the server does not know (another server, a wiped account): a new account.
        memory.secret = "not-a-known-secret"
        GridlineClient.open(TestServer.url, dataFolder(), OkHttpTransport()).use { client ->
            val model = SignInViewModel(client, this, memory)
            model.continueAnonymously().join()
            val fresh = assertNotNull(model.state.value.account, "error: ${model.state.value.error}")
            assertTrue(fresh.anonymous)
            assertNotEquals("not-a-known-secret", memory.secret)
        }
    }
}
