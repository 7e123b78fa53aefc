// The app core's view models through the generated Kotlin bindings, against the real server
// that scripts/test-mobile started: the same models the Rust journey tests drive
// (server/tests/it/device_citizen_journey.rs), here to prove they cross the FFI whole. A
// citizen signs in with a texted code (a wrong one first, refused in words), files a report
// in C0101 (a required question) with a camera photo at the phone's fix, sees it in "my
// reports", the office registers, dispatches, handles and the inspector verifies it (VERIFY on
// the inspector's phone), and the citizen is notified and rates it (RATE); the anonymous path
// keeps its secret in secure storage and drops one the server no longer knows. A second
// citizen at the same place and category is shown the first report before sending, follows
// it and keeps the draft, then sends it anyway.
package org.gridline.sdk

import java.util.Collections
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import org.gridline.sdk.core.AnswerInput
import org.gridline.sdk.core.AppIntent
import org.gridline.sdk.core.AppListener
import org.gridline.sdk.core.AppState
import org.gridline.sdk.core.BackgroundScheduler
import org.gridline.sdk.core.BaseMapProvider
import org.gridline.sdk.core.CasePageIntent
import org.gridline.sdk.core.CasePageListener
import org.gridline.sdk.core.CasePageState
import org.gridline.sdk.core.Language
import org.gridline.sdk.core.LocalNotification
import org.gridline.sdk.core.LocationFix
import org.gridline.sdk.core.LocationProvider
import org.gridline.sdk.core.MyReportsIntent
import org.gridline.sdk.core.MyReportsListener
import org.gridline.sdk.core.MyReportsState
import org.gridline.sdk.core.NewReportIntent
import org.gridline.sdk.core.NewReportListener
import org.gridline.sdk.core.NewReportState
import org.gridline.sdk.core.Notifier
import org.gridline.sdk.core.OutboxIntent
import org.gridline.sdk.core.OutboxListener
import org.gridline.sdk.core.OutboxState
import org.gridline.sdk.core.PatrolListener
import org.gridline.sdk.core.PatrolState
import org.gridline.sdk.core.PushPlatform
import org.gridline.sdk.core.QuestionControl
import org.gridline.sdk.core.SecureStorage
import org.gridline.sdk.core.SignInIntent
import org.gridline.sdk.core.SignInListener
import org.gridline.sdk.core.SignInState
import org.gridline.sdk.core.WorkListListener
import org.gridline.sdk.core.WorkListState
import org.gridline.sdk.ffi.SyncOutcome
import org.junit.jupiter.api.Test

/** The platform, scripted: each capability records what the core asked of it. */
class ScriptedPlatform(var fix: LocationFix?) : LocationProvider, Notifier, SecureStorage, BackgroundScheduler {
    val notifications: MutableList<LocalNotification> = Collections.synchronizedList(mutableListOf())
    val secrets: MutableMap<String, String> = Collections.synchronizedMap(mutableMapOf())
    val deleted: MutableList<String> = Collections.synchronizedList(mutableListOf())
    val scheduled: MutableList<ULong> = Collections.synchronizedList(mutableListOf())

    override fun currentFix(): LocationFix? = fix
    override fun notify(notification: LocalNotification) {
        notifications += notification
    }
    override fun read(key: String): String? = secrets[key]
    override fun write(key: String, value: String) {
        secrets[key] = value
    }
    override fun delete(key: String) {
        deleted += key
        secrets.remove(key)
    }
    override fun scheduleSync(afterSecs: ULong) {
        scheduled += afterSecs
    }
}

/** Every state a screen's listener heard. */
class Heard<S> :
    AppListener, SignInListener, NewReportListener, OutboxListener, MyReportsListener,
    WorkListListener, CasePageListener, PatrolListener {
    val states: MutableList<Any> = Collections.synchronizedList(mutableListOf())
    override fun onState(state: AppState) { states += state }
    override fun onState(state: SignInState) { states += state }
    override fun onState(state: NewReportState) { states += state }
    override fun onState(state: OutboxState) { states += state }
    override fun onState(state: MyReportsState) { states += state }
    override fun onState(state: WorkListState) { states += state }
    override fun onState(state: CasePageState) { states += state }
    override fun onState(state: PatrolState) { states += state }
}

class AppCoreTest {
    private val point = TestServer.point
    private fun platform() = ScriptedPlatform(LocationFix(lat = point.lat, lon = point.lon, accuracyM = 6.0))

    @Test
    fun `a citizen reports through the view models and rates the closed case`() = runBlocking<Unit> {
        val platform = platform()
        GridlineClient.open(TestServer.url, dataFolder()).use { client ->
            val app = client.appCore(platform, platform, platform, platform, Language.EN)
            val appHeard = Heard<AppState>()
            app.subscribe(appHeard).use {
                assertFalse((appHeard.states.last() as AppState).signedIn)

                val signIn = app.signInScreen()
                val heard = Heard<SignInState>()
                signIn.subscribe(heard).use {
                    signIn.send(SignInIntent.SetPhone("13700137000"))
                    signIn.send(SignInIntent.RequestCode)
                    assertTrue(signIn.state().codeVisible)
                    val code = TestServer.lastCode()
                    signIn.send(SignInIntent.SetCode(if (code == "000000") "111111" else "000000"))
                    signIn.send(SignInIntent.Verify)
                    assertEquals(null, signIn.state().attemptsLeft)
                    assertEquals("Wrong or expired code: check it, or request a new one", signIn.state().codeError)
                    signIn.send(SignInIntent.SetCode(code))
                    signIn.send(SignInIntent.Verify)
                    assertTrue((heard.states.last() as SignInState).signedIn)
                }
                signIn.close()
                val signedIn = appHeard.states.last() as AppState
                assertTrue(signedIn.signedIn)
                assertEquals("citizen", signedIn.role)
            }

            // The city's grid package and categories come with a sync; a base map plugged in by
            // the platform draws its tiles under the cells.
            app.send(AppIntent.SyncNow)
            app.setBaseMap(object : BaseMapProvider {
                override fun tile(zoom: UByte, x: UInt, y: UInt): String? = "tiles/$zoom/$x/$y.png"
            })

            // The report: the fix, a photo, C0101 and its required question.
            val report = app.newReportScreen(null)
            val reportHeard = Heard<NewReportState>()
            report.subscribe(reportHeard).use {
                report.send(NewReportIntent.AddPhoto(cameraJpeg(seed = 7, width = 320, height = 240)))
                report.send(NewReportIntent.UseMyLocation)
                assertEquals("Located, ±6 m", report.state().locationText)
                val map = assertNotNull(report.state().map, "the grid package came with the sync")
                assertTrue(map.baseTiles.isNotEmpty())
                assertTrue(map.baseTiles.all { it.source == "tiles/${it.zoom}/${it.x}/${it.y}.png" })
                app.setBaseMap(null)
                assertTrue(report.state().map!!.baseTiles.isEmpty(), "without a provider the cells are the map")
                report.send(NewReportIntent.LocationUpdated(LocationFix(lat = point.lat, lon = point.lon, accuracyM = 4.0)))
                assertEquals("Located, ±4 m", report.state().locationText)
                report.send(NewReportIntent.ChooseCategory("C0101"))
                report.send(NewReportIntent.SetDescription("Manhole cover missing"))
                report.send(NewReportIntent.Send)
                val question = report.state().questions.single()
                assertEquals(QuestionControl.SINGLE_CHOICE, question.control)
                assertEquals("this question must be answered", question.error)
                assertNotNull(report.state().draftId, "refused: the draft stays")
                report.send(NewReportIntent.Answer(question.code, AnswerInput.One("missing")))
                report.send(NewReportIntent.Send)
                // Another test may have filed C0101 here: then the duplicate step comes first.
                if (report.state().nearby.isNotEmpty()) report.send(NewReportIntent.SendAnyway)
                assertEquals("Sent", report.state().message)
                assertNull(report.state().draftId, "the form starts over")
            }
            report.close()

            val outbox = app.outboxScreen()
            outbox.subscribe(Heard<OutboxState>()).use { outbox.send(OutboxIntent.SendNow) }
            assertTrue(outbox.state().items.isEmpty())
            assertEquals("No drafts and nothing waiting to be sent", outbox.state().emptyText)

            val reports = app.myReportsScreen()
            val reportsHeard = Heard<MyReportsState>()
            reports.subscribe(reportsHeard).use {
                val row = reports.state().rows.single()
                assertEquals("Water supply manhole cover", row.title)
                assertEquals("Reported, waiting for the street office", row.stateText)
                val caseId = row.id

                // The office and the inspector (VERIFY from the inspector's phone) close it.
                val dispatcher = TestServer.staffToken("dispatcher")
                step(dispatcher, caseId, """{"action":"register"}""")
                step(dispatcher, caseId, """{"action":"dispatch","handling_unit":"water"}""")
                val handled = handleAsWater(caseId)
                assertEquals("handled", handled)
                fieldStep("inspector", caseId, "verify_pass", cameraJpeg(seed = 9))

                // The background sync brings the closed state and a notification; RATE once.
                assertTrue(app.backgroundSync())
                assertEquals("Closed", platform.notifications.last().body)
                reports.send(MyReportsIntent.Open(caseId))
                val detail = assertNotNull(reports.state().detail)
                assertEquals(row.trackingNumber, detail.trackingNumber)
                assertTrue(detail.rateVisible)
                // The handling unit's after-photo, on the reporter's timeline.
                assertEquals(detail.afterPhotos.map { it.id }, detail.timeline.flatMap { it.photoIds })
                val after = detail.afterPhotos.single()
                // Fetched on opening: the thumbnail is a JPEG file the screen draws from.
                val thumbnail = java.io.File(assertNotNull(after.thumbnailPath)).readBytes()
                assertEquals(listOf(0xFF, 0xD8), thumbnail.take(2).map { it.toInt() and 0xFF })
                assertEquals(1, detail.photos.size, "the report's own photo")
                reports.send(MyReportsIntent.OpenPhoto(after.id))
                val viewer = assertNotNull(reports.state().viewer)
                assertNull(viewer.error)
                val (status, served) = TestServer.call("GET", "/api/v1/photos/${after.id}", dispatcher)
                assertEquals(200, status)
                assertContentEquals(served, java.io.File(assertNotNull(viewer.path)).readBytes(), "the full photo, as served")
                reports.send(MyReportsIntent.ClosePhoto)
                assertNull(reports.state().viewer)
                reports.send(MyReportsIntent.SetComment("Quick and clean"))
                assertEquals("15/2000", reports.state().detail?.commentCounter)
                reports.send(MyReportsIntent.Rate(5u))
                assertEquals(5u.toUByte(), reports.state().detail?.rating)
                assertFalse(reports.state().detail!!.rateVisible)
                assertEquals("", reports.state().detail!!.comment, "the comment went with the rating")
                reports.send(MyReportsIntent.CloseDetail)
                reports.send(MyReportsIntent.Refresh)
                assertNull(reports.state().detail)
            }
            reports.close()
            outbox.close()
            app.send(AppIntent.SetLanguage(Language.ZH))
            assertEquals("已结案", app.myReportsScreen().state().rows.single().stateText)
            app.send(AppIntent.SignOut)
            assertFalse(app.state().signedIn)
            app.close()
        }
    }

    @Test
    fun `the anonymous account's secret lives in secure storage and a forgotten one is replaced`() = runBlocking<Unit> {
        val platform = platform()
        platform.secrets["gridline.device_secret"] = "not-a-secret-the-server-knows"
        GridlineClient.open(TestServer.url, dataFolder()).use { client ->
            val app = client.appCore(platform, platform, platform, platform, Language.EN)
            val signIn = app.signInScreen()
            signIn.send(SignInIntent.ContinueAnonymously)
            assertTrue(signIn.state().signedIn)
            assertEquals(listOf("gridline.device_secret"), platform.deleted)
            val secret = assertNotNull(platform.secrets["gridline.device_secret"])
            assertTrue(secret != "not-a-secret-the-server-knows")

            // Offline-like: a draft left, discarded from the outbox screen; a queued report
            // schedules a background sync when the server cannot take it.
            val report = app.newReportScreen(null)
            report.send(NewReportIntent.SetDescription("left as a draft"))
            val outbox = app.outboxScreen()
            val draft = outbox.state().drafts.single()
            outbox.send(OutboxIntent.DiscardDraft(draft.id))
            assertTrue(outbox.state().drafts.isEmpty())
            app.send(AppIntent.SyncNow)
            assertEquals("Up to date", app.state().syncText)
            signIn.send(SignInIntent.ChangePhone)
            assertFalse(signIn.state().codeVisible)
            outbox.send(OutboxIntent.Retry("no-such-item"))
            assertEquals("This item no longer exists", outbox.state().message)
            outbox.send(OutboxIntent.DiscardItem("no-such-item"))
            outbox.send(OutboxIntent.BackToDrafts("no-such-item"))
            assertEquals("This item no longer exists", outbox.state().message)
            report.send(NewReportIntent.RemovePhoto("no-such-photo"))
            for (intent in listOf(
                NewReportIntent.PlacePin(point.lat, point.lon),
                NewReportIntent.PanMap(100.0, 100.0),
                NewReportIntent.ZoomIn,
                NewReportIntent.ZoomOut,
                NewReportIntent.ChooseStreet("310104001"),
                NewReportIntent.ChooseCommunity("310104001001"),
                NewReportIntent.ChooseCell("310104001001001"),
                NewReportIntent.SearchCategory("manhole"),
                NewReportIntent.BrowseKind("component"),
                NewReportIntent.BrowseMajor("1"),
                NewReportIntent.SetAnonymous(true),
                NewReportIntent.Answer("cover_state", AnswerInput.Many(listOf("missing"))),
                NewReportIntent.Discard,
            )) {
                report.send(intent)
            }
            assertNull(report.state().draftId, "discarded")
            ListenerHandleCheck.cancelTwice(report.subscribe(Heard<NewReportState>()))
            report.close()
            outbox.close()
            signIn.close()
            app.close()
        }

        // A server that cannot take the report now: saved, waiting in the outbox, unsent in
        // "my reports", and a background sync scheduled through the platform.
        val unavailable = ScriptedTransport { request ->
            if (request.url.endsWith("/api/v1/auth/anonymous")) {
                json(201, anonymousSession)
            } else {
                json(503, """{"code":"unavailable"}""")
            }
        }
        val offlinePlatform = platform()
        GridlineClient.open("http://gridline.invalid", dataFolder(), unavailable).use { client ->
            val app = client.appCore(offlinePlatform, offlinePlatform, offlinePlatform, offlinePlatform, Language.EN)
            app.signInScreen().send(SignInIntent.ContinueAnonymously)
            val report = app.newReportScreen(null)
            report.send(NewReportIntent.AddPhoto(cameraJpeg(seed = 5)))
            report.send(NewReportIntent.UseMyLocation)
            report.send(NewReportIntent.ChooseCategory("E0101"))
            report.send(NewReportIntent.SetDescription("Overflowing bin"))
            report.send(NewReportIntent.Send)
            assertEquals("Saved; it will be sent when there is a connection", report.state().message)
            assertTrue(offlinePlatform.scheduled.isNotEmpty(), "a background sync is scheduled")
            assertEquals("waiting", app.outboxScreen().state().items.single().status)
            assertTrue(app.myReportsScreen().state().rows.single().unsent)
            app.close()
        }
    }

    @Test
    fun `a second citizen at the same place and category follows the first report or sends anyway`() = runBlocking<Unit> {
        /** An anonymous citizen's phone with an E0101 form filled at the fix. */
        fun fill(app: org.gridline.sdk.core.AppCore): org.gridline.sdk.core.NewReportModel {
            val report = app.newReportScreen(null)
            report.send(NewReportIntent.AddPhoto(cameraJpeg(seed = 13)))
            report.send(NewReportIntent.UseMyLocation)
            report.send(NewReportIntent.ChooseCategory("E0101"))
            report.send(NewReportIntent.SetDescription("Overflowing bin"))
            return report
        }
        val firstPlatform = platform()
        val trackingNumber = GridlineClient.open(TestServer.url, dataFolder()).use { client ->
            val app = client.appCore(firstPlatform, firstPlatform, firstPlatform, firstPlatform, Language.EN)
            app.signInScreen().send(SignInIntent.ContinueAnonymously)
            val report = fill(app)
            report.send(NewReportIntent.Send)
            // Another test may have filed E0101 here already.
            if (report.state().nearby.isNotEmpty()) report.send(NewReportIntent.SendAnyway)
            assertEquals("Sent", report.state().message)
            val tracking = app.myReportsScreen().state().rows.single().trackingNumber
            app.close()
            tracking
        }

        val platform = platform()
        GridlineClient.open(TestServer.url, dataFolder()).use { client ->
            val app = client.appCore(platform, platform, platform, platform, Language.EN)
            app.signInScreen().send(SignInIntent.ContinueAnonymously)
            val report = fill(app)
            report.send(NewReportIntent.Send)
            val asked = report.state()
            assertEquals("This may already be reported nearby. Is it one of these?", asked.message)
            val shown = asked.nearby.single { it.trackingNumber == trackingNumber }
            assertEquals("Reported, waiting for the street office", shown.stateText)
            assertTrue(shown.distanceText.startsWith("within "), shown.distanceText)
            assertEquals("Send anyway", asked.sendAnywayLabel)
            assertTrue(asked.followLabel.isNotEmpty() && asked.followDiscardLabel.isNotEmpty() && asked.nearbyTitle.isNotEmpty())

            // "This is mine too", keeping the draft: followed in "my reports".
            report.send(NewReportIntent.FollowNearby(trackingNumber, true))
            assertTrue(report.state().nearby.isEmpty())
            val followed = app.myReportsScreen().state().rows.single()
            assertTrue(followed.followed)
            assertEquals(trackingNumber, followed.trackingNumber)
            val draft = app.outboxScreen().state().drafts.single()

            // The kept draft, resumed: asked again, then sent anyway.
            val resumed = app.newReportScreen(draft.id)
            resumed.send(NewReportIntent.Send)
            assertTrue(resumed.state().nearby.isNotEmpty())
            resumed.send(NewReportIntent.SendAnyway)
            assertEquals("Sent", resumed.state().message)
            val myReports = app.myReportsScreen()
            val rows = myReports.state().rows
            assertEquals(listOf(false, true), rows.map { it.followed })

            // The followed report opens from its public tracking page, and can be unfollowed.
            myReports.send(MyReportsIntent.Open(trackingNumber))
            val tracked = assertNotNull(myReports.state().detail)
            assertTrue(tracked.followed && !tracked.rateVisible)
            assertEquals(trackingNumber, tracked.trackingNumber)
            myReports.send(MyReportsIntent.Unfollow(trackingNumber))
            assertEquals(listOf(false), myReports.state().rows.map { it.followed })
            assertNull(myReports.state().detail)

            // The push token is registered for the account (the server counts its devices).
            app.send(AppIntent.RegisterPushToken("fcm-token-of-this-phone", PushPlatform.ANDROID))
            assertNull(app.state().error)
            myReports.close()
            report.close()
            resumed.close()
            app.close()
        }
    }

    @Test
    fun `a check from far away is refused with the distance, and a failed one sends the case to rework`() = runBlocking<Unit> {
        val point = TestServer.point
        val caseId = GridlineClient.open(TestServer.url, dataFolder()).use { citizen ->
            citizen.signInAnonymously()
            val draft = citizen.createDraft(completeFields(point, "Cracked kerb ${System.nanoTime()}"))
            citizen.addPhoto(draft.id, cameraJpeg(seed = 41))
            citizen.submit(draft.id)
            assertEquals(SyncOutcome.Idle, citizen.syncNow())
            jsonString(citizen.outbox(includeDelivered = true).first().single().serverResult!!, "id")
        }
        val dispatcher = TestServer.staffToken("dispatcher")
        step(dispatcher, caseId, """{"action":"register"}""")
        step(dispatcher, caseId, """{"action":"dispatch","handling_unit":"water"}""")
        assertEquals("handled", handleAsWater(caseId))
        val state = { jsonString(String(TestServer.call("GET", "/api/v1/cases/$caseId", dispatcher).second), "state") }

        // A kilometre north of the cell: the core refuses the check and says how far away.
        val phone = ScriptedPlatform(LocationFix(lat = point.lat + 0.009, lon = point.lon, accuracyM = 5.0))
        GridlineClient.open(TestServer.url, dataFolder()).use { client ->
            val (login, password) = TestServer.staff("inspector")
            client.signInStaff(login, password)
            val app = client.appCore(phone, phone, phone, phone, Language.EN)
            app.send(AppIntent.SyncNow) // the grid package, which the on-site check reads
            val page = app.caseScreen(caseId)
            page.send(CasePageIntent.Refresh)
            page.send(CasePageIntent.AddPhoto(cameraJpeg(seed = 42)))
            page.send(CasePageIntent.SetReason("The kerb is still cracked"))
            page.send(CasePageIntent.Take("verify_fail"))
            val far = assertNotNull(page.state().error)
            assertTrue(far.startsWith("You are ") && far.contains("from the case's cell"), far)
            assertEquals("handled", state())

            // On site: a failed check needs its reason; with it the case goes back to the unit.
            phone.fix = LocationFix(lat = point.lat, lon = point.lon, accuracyM = 5.0)
            page.send(CasePageIntent.SetReason(""))
            page.send(CasePageIntent.Take("verify_fail"))
            assertEquals("Give a reason", page.state().reasonError)
            page.send(CasePageIntent.SetReason("The kerb is still cracked"))
            page.send(CasePageIntent.Take("verify_fail"))
            assertNull(page.state().error)
            page.close()
            app.close()
        }
        assertEquals("dispatched", state(), "back to the unit for rework")
    }

    private fun step(token: String, caseId: String, body: String) = TestServer.step(token, caseId, body)

    /**
     * One step on the case page of a field app (inspector or the water unit's worker), signed
     * in as [role], with a camera photo when given; the step reaches the server at once.
     */
    private suspend fun fieldStep(role: String, caseId: String, action: String, photo: ByteArray? = null) {
        val phone = platform()
        GridlineClient.open(TestServer.url, dataFolder()).use { client ->
            val (login, password) = TestServer.staff(role)
            client.signInStaff(login, password)
            val app = client.appCore(phone, phone, phone, phone, Language.EN)
            val page = app.caseScreen(caseId)
            page.send(CasePageIntent.Refresh)
            photo?.let { page.send(CasePageIntent.AddPhoto(it)) }
            page.send(CasePageIntent.Take(action))
            assertNull(page.state().error, "$action refused")
            assertEquals("Sent", page.state().message)
            page.close()
            app.close()
        }
    }

    /** The water unit accepts the case and marks it handled with a photo, from its phone. */
    private suspend fun handleAsWater(caseId: String): String {
        fieldStep("handler", caseId, "accept")
        fieldStep("handler", caseId, "mark_handled", cameraJpeg(seed = 11))
        val (_, case) = TestServer.call("GET", "/api/v1/cases/$caseId", TestServer.staffToken("dispatcher"))
        return jsonString(String(case), "state")
    }
}

object ListenerHandleCheck {
    /** Cancel a handle twice (the second does nothing), then release it. */
    fun cancelTwice(handle: org.gridline.sdk.core.ListenerHandle) {
        handle.cancel()
        handle.cancel()
        handle.close()
    }
}
