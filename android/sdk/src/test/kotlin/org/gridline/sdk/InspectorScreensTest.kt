// The field apps' view models through the generated Kotlin bindings, against the real server
// that scripts/test-mobile started: the same models the Rust journey tests drive
// (server/tests/it/device_inspector_journey.rs), here to prove they cross the FFI whole. A
// citizen reports at the demo inspector's cell; the inspector signs in with login and password
// on the sign-in screen, finds the report on the work list (to confirm, once the street office
// asked), opens the case page, reads the office's note, sees the steps core allows with their
// requirements and confirms it on site (核实) with a camera photo at the phone's fix; then goes
// on patrol, records the track (a background update right after adds nothing), ends the patrol,
// and files a report from patrol, signed, which the street office registers.
package org.gridline.sdk

import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.gridline.sdk.core.CasePageIntent
import org.gridline.sdk.core.CasePageState
import org.gridline.sdk.core.Language
import org.gridline.sdk.core.LocationFix
import org.gridline.sdk.core.NewReportIntent
import org.gridline.sdk.core.PatrolIntent
import org.gridline.sdk.core.PatrolState
import org.gridline.sdk.core.SignInIntent
import org.gridline.sdk.core.TaskKind
import org.gridline.sdk.core.WorkFilter
import org.gridline.sdk.core.WorkListIntent
import org.gridline.sdk.core.WorkListState
import org.gridline.sdk.core.WorkSort
import org.junit.jupiter.api.Test

class InspectorScreensTest {
    private val point = TestServer.point
    private fun platform() = ScriptedPlatform(LocationFix(lat = point.lat, lon = point.lon, accuracyM = 5.0))

    @Test
    fun `an inspector confirms a report from the work list and patrols`() = runBlocking<Unit> {
        val text = "Broken bench ${System.nanoTime()}"
        val citizen = platform()
        GridlineClient.open(TestServer.url, dataFolder()).use { client ->
            val app = client.appCore(citizen, citizen, citizen, citizen, Language.EN)
            app.signInScreen().send(SignInIntent.ContinueAnonymously)
            val report = app.newReportScreen(null)
            report.send(NewReportIntent.AddPhoto(cameraJpeg(seed = 21)))
            report.send(NewReportIntent.UseMyLocation)
            report.send(NewReportIntent.ChooseCategory("E0101"))
            report.send(NewReportIntent.SetDescription(text))
            report.send(NewReportIntent.Send)
            if (report.state().nearby.isNotEmpty()) report.send(NewReportIntent.SendAnyway)
            assertEquals("Sent", report.state().message)
            app.close()
        }
        // The street office asks the cell's inspectors to confirm it (核实派遣).
        val dispatcher = TestServer.staffToken("dispatcher")
        val (_, found) = TestServer.call("GET", "/api/v1/cases?q=" + java.net.URLEncoder.encode(text, "UTF-8"), dispatcher)
        val reported = jsonString(String(found), "id")
        TestServer.step(dispatcher, reported, """{"action":"request_confirm","note":"Is the bench broken or only loose?"}""")

        val phone = platform()
        GridlineClient.open(TestServer.url, dataFolder()).use { client ->
            val app = client.appCore(phone, phone, phone, phone, Language.EN)
            val signIn = app.signInScreen()
            val (login, password) = TestServer.staff("inspector")
            signIn.send(SignInIntent.SetStaffMode(true))
            signIn.send(SignInIntent.SetLogin(login))
            signIn.send(SignInIntent.SetPassword("not the password"))
            signIn.send(SignInIntent.SignInStaff)
            assertEquals("Wrong login or password", signIn.state().passwordError)
            signIn.send(SignInIntent.SetPassword(password))
            signIn.send(SignInIntent.SignInStaff)
            assertTrue(signIn.state().signedIn)
            assertEquals("inspector", app.state().role)

            val work = app.workListScreen()
            val heard = Heard<WorkListState>()
            val caseId = work.subscribe(heard).use {
                work.send(WorkListIntent.Refresh)
                work.send(WorkListIntent.Filter(WorkFilter.CONFIRM))
                work.send(WorkListIntent.SortBy(WorkSort.DISTANCE))
                val row = work.state().rows.single { it.description == text }
                assertEquals(TaskKind.CONFIRM, row.task)
                assertEquals("To confirm", row.taskText)
                assertTrue(heard.states.any { (it as WorkListState).busy }, "busy while refreshing")
                row.caseId
            }

            val page = app.caseScreen(caseId)
            page.subscribe(Heard<CasePageState>()).use {
                page.send(CasePageIntent.Refresh)
                val actions = page.state().actions
                assertEquals(listOf("confirm", "deny"), actions.map { it.action })
                assertEquals("Needs a photo, your position on site", actions.first().requirementText)
                // A case handled by one unit alone: no helper parts and no lead line to draw.
                assertEquals("Helper units", page.state().partsLabel)
                assertTrue(page.state().parts.isEmpty())
                assertNull(page.state().leadUnitText)
                val asked = page.state().timeline.last()
                assertEquals(listOf("Asked to confirm on site", "Is the bench broken or only loose?"), listOf(asked.text, asked.note))
                page.send(CasePageIntent.AddPhoto(cameraJpeg(seed = 22)))
                page.send(CasePageIntent.Take("confirm"))
                assertNull(page.state().error)
                assertEquals("Confirmed on site", page.state().timeline.last().text)
            }
            work.send(WorkListIntent.Refresh)
            assertTrue(work.state().rows.none { it.caseId == caseId }, "answered: nothing left to confirm")

            val patrol = app.patrolScreen()
            patrol.subscribe(Heard<PatrolState>()).use {
                patrol.send(PatrolIntent.StartDuty)
                patrol.send(PatrolIntent.Record)
                assertTrue(patrol.state().onDuty)
                assertEquals(0u, patrol.state().waiting, "uploaded at once online")
                // The background service's updates: the core keeps one per interval, so an update
                // right after the last kept position adds nothing.
                val kept = patrol.state().recorded
                patrol.send(PatrolIntent.Moved(LocationFix(lat = point.lat, lon = point.lon, accuracyM = 9.0), System.currentTimeMillis()))
                assertEquals(kept, patrol.state().recorded)
                assertEquals("Recording your patrol track", patrol.state().backgroundTitle)
                patrol.send(PatrolIntent.EndDuty)
                assertEquals("Start patrol", patrol.state().toggleLabel)
            }

            // A report from patrol: never anonymous; the office sees it came from an inspector
            // and registers it at once.
            val found = "Dumped sofa ${System.nanoTime()}"
            val patrolReport = app.newReportScreen(null)
            patrolReport.send(NewReportIntent.AddPhoto(cameraJpeg(seed = 23)))
            patrolReport.send(NewReportIntent.UseMyLocation)
            patrolReport.send(NewReportIntent.ChooseCategory("E0101"))
            patrolReport.send(NewReportIntent.SetDescription(found))
            assertFalse(patrolReport.state().anonymousVisible, "an inspector's report is signed")
            patrolReport.send(NewReportIntent.Send)
            if (patrolReport.state().nearby.isNotEmpty()) patrolReport.send(NewReportIntent.SendAnyway)
            assertEquals("Sent", patrolReport.state().message)
            val (_, listed) = TestServer.call("GET", "/api/v1/cases?q=" + java.net.URLEncoder.encode(found, "UTF-8"), dispatcher)
            val filed = jsonString(String(listed), "id")
            val (_, filedCase) = TestServer.call("GET", "/api/v1/cases/$filed", dispatcher)
            assertEquals("inspector", jsonString(String(filedCase), "channel"))
            TestServer.step(dispatcher, filed, """{"action":"register"}""")
            patrolReport.close()
            app.close()
        }
    }
}
