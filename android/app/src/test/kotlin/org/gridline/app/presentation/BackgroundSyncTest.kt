// Background sync's decisions (what a run does, how its parts map to success/retry/failure,
// the schedule's numbers against WorkManager's limits) and whole runs through the real SDK:
// an inspector's run syncs and downloads the grid package, a run with the server out of reach
// retries and finally gives up, a signed-out run does nothing and succeeds.
package org.gridline.app.presentation

import java.time.Duration
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import org.gridline.sdk.GeoPoint
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.OkHttpTransport
import org.gridline.sdk.PullList
import org.gridline.sdk.TestServer
import org.gridline.sdk.cameraJpeg
import org.gridline.sdk.completeFields
import org.gridline.sdk.dataFolder
import org.gridline.sdk.ffi.GridlineException
import org.gridline.sdk.ffi.SyncOutcome
import org.junit.jupiter.api.Test

class BackgroundSyncTest {
    @Test
    fun `a run syncs when signed in and refreshes the grid package only for the work list`() {
        assertNull(planRun(signedIn = false, pullLists = listOf(PullList.WORK_LIST)))
        assertEquals(RunPlan(sync = true, refreshGridPackage = false), planRun(true, listOf(PullList.MY_REPORTS)))
        assertEquals(RunPlan(sync = true, refreshGridPackage = false), planRun(true, emptyList()))
        assertEquals(RunPlan(sync = true, refreshGridPackage = true), planRun(true, listOf(PullList.WORK_LIST)))
    }

    @Test
    fun `every sync outcome and SDK error has its part outcome`() {
        assertEquals(PartOutcome.DONE, syncPart(SyncOutcome.Idle))
        assertEquals(PartOutcome.LATER, syncPart(SyncOutcome.RetryIn(Duration.ofSeconds(8))))
        assertEquals(PartOutcome.LATER, syncPart(SyncOutcome.AlreadyRunning))
        assertEquals(PartOutcome.SIGNED_OUT, syncPart(SyncOutcome.SignedOut))
        assertEquals(PartOutcome.LATER, errorPart(GridlineException.Network("offline")))
        assertEquals(PartOutcome.LATER, errorPart(GridlineException.TooManyAttempts("rate_limited", 5u)))
        assertEquals(PartOutcome.SIGNED_OUT, errorPart(GridlineException.SignedOut()))
        assertEquals(PartOutcome.DONE, errorPart(GridlineException.Refused(404u, "not_found", null)))
        assertEquals(PartOutcome.BROKEN, errorPart(GridlineException.Storage("disk full")))
        assertEquals(PartOutcome.BROKEN, errorPart(GridlineException.Protocol("not JSON")))
    }

    @Test
    fun `parts map to success, retry, or failure`() {
        assertEquals(RunResult.SUCCESS, runResult(emptyList()))
        assertEquals(RunResult.SUCCESS, runResult(listOf(PartOutcome.DONE, PartOutcome.DONE)))
        assertEquals(RunResult.SUCCESS, runResult(listOf(PartOutcome.SIGNED_OUT)), "no retry loop while signed out")
        assertEquals(RunResult.RETRY, runResult(listOf(PartOutcome.DONE, PartOutcome.LATER)))
        assertEquals(RunResult.RETRY, runResult(listOf(PartOutcome.LATER)))
        assertEquals(RunResult.FAILURE, runResult(listOf(PartOutcome.LATER, PartOutcome.BROKEN)))
    }

    @Test
    fun `the schedule fits WorkManager's limits`() {
        assertTrue(SyncSchedule.PERIOD >= Duration.ofMinutes(15), "WorkManager runs periodic work at most every 15 minutes")
        assertTrue(SyncSchedule.BACKOFF >= Duration.ofSeconds(10), "WorkManager's shortest backoff is 10 s")
        assertTrue(SyncSchedule.SOON != SyncSchedule.PERIODIC)
    }

    @Test
    fun `an inspector's run sends, pulls and downloads the grid package`() = runBlocking<Unit> {
        GridlineClient.open(TestServer.url, dataFolder(), OkHttpTransport()).use { client ->
            val (login, password) = TestServer.staff("inspector")
            client.signInStaff(login, password)
            client.setPullLists(listOf(PullList.WORK_LIST))
            assertNull(client.gridPackage())
            assertEquals(RunResult.SUCCESS, BackgroundSync(client).run())
            assertNotNull(client.gridPackage()).close()
            assertNotNull(client.routeOffline(GeoPoint(lat = TestServer.point.lat, lon = TestServer.point.lon)), "routes offline")
        }
    }

    @Test
    fun `a run with the server out of reach keeps retrying, and signed out it does nothing`() = runBlocking<Unit> {
        val folder = dataFolder()
        GridlineClient.open(TestServer.url, folder, OkHttpTransport()).use { client ->
            client.signInAnonymously()
            val draft = client.createDraft(completeFields(TestServer.point))
            client.addPhoto(draft.id, cameraJpeg(seed = 21))
            client.submit(draft.id)
        }
        // The same phone, with the server gone (a port nothing listens on).
        GridlineClient.open("http://127.0.0.1:9", folder, OkHttpTransport()).use { client ->
            client.setPullLists(listOf(PullList.MY_REPORTS))
            val run = BackgroundSync(client)
            assertEquals(RunResult.RETRY, run.run())
            assertEquals(RunResult.RETRY, run.run(), "still worth retrying: WorkManager's backoff spaces the runs")
            assertEquals(1, client.outbox().first().size, "the report waits in the outbox")
        }
        GridlineClient.open(TestServer.url, folder, OkHttpTransport()).use { client ->
            client.setPullLists(listOf(PullList.MY_REPORTS))
            assertEquals(RunResult.SUCCESS, BackgroundSync(client).run())
            assertEquals(emptyList(), client.outbox().first(), "delivered once the server is back")
            client.signOut()
            assertEquals(RunResult.SUCCESS, BackgroundSync(client).run())
        }
    }
}
