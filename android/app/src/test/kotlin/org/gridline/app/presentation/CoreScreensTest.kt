// The Kotlin glue the Compose screens use (CoreScreens.kt), driven on the JVM against the real
// server that scripts/test-mobile started: screen states arrive as Flows (the current state
// first, then each change), intents are suspend calls, and what the shell must not keep a copy
// of comes from the core: the words of a refusal, the form's reset after a send and on an
// account switch, the unsent mark in "my reports", and the outbox's controls.
package org.gridline.app.presentation

import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.ScriptedPlatform
import org.gridline.sdk.TestServer
import org.gridline.sdk.cameraJpeg
import org.gridline.sdk.dataFolder
import org.gridline.sdk.core.AnswerInput
import org.gridline.sdk.core.AppIntent
import org.gridline.sdk.core.Language
import org.gridline.sdk.core.LocationFix
import org.gridline.sdk.core.MyReportsIntent
import org.gridline.sdk.core.NewReportIntent
import org.gridline.sdk.core.OutboxIntent
import org.gridline.sdk.core.SignInIntent
import org.junit.jupiter.api.Test

class CoreScreensTest {
    private val point = TestServer.point
    private fun platform() = ScriptedPlatform(LocationFix(lat = point.lat, lon = point.lon, accuracyM = 8.0))

    /** The first state of [flow] that [matches], or a failure after a few seconds. */
    private suspend fun <S> Flow<S>.awaitState(matches: (S) -> Boolean): S = withTimeout(10_000) { first(matches) }

    @Test
    fun `a citizen signs in, files C0101 and finds it, all through the flows`() = runBlocking<Unit> {
        val platform = platform()
        GridlineClient.open(TestServer.url, dataFolder()).use { client ->
            val app = client.appCore(platform, platform, platform, platform, Language.EN)
            assertFalse(app.states().first().signedIn, "the current state comes first")

            val signIn = app.openSignIn()
            signIn.dispatch(SignInIntent.SetPhone("13700137011"))
            signIn.dispatch(SignInIntent.RequestCode)
            signIn.states().awaitState { it.codeVisible }
            val code = TestServer.lastCode()
            signIn.dispatch(SignInIntent.SetCode(if (code == "000000") "111111" else "000000"))
            signIn.dispatch(SignInIntent.Verify)
            // The refusal in words, straight from the core: the shell shows codeError as it is.
            val refused = signIn.states().awaitState { it.codeError != null }
            assertEquals("Wrong or expired code: check it, or request a new one", refused.codeError)
            signIn.dispatch(SignInIntent.SetCode(code))
            signIn.dispatch(SignInIntent.Verify)
            signIn.states().awaitState { it.signedIn }
            assertEquals("citizen", app.states().awaitState { it.signedIn }.role)
            signIn.close()

            val report = app.openNewReport()
            report.dispatch(NewReportIntent.AddPhoto(cameraJpeg(seed = 21, width = 320, height = 240)))
            report.dispatch(NewReportIntent.UseMyLocation)
            report.dispatch(NewReportIntent.ChooseCategory("C0101"))
            report.dispatch(NewReportIntent.SetDescription("Manhole cover cracked"))
            report.dispatch(NewReportIntent.Send)
            val question = report.states().awaitState { state -> state.questions.any { it.error != null } }.questions.single()
            assertTrue(question.required)
            report.dispatch(NewReportIntent.Answer(question.code, AnswerInput.One(question.options.first().key)))
            report.dispatch(NewReportIntent.Send)
            // Another test may have filed C0101 here: then the duplicate step comes first.
            val asked = report.states().awaitState { it.message == "Sent" || it.nearby.isNotEmpty() }
            if (asked.nearby.isNotEmpty()) report.dispatch(NewReportIntent.SendAnyway)
            // The form starts over in the core: no draft, no photos, no text, no category.
            val sent = report.states().awaitState { it.message == "Sent" }
            assertNull(sent.draftId)
            assertTrue(sent.photos.isEmpty())
            assertEquals("", sent.description)
            assertNull(sent.category)
            report.close()

            val reports = app.openMyReports()
            val row = reports.states().awaitState { it.rows.isNotEmpty() }.rows.single()
            assertEquals("Water supply manhole cover", row.title)
            assertFalse(row.unsent)
            reports.dispatch(MyReportsIntent.Open(row.id))
            val detail = assertNotNull(reports.states().awaitState { it.detail != null }.detail)
            assertEquals(row.trackingNumber, detail.trackingNumber)
            assertFalse(detail.rateVisible, "not closed yet")
            reports.close()
            app.dispatch(AppIntent.SignOut)
            assertFalse(app.states().awaitState { !it.signedIn }.signedIn)
            app.close()
        }
    }

    @Test
    fun `the form and the lists start over on an account switch, and a refused send leaves words`() = runBlocking<Unit> {
        val platform = platform()
        GridlineClient.open(TestServer.url, dataFolder()).use { client ->
            val app = client.appCore(platform, platform, platform, platform, Language.EN)
            app.openSignIn().dispatch(SignInIntent.ContinueAnonymously)
            app.states().awaitState { it.signedIn }

            val report = app.openNewReport()
            report.dispatch(NewReportIntent.SetDescription("half written"))
            report.dispatch(NewReportIntent.Send)
            val refused = report.states().awaitState { it.categoryError != null || it.positionError != null }
            assertNotNull(refused.draftId, "a refused send keeps the draft")
            val outbox = app.openOutbox()
            val draft = outbox.states().awaitState { it.drafts.isNotEmpty() }.drafts.single()
            assertEquals(draft.id, refused.draftId)

            // Another account on this phone: the open form starts over in the core, so the
            // screen (which keeps no copy) shows an empty form, not the previous one's draft.
            app.dispatch(AppIntent.SignOut)
            app.states().awaitState { !it.signedIn }
            app.openSignIn().dispatch(SignInIntent.ContinueAnonymously)
            app.states().awaitState { it.signedIn }
            val fresh = report.states().awaitState { it.draftId == null }
            assertEquals("", fresh.description)
            assertNull(fresh.categoryError, "no errors shown on a fresh form")
            // The outbox's refusal, in words.
            outbox.dispatch(OutboxIntent.Retry("no-such-item"))
            assertEquals("This item no longer exists", outbox.states().awaitState { it.message != null }.message)
            assertTrue(app.syncInBackground())
            report.close()
            outbox.close()
            app.close()
        }
    }
}
