// The new-report view model driven through the real SDK against the real server that
// scripts/test-mobile starts: form → draft → photo → submit → sync → the screen shows it sent,
// and the case's timeline and the banner read from what sync pulled. Uses the SDK tests'
// fixtures (TestServer, cameraJpeg, dataFolder).
package org.gridline.app.presentation

import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.OkHttpTransport
import org.gridline.sdk.PullList
import org.gridline.sdk.TestServer
import org.gridline.sdk.cameraJpeg
import org.gridline.sdk.dataFolder
import org.gridline.sdk.ffi.SyncOutcome
import org.junit.jupiter.api.Test

class NewReportFlowTest {
    @Test
    fun `a report filed on the form is queued, synced and shown as sent, then on its timeline`() = runBlocking<Unit> {
        GridlineClient.open(TestServer.url, dataFolder(), OkHttpTransport()).use { client ->
            client.signInAnonymously()
            client.setPullLists(listOf(PullList.MY_REPORTS))
            var scheduled = 0
            val model = NewReportViewModel(client, this) { scheduled += 1 }
            model.load().join()
            val categories = model.state.value.categories
            val rubbish = assertNotNull(categories.firstOrNull { it.code == "E0101" }, "the demo taxonomy has E0101")
            model.onEvent(NewReportEvent.QueryChanged(rubbish.nameZh))
            assertEquals(rubbish, model.state.value.matches.first())
            model.onEvent(NewReportEvent.CategoryChosen(rubbish.code))
            model.onEvent(NewReportEvent.AnonymousToggled(true))
            model.onEvent(NewReportEvent.DescriptionChanged("Bin overflowing by the bus stop"))
            model.onEvent(NewReportEvent.PermissionAnswered(true))
            model.onEvent(NewReportEvent.PositionFixed(TestServer.point))
            model.addPhoto(cameraJpeg(seed = 11)).join()
            assertEquals(1, model.state.value.photoIds.size)
            assertEquals(emptyList(), model.state.value.problems)

            model.send().join()
            assertEquals(SendStatus.QUEUED, model.state.value.status, "failure: ${model.state.value.failure}")
            assertEquals(1, scheduled, "background sync is scheduled when the report is queued")
            assertEquals(SyncOutcome.Idle, client.syncNow())
            val sent = withTimeout(10_000) { model.state.first { it.status != SendStatus.QUEUED } }
            model.close()
            assertEquals(SendStatus.SENT, sent.status, "failure: ${sent.failure}")
            val caseId = assertNotNull(sent.caseId)

            // What the server holds, over plain HTTP as the inspector of the point's grid.
            val (status, body) = TestServer.call("GET", "/api/v1/cases/$caseId", TestServer.staffToken("inspector"))
            assertEquals(200, status, String(body))
            assertEquals(true, String(body).contains("Bin overflowing by the bus stop"))

            // My reports, as sync pulled them: the new case is on its first step.
            val mine = assertNotNull(client.cachedCase(PullList.MY_REPORTS, caseId))
            assertEquals(TimelineRow(TimelineStep.REPORTED, StepMark.CURRENT), timeline(mine.state).first())
            assertNull(bannerFor(client.currentSyncState(), unsent = client.outbox().first().size, online = true))
        }
    }

    @Test
    fun `a draft the core refuses comes back as field problems and nothing is queued`() = runBlocking<Unit> {
        GridlineClient.open(TestServer.url, dataFolder(), OkHttpTransport()).use { client ->
            val model = NewReportViewModel(client, this)
            model.load().join()
            model.onEvent(NewReportEvent.CategoryChosen("E0101"))
            model.onEvent(NewReportEvent.DescriptionChanged("Pothole"))
            // Passes the form (a position is there, accurate) but is no place on Earth.
            model.onEvent(NewReportEvent.PositionFixed(TestServer.point.copy(lat = 123.0)))
            model.addPhoto(cameraJpeg(seed = 12)).join()
            assertEquals(emptyList(), model.state.value.problems)
            model.send().join()
            val refused = model.state.value
            assertEquals(SendStatus.EDITING, refused.status)
            assertEquals(listOf("position"), refused.serverProblems.map { it.field })
            assertEquals(emptyList(), client.outbox().first())
        }
    }
}
