// The field apps' presentation glue (FieldScreens.kt) over the real app core and the server
// that scripts/test-mobile started: a citizen's report is registered and dispatched to the
// demo handling unit; its worker finds it on the work list as a case to accept, accepts it on
// the case page and marks it handled with an after-photo (refused first without one); the
// inspector finds it to verify, sees the handler's photo, stands in the case's cell and
// verifies it (refused first without a photo), and the server has it closed. Then the patrol
// timer: recordWhileOnDuty records at the core's interval (waited by a fast clock here) only
// while on duty, every position reaches the server, and the street's coverage counts the cell.
// Every state is read through the Flows and every intent sent through the suspend calls the
// Compose screens use.
package org.gridline.app.presentation

import java.time.LocalDate
import java.time.ZoneId
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.ScriptedPlatform
import org.gridline.sdk.TestServer
import org.gridline.sdk.cameraJpeg
import org.gridline.sdk.completeFields
import org.gridline.sdk.dataFolder
import org.gridline.sdk.jsonNumber
import org.gridline.sdk.jsonString
import org.gridline.sdk.core.AppCore
import org.gridline.sdk.core.CasePageIntent
import org.gridline.sdk.core.Language
import org.gridline.sdk.core.LocationFix
import org.gridline.sdk.core.PatrolIntent
import org.gridline.sdk.core.SignInIntent
import org.gridline.sdk.core.TaskKind
import org.gridline.sdk.core.WorkFilter
import org.gridline.sdk.core.WorkListIntent
import org.gridline.sdk.ffi.SyncOutcome
import org.junit.jupiter.api.Test

class FieldScreensTest {
    private val point = TestServer.point
    private fun platform() = ScriptedPlatform(LocationFix(lat = point.lat, lon = point.lon, accuracyM = 4.0))

    /** A staff member's app core, signed in on the sign-in screen. */
    private suspend fun staffApp(client: GridlineClient, role: String): AppCore {
        val phone = platform()
        val app = client.appCore(phone, phone, phone, phone, Language.EN)
        val signIn = app.openSignIn()
        val (login, password) = TestServer.staff(role)
        signIn.dispatch(SignInIntent.SetStaffMode(true))
        signIn.dispatch(SignInIntent.SetLogin(login))
        signIn.dispatch(SignInIntent.SetPassword(password))
        signIn.dispatch(SignInIntent.SignInStaff)
        assertTrue(signIn.states().first().signedIn)
        signIn.close()
        return app
    }

    /** A workflow step over plain HTTP as the dispatcher, at the case's current version. */
    private fun officeStep(caseId: String, body: String) = TestServer.step(TestServer.staffToken("dispatcher"), caseId, body)

    /** The case's state as the street office reads it over plain HTTP. */
    private fun caseState(caseId: String): String {
        val (status, body) = TestServer.call("GET", "/api/v1/cases/$caseId", TestServer.staffToken("dispatcher"))
        check(status == 200) { String(body) }
        return jsonString(String(body), "state")
    }

    @Test
    fun `a unit handles a case and the inspector verifies it through the field screens`() = runBlocking<Unit> {
        val text = "Leaking hydrant ${System.nanoTime()}"
        val caseId = GridlineClient.open(TestServer.url, dataFolder()).use { citizen ->
            citizen.signInAnonymously()
            val draft = citizen.createDraft(completeFields(point, text))
            citizen.addPhoto(draft.id, cameraJpeg(seed = 31))
            citizen.submit(draft.id)
            assertEquals(SyncOutcome.Idle, citizen.syncNow())
            jsonString(citizen.outbox(includeDelivered = true).first().single().serverResult!!, "id")
        }
        officeStep(caseId, """{"action":"register"}""")
        officeStep(caseId, """{"action":"dispatch","handling_unit":"water"}""")

        GridlineClient.open(TestServer.url, dataFolder()).use { client ->
            val app = staffApp(client, "handler")
            val work = app.openWorkList()
            work.dispatch(WorkListIntent.Refresh)
            val row = work.states().first().rows.single { it.caseId == caseId }
            assertEquals(TaskKind.ACCEPT, row.task)
            assertEquals(text, row.description)

            val page = app.openCasePage(caseId)
            page.dispatch(CasePageIntent.Refresh)
            val offered = page.states().first().actions
            assertTrue(offered.any { it.action == "accept" } && offered.any { it.action == "send_back" && it.needsReason }, "$offered")
            page.dispatch(CasePageIntent.Take("accept"))
            assertNull(page.states().first().error)
            page.dispatch(CasePageIntent.Take("mark_handled"))
            assertEquals("Take a photo on site first", page.states().first().photoError)
            page.dispatch(CasePageIntent.AddPhoto(cameraJpeg(seed = 32)))
            assertEquals(1u, page.states().first().stepPhotos)
            page.dispatch(CasePageIntent.Take("mark_handled"))
            assertNull(page.states().first().error)
            assertEquals("handled", caseState(caseId))
            page.close()
            work.close()
            app.close()
        }

        GridlineClient.open(TestServer.url, dataFolder()).use { client ->
            val app = staffApp(client, "inspector")
            val work = app.openWorkList()
            work.dispatch(WorkListIntent.Filter(WorkFilter.VERIFY))
            work.dispatch(WorkListIntent.Refresh)
            val list = work.states().first()
            val row = list.rows.single { it.caseId == caseId }
            assertEquals(TaskKind.VERIFY, row.task)
            assertTrue(list.rows.all { it.task == TaskKind.VERIFY }, "the filter holds")

            val page = app.openCasePage(caseId)
            page.dispatch(CasePageIntent.Refresh)
            val shown = page.states().first()
            assertEquals(1, shown.beforePhotos.size, "the report's photo")
            assertEquals(1, shown.afterPhotos.size, "the unit's after-photo")
            assertTrue(
                (shown.beforePhotos + shown.afterPhotos).all { java.io.File(it.thumbnailPath ?: "").isFile },
                "thumbnails fetched on opening",
            )
            page.dispatch(CasePageIntent.OpenPhoto(shown.afterPhotos.single().id))
            assertNotNull(page.states().first().viewer?.path, "the after-photo full size")
            page.dispatch(CasePageIntent.ClosePhoto)
            assertEquals("You are in the case's cell", shown.onSiteText)
            assertEquals(listOf("verify_pass", "verify_fail"), shown.actions.map { it.action })
            page.dispatch(CasePageIntent.Take("verify_pass"))
            assertEquals("Take a photo on site first", page.states().first().photoError)
            page.dispatch(CasePageIntent.AddPhoto(cameraJpeg(seed = 33)))
            page.dispatch(CasePageIntent.Take("verify_pass"))
            assertNull(page.states().first().error)
            assertEquals("Closed", page.states().first().stateText)
            page.close()
            work.close()
            app.close()
        }
        assertEquals("closed", caseState(caseId))
    }

    @Test
    fun `the patrol timer records at the core's interval only while on duty, and the street sees the cell`() = runBlocking<Unit> {
        GridlineClient.open(TestServer.url, dataFolder()).use { client ->
            val app = staffApp(client, "inspector")
            val patrol = app.openPatrol()
            val asked = mutableListOf<Long>()
            val timer = launch { patrol.recordWhileOnDuty { millis -> asked += millis; delay(5) } }
            delay(50)
            assertTrue(asked.isEmpty(), "off duty: the timer waits for nothing")
            patrol.dispatch(PatrolIntent.StartDuty)
            val before = patrol.states().first().recorded
            withTimeout(20_000) { patrol.states().first { it.recorded >= before + 3u } }
            patrol.dispatch(PatrolIntent.EndDuty)
            val ended = patrol.states().first()
            assertEquals(false, ended.onDuty)
            assertEquals(0u, ended.waiting, "every position uploaded")
            assertEquals(ended.intervalSecs.toLong() * 1000, asked.first(), "the core's interval")
            delay(100)
            val after = patrol.states().first().recorded
            delay(100)
            assertEquals(after, patrol.states().first().recorded, "nothing recorded off duty")
            timer.cancel()
            patrol.close()
            app.close()
        }
        // The city's day (the demo calendar is Asia/Shanghai's) of the inspector's patrol.
        val day = LocalDate.now(ZoneId.of("Asia/Shanghai"))
        val (status, body) = TestServer.call("GET", "/api/v1/patrol/coverage?day=$day", TestServer.staffToken("dispatcher"))
        assertEquals(200, status, String(body))
        assertTrue(jsonNumber(String(body), "cells_visited") >= 1, String(body))
    }
}
