// The client against the real `gridline` server that scripts/test-mobile started (demo city,
// fresh SQLite): the full round trip draft → photo → submit → sync → the case exists with its
// photo (checked over plain HTTP, not through the SDK); sign-in by code, anonymously and as
// staff, and signing out; the inspector's work list pulled by sync and kept offline;
// offline routing agreeing with the server's, with a packed file and with the package the
// client downloads and keeps; and the errors only a server produces (Refused, Network).
package org.gridline.sdk

import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import org.gridline.sdk.ffi.GridlineException
import org.gridline.sdk.ffi.SyncOutcome
import org.gridline.sdk.ffi.SyncState
import org.junit.jupiter.api.Test

class ServerTest {
    /** File a report through [client] at the demo point and sync it; the server's case id. */
    private suspend fun fileReport(client: GridlineClient, description: String): String {
        val draft = client.createDraft(completeFields(TestServer.point, description))
        client.addPhoto(draft.id, cameraJpeg(seed = 3))
        client.submit(draft.id)
        assertEquals(SyncOutcome.Idle, client.syncNow())
        val delivered = client.outbox(includeDelivered = true).first().single()
        assertEquals(ItemStatus.DELIVERED, delivered.status, "problem: ${delivered.problem}")
        return jsonString(delivered.serverResult!!, "id")
    }

    @Test
    fun `round trip - draft, photo, submit, sync, and the server has the case with the photo`() = runBlocking<Unit> {
        GridlineClient.open(TestServer.url, dataFolder(), OkHttpTransport()).use { client ->
            val account = client.signInAnonymously()
            assertEquals(Role.CITIZEN, account.role)
            assertTrue(account.anonymous)
            val secret = assertNotNull(account.deviceSecret, "a new anonymous account gets its secret once")

            client.setPullLists(listOf(PullList.MY_REPORTS, PullList.MY_REPORTS))
            assertEquals(listOf(PullList.MY_REPORTS), client.pullLists())
            val caseId = fileReport(client, "Overflowing rubbish bin by the school gate")
            assertEquals(SyncState.Idle, client.currentSyncState())
            // Sync pulled the user's own reports after sending: the new case is readable offline.
            val cached = assertNotNull(client.cachedCase(PullList.MY_REPORTS, caseId))
            assertEquals(CaseState.REPORTED, cached.state)
            assertEquals(listOf(caseId), client.cachedCases(PullList.MY_REPORTS).map { it.id })
            assertEquals(listOf(caseId), client.cases(PullList.MY_REPORTS).first().map { it.id })

            // Checked over plain HTTP as the inspector whose grid holds the point.
            val token = TestServer.staffToken("inspector")
            val (status, body) = TestServer.call("GET", "/api/v1/cases/$caseId", token)
            assertEquals(200, status, String(body))
            val case = String(body)
            assertEquals("reported", jsonString(case, "state"))
            assertEquals("E0101", jsonString(case, "category"))
            assertEquals("Overflowing rubbish bin by the school gate", jsonString(case, "description"))
            val photoIds = jsonStrings(case, "photo_ids")
            assertEquals(1, photoIds.size, case)
            val (photoStatus, jpeg) = TestServer.call("GET", "/api/v1/photos/${photoIds[0]}", token)
            assertEquals(200, photoStatus)
            assertEquals(listOf(0xFF.toByte(), 0xD8.toByte()), jpeg.take(2), "the photo is a JPEG")

            // The device secret signs in to the same account from a fresh install.
            GridlineClient.open(TestServer.url, dataFolder()).use { reinstalled ->
                val again = reinstalled.signInAnonymously(secret)
                assertEquals(account.userId, again.userId)
                assertNull(again.deviceSecret)
            }
        }
    }

    @Test
    fun `the city's categories come from the server with their questions and outlive a restart`() = runBlocking<Unit> {
        val folder = dataFolder()
        GridlineClient.open(TestServer.url, folder, OkHttpTransport()).use { client ->
            client.refreshCategories()
            val categories = client.categories()
            val server = String(TestServer.call("GET", "/api/v1/categories", null).second)
            val onServer = Regex(""""code"\s*:\s*"([CE][0-9]{4})"""").findAll(server).map { it.groupValues[1] }.toList()
            assertEquals(onServer, categories.map { it.code })
            // The categories with required questions, asked with their datatype and values.
            for (code in listOf("C0101", "C0102", "C0106", "E0301")) {
                val category = assertNotNull(categories.find { it.code == code })
                val required = category.questions.filter { it.required }
                assertTrue(required.isNotEmpty(), "$code has a required question")
                assertTrue(required.all { it.nameZh.isNotBlank() && it.datatype.isNotBlank() })
            }
            val listQuestion = categories.flatMap { it.questions }.first { it.values.isNotEmpty() }
            assertTrue(listQuestion.values.all { it.key.isNotBlank() && it.nameEn.isNotBlank() })
            assertFalse(client.refreshCategories(), "nothing changed since the last refresh")
        }
    }

    @Test
    fun `a citizen signs in with a texted code`() = runBlocking<Unit> {
        GridlineClient.open(TestServer.url, dataFolder()).use { client ->
            val phone = "+86139" + (10_000_000..99_999_999).random()
            client.requestCode(phone)
            val wrong = if (TestServer.lastCode() == "000000") "111111" else "000000"
            val refused = assertFailsWith<GridlineException.Refused> { client.signInWithCode(phone, wrong) }
            assertEquals("code", refused.field)
            assertFalse(client.isSignedIn())
            val account = client.signInWithCode(phone, TestServer.lastCode())
            assertEquals(Role.CITIZEN, account.role)
            assertFalse(account.anonymous)
            assertTrue(client.isSignedIn())
            assertFalse(refused.message.orEmpty().contains(phone.takeLast(8)), "no phone number in errors")
            val badPhone = assertFailsWith<GridlineException.Refused> { client.requestCode("12") }
            assertTrue(badPhone.status.toInt() in 400..499, "status ${badPhone.status}")
            assertTrue(badPhone.code.isNotBlank())
        }
    }

    @Test
    fun `staff sign in with a password and a wrong one is refused`() = runBlocking<Unit> {
        GridlineClient.open(TestServer.url, dataFolder()).use { client ->
            val (login, password) = TestServer.staff("inspector")
            val refused = assertFailsWith<GridlineException.Refused> { client.signInStaff(login, password + "x") }
            assertEquals(401, refused.status.toInt())
            assertEquals("invalid_credentials", refused.code)
            assertFalse(refused.message.orEmpty().contains(password), "no password in errors")
            val account = client.signInStaff(login, password)
            assertEquals(Role.INSPECTOR, account.role)
            assertTrue(client.signOut(), "the server confirmed the revocation")
            assertFalse(client.isSignedIn())
            assertFalse(client.signOut(), "nothing left to revoke")
            assertTrue(client.cachedCases(PullList.WORK_LIST).isEmpty())
            // The work list needs a session: a pull after signing out says so.
            client.setPullLists(listOf(PullList.WORK_LIST))
            assertEquals(SyncOutcome.SignedOut, client.syncNow())
        }
    }

    @Test
    fun `the inspector's work list, pulled by sync, has the new report offline`() = runBlocking<Unit> {
        val caseId = GridlineClient.open(TestServer.url, dataFolder()).use { citizen ->
            citizen.signInAnonymously()
            fileReport(citizen, "Street lamp out")
        }
        GridlineClient.open(TestServer.url, dataFolder(), OkHttpTransport()).use { inspector ->
            val (login, password) = TestServer.staff("inspector")
            inspector.signInStaff(login, password)
            inspector.setPullLists(listOf(PullList.WORK_LIST))
            assertEquals(SyncOutcome.Idle, inspector.syncNow())
            val case = assertNotNull(inspector.cachedCase(PullList.WORK_LIST, caseId), "the report is on the list")
            assertEquals(CaseState.REPORTED, case.state)
            assertContains(case.json, "Street lamp out")
            assertTrue(inspector.cachedCases(PullList.WORK_LIST).any { it.id == caseId })
            // What the inspector may do with it is core's rule, read through the SDK (the case page
            // of the app core offers the same two steps).
            assertEquals(listOf(WorkflowAction.CONFIRM, WorkflowAction.DENY), Gridline.availableActions(case.state, Role.INSPECTOR))
        }
    }

    @Test
    fun `offline routing with the packed city agrees with the server`() = runBlocking<Unit> {
        Gridline.openGridPackage(TestServer.gridPackage.readBytes()).use { grid ->
            assertEquals(200uL, grid.cellCount())
            val point = TestServer.point
            val offline = assertNotNull(grid.route(GeoPoint(point.lat, point.lon), Crs.WGS84))
            assertEquals("inside", offline.how)
            val (status, body) = TestServer.call("GET", "/api/v1/grids/route?lat=${point.lat}&lon=${point.lon}")
            assertEquals(200, status, String(body))
            assertContains(String(body), offline.code)
            assertNotNull(Gridline.gridCodeOrNull(offline.code))
            assertNull(grid.route(GeoPoint(-33.86, 151.21), Crs.WGS84), "Sydney is in no grid")
            val gcj = Gridline.convert(GeoPoint(point.lat, point.lon), Crs.WGS84, Crs.GCJ02)
            assertEquals(offline.code, grid.route(gcj, Crs.GCJ02)?.code)
            assertEquals("lat", assertFailsWith<GridlineException.InvalidInput> { grid.route(GeoPoint(91.0, 0.0), Crs.WGS84) }.field)
        }
        val corrupt = TestServer.gridPackage.readBytes().also { it[it.size / 2] = (it[it.size / 2] + 1).toByte() }
        val refused = assertFailsWith<GridlineException.InvalidInput> { Gridline.openGridPackage(corrupt) }
        assertEquals("grid_package", refused.field)
    }

    @Test
    fun `the client downloads the grid package, rechecks it with a 304 and routes with it offline after a restart`() = runBlocking<Unit> {
        val folder = dataFolder()
        val statuses = java.util.Collections.synchronizedList(mutableListOf<Int>())
        val okHttp = OkHttpTransport()
        val recording =
            object : HttpTransport {
                override fun send(request: org.gridline.sdk.ffi.HttpRequest) = okHttp.send(request).also { statuses += it.status.toInt() }
            }
        val point = GeoPoint(TestServer.point.lat, TestServer.point.lon)
        val online = GridlineClient.open(TestServer.url, folder, recording).use { client ->
            val (login, password) = TestServer.staff("inspector")
            client.signInStaff(login, password)
            assertNull(client.gridPackage(), "nothing stored yet")
            assertNull(client.routeOffline(point))

            val first = client.refreshGridPackage()
            assertTrue(first.changed)
            assertEquals(200uL, first.cellCount)
            assertNotNull(first.revision)
            val routed = assertNotNull(client.routeOffline(point))
            val (status, body) = TestServer.call("GET", "/api/v1/grids/route?lat=${point.lat}&lon=${point.lon}")
            assertEquals(200, status, String(body))
            assertEquals(routed.code, jsonString(String(body), "grid"))
            assertNull(client.routeOffline(GeoPoint(-33.86, 151.21)), "Sydney is in no grid")
            assertEquals("lat", assertFailsWith<GridlineException.InvalidInput> { client.routeOffline(GeoPoint(91.0, 0.0)) }.field)
            assertNotNull(client.gridPackage()).use { stored ->
                assertEquals(200uL, stored.cellCount())
                assertEquals(routed, stored.route(point, Crs.WGS84))
            }

            statuses.clear()
            val again = client.refreshGridPackage()
            assertFalse(again.changed)
            assertEquals(first.revision, again.revision)
            assertEquals(listOf(304), statuses.toList(), "an unchanged grid is not downloaded again")
            assertTrue(client.signOut())
            routed
        }
        // Reopened with no server to reach: the stored package still routes.
        GridlineClient.open("http://127.0.0.1:9", folder).use { restarted ->
            assertEquals(online, restarted.routeOffline(point))
            assertFailsWith<GridlineException.Network> { restarted.refreshGridPackage() }
            assertEquals(online, restarted.routeOffline(point), "a failed check keeps the package")
        }
    }

    @Test
    fun `a server that cannot be reached is a network error`() = runBlocking<Unit> {
        // Port 9 (discard) on loopback: nothing listens there on these machines.
        GridlineClient.open("http://127.0.0.1:9", dataFolder()).use { client ->
            assertFailsWith<GridlineException.Network> { client.signInAnonymously() }
        }
        GridlineClient.open("http://127.0.0.1:9", dataFolder(), OkHttpTransport()).use { client ->
            val failure = assertFailsWith<GridlineException.Network> { client.signInAnonymously() }
            assertContains(failure.reason, "ConnectException")
        }
    }
}
