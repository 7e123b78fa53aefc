// The client on its own data folder, through the Kotlin layer and the real host library: drafts,
// photos, submit, the outbox with refusals and outages scripted by a Kotlin HttpTransport (the
// foreign trait), the sync state listener and its Flow, and every error variant that does not
// need the real server (those are in ServerTest).
package org.gridline.sdk

import java.io.File
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.gridline.sdk.core.FieldErrorKind
import org.gridline.sdk.ffi.AnswerValue
import org.gridline.sdk.ffi.GridlineException
import org.gridline.sdk.ffi.SyncOutcome
import org.gridline.sdk.ffi.SyncState
import org.gridline.sdk.ffi.GridlineClient as FfiClient
import org.gridline.sdk.ffi.HttpHeader
import org.gridline.sdk.ffi.HttpResponse
import org.gridline.sdk.ffi.ItemKind
import org.gridline.sdk.ffi.TransportException
import org.junit.jupiter.api.Test

class ClientTest {
    /** A client whose every request is answered by [answer], and which believes it is signed in. */
    private suspend fun scripted(answer: (org.gridline.sdk.ffi.HttpRequest) -> HttpResponse): Pair<GridlineClient, ScriptedTransport> {
        val transport = ScriptedTransport { request ->
            if (request.url.endsWith("/api/v1/auth/anonymous")) {
                json(201, anonymousSession)
            } else {
                answer(request)
            }
        }
        val client = GridlineClient.open("http://gridline.invalid", dataFolder(), transport)
        client.signInAnonymously()
        return client to transport
    }

    private suspend fun readyDraft(client: GridlineClient): Draft {
        val draft = client.createDraft(completeFields(somewhere))
        client.addPhoto(draft.id, cameraJpeg())
        return client.draft(draft.id)
    }

    @Test
    fun `drafts are created, read, updated, listed and deleted`() = runBlocking<Unit> {
        GridlineClient.open("http://gridline.invalid", dataFolder()).use { client ->
            val draft = client.createDraft(DraftFields(description = "Broken lamp"))
            assertEquals("Broken lamp", client.draft(draft.id).fields.description)
            val answers = mapOf("count" to AnswerValue.One("2"), "kinds" to AnswerValue.Many(listOf("a", "b")))
            val updated = client.updateDraft(draft.id, draft.fields.copy(category = "C0101", answers = answers, anonymous = true))
            assertEquals("C0101", updated.fields.category)
            assertEquals(answers, client.draft(draft.id).fields.answers)
            val second = client.createDraft()
            assertEquals(listOf(draft.id, second.id), client.drafts().map { it.id })
            client.deleteDraft(draft.id)
            assertEquals(listOf(second.id), client.drafts().map { it.id })
            val missing = assertFailsWith<GridlineException.NotFound> { client.draft(draft.id) }
            assertEquals("draft", missing.what)
            assertEquals(draft.id, missing.id)
        }
    }

    @Test
    fun `camera bytes become a prepared photo on the draft, and can be removed`() = runBlocking<Unit> {
        GridlineClient.open("http://gridline.invalid", dataFolder()).use { client ->
            val draft = client.createDraft()
            val photo = client.addPhoto(draft.id, cameraJpeg(width = 64, height = 48))
            assertEquals(64u, photo.width)
            assertEquals(48u, photo.height)
            assertEquals(64, photo.sha256.length)
            assertTrue(File(photo.path).readBytes().take(2) == listOf(0xFF.toByte(), 0xD8.toByte()), "a JPEG file")
            assertTrue(File(photo.thumbnailPath).isFile)
            assertEquals(listOf(photo.id), client.draft(draft.id).photos.map { it.id })
            client.removePhoto(draft.id, photo.id)
            assertTrue(client.draft(draft.id).photos.isEmpty())
            assertFalse(File(photo.path).exists())
            val notPhoto = assertFailsWith<GridlineException.InvalidInput> { client.addPhoto(draft.id, "not a photo".toByteArray()) }
            assertEquals("photo", notPhoto.field)
            assertFailsWith<GridlineException.NotFound> { client.removePhoto(draft.id, photo.id) }
        }
    }

    @Test
    fun `an incomplete draft is not ready, field by field`() = runBlocking<Unit> {
        GridlineClient.open("http://gridline.invalid", dataFolder()).use { client ->
            val draft = client.createDraft(DraftFields(description = "  "))
            val fields = client.checkDraft(draft.id).map { it.field }
            assertEquals(listOf("category", "description", "position", "photos"), fields)
            val refused = assertFailsWith<GridlineException.NotReady> { client.submit(draft.id) }
            assertEquals(fields, refused.problems.map { it.field })
            // Each problem says what kind it is, so apps choose words without reading the English.
            assertEquals(List(fields.size) { FieldErrorKind.MISSING }, refused.problems.map { it.kind })
            assertContains(refused.message ?: "", "category")
            val ready = readyDraft(client)
            assertTrue(client.checkDraft(ready.id).isEmpty())
        }
    }

    @Test
    fun `the categories are the built-in taxonomy`() = runBlocking<Unit> {
        GridlineClient.open("http://gridline.invalid", dataFolder()).use { client ->
            val categories = client.categories()
            val bins = assertNotNull(categories.find { it.code == "E0101" })
            assertTrue(bins.nameZh.isNotBlank() && bins.nameEn.isNotBlank())
            assertTrue(categories.all { Gridline.categoryCodeOrNull(it.code) != null })
        }
    }

    @Test
    fun `a submitted report is delivered by sync, photo first, with its key`() = runBlocking<Unit> {
        val (client, transport) = scripted { request ->
            if (request.url.endsWith("/api/v1/photos")) json(201, """{"id":"photo-1"}""")
            else json(201, """{"id":"case-1","tracking_number":"T1"}""")
        }
        client.use {
            val item = client.submit(readyDraft(client).id)
            assertEquals(ItemKind.REPORT, item.kind)
            assertEquals(ItemStatus.PENDING, item.status)
            assertTrue(client.drafts().isEmpty(), "the draft moved into the outbox")
            assertEquals(SyncOutcome.Idle, client.syncNow())
            val delivered = client.outbox(includeDelivered = true).first().single()
            assertEquals(ItemStatus.DELIVERED, delivered.status)
            assertEquals("case-1", jsonString(delivered.serverResult!!, "id"))
            val paths = transport.requests.map { it.url.removePrefix("http://gridline.invalid") }
            assertEquals(listOf("/api/v1/auth/anonymous", "/api/v1/photos", "/api/v1/reports"), paths)
            val report = transport.requests.last()
            assertEquals("POST", report.method)
            assertTrue(report.headers.any { it.name == "Idempotency-Key" && it.value == item.idempotencyKey })
            assertTrue(report.headers.any { it.name == "Authorization" && it.value == "Bearer a" })
            assertContains(String(report.body), "\"photo_ids\":[\"photo-1\"]")
            assertTrue(client.outbox().first().isEmpty(), "delivered items are hidden by default")
        }
    }

    @Test
    fun `a refused report is parked, retried, returned to drafts and discarded`() = runBlocking<Unit> {
        val (client, _) = scripted { request ->
            if (request.url.endsWith("/api/v1/photos")) json(201, """{"id":"photo-1"}""")
            else json(422, """{"status":422,"code":"invalid_field","field":"description","detail":"too vague"}""")
        }
        client.use {
            assertFalse(client.hasUnsent().first())
            val item = client.submit(readyDraft(client).id)
            assertTrue(client.hasUnsent().first())
            val wrong = assertFailsWith<GridlineException.WrongState> { client.retry(item.id) }
            assertContains(wrong.reason, "pending")
            assertFailsWith<GridlineException.WrongState> { client.discard(item.id) }
            client.syncNow()
            val failed = client.outbox().first().single()
            assertEquals(ItemStatus.FAILED, failed.status)
            assertEquals("invalid_field", failed.problem?.code)
            assertEquals("description", failed.problem?.field)
            assertEquals(ItemStatus.PENDING, client.retry(item.id).status)
            client.syncNow()
            val draftId = client.returnToDrafts(item.id)
            assertEquals(1, client.draft(draftId).photos.size, "the photo came back with the draft")
            assertTrue(client.outbox().first().isEmpty())
            val again = client.submit(draftId)
            assertTrue(again.idempotencyKey != item.idempotencyKey, "a corrected report is a new report")
            client.syncNow()
            client.discard(again.id)
            assertTrue(client.outbox(includeDelivered = true).first().isEmpty())
        }
    }

    @Test
    fun `an outage waits for the network and the listener hears every state`() = runBlocking<Unit> {
        val (client, _) = scripted { throw TransportException.Unreachable("offline") }
        client.use {
            client.submit(readyDraft(client).id)
            val states = async { client.syncState.take(3).toList() }
            // The Flow subscribes when collected; wait until it has heard the current state.
            withTimeout(10_000) { client.syncState.first() }
            val outcome = client.syncNow()
            assertIs<SyncOutcome.RetryIn>(outcome)
            val heard = withTimeout(10_000) { states.await() }
            assertEquals(SyncState.Idle, heard[0])
            assertEquals(SyncState.Syncing(0u, 1u), heard[1])
            val waiting = assertIs<SyncState.WaitingForNetwork>(heard[2])
            assertEquals(outcome.after, waiting.retryIn)
            assertEquals(waiting, client.currentSyncState())
            assertEquals(ItemStatus.PENDING, client.outbox().first().single().status)
            assertEquals(1u, client.outbox().first().single().attempts)
        }
    }

    @Test
    fun `a cancelled subscription hears nothing more`() {
        val transport = ScriptedTransport { throw TransportException.Interrupted("cut") }
        FfiClient("http://gridline.invalid", dataFolder().path, transport).use { ffi ->
            val listener = RecordingListener()
            val subscription = ffi.subscribe(listener)
            assertEquals(listOf<SyncState>(SyncState.Idle), listener.states.toList())
            val draft = ffi.createDraft(completeFields(somewhere))
            ffi.addPhoto(draft.id, cameraJpeg())
            ffi.submit(draft.id)
            assertIs<SyncOutcome.RetryIn>(ffi.syncNow())
            assertEquals(3, listener.states.size, "current state, syncing, waiting: ${listener.states}")
            subscription.cancel()
            subscription.cancel()
            ffi.syncNow()
            assertEquals(3, listener.states.size)
            subscription.close()
        }
    }

    @Test
    fun `a store that cannot be opened is a storage error, a bad URL an invalid input`() {
        val file = File.createTempFile("gridline-not-a-folder", ".txt").also { it.deleteOnExit() }
        val storage = assertFailsWith<GridlineException.Storage> { runBlocking { GridlineClient.open("http://h", file) } }
        assertTrue(storage.reason.isNotBlank())
        val url = assertFailsWith<GridlineException.InvalidInput> { runBlocking { GridlineClient.open("ftp://h", dataFolder()) } }
        assertEquals("server_url", url.field)
    }

    @Test
    fun `an answer that is not the API is a protocol error`() = runBlocking<Unit> {
        val transport = ScriptedTransport { HttpResponse(200u, emptyList(), "<html>captive portal</html>".toByteArray()) }
        GridlineClient.open("http://gridline.invalid", dataFolder(), transport).use { client ->
            assertFailsWith<GridlineException.Protocol> { client.signInAnonymously() }
            assertFalse(client.isSignedIn())
        }
    }

    @Test
    fun `a sign-in the server holds back is too many attempts, with its wait`() = runBlocking<Unit> {
        val locked =
            ScriptedTransport {
                HttpResponse(
                    429u,
                    listOf(HttpHeader("Content-Type", "application/problem+json"), HttpHeader("Retry-After", "42")),
                    """{"status":429,"code":"rate_limited","detail":"too many attempts; retry after 42 seconds"}""".toByteArray(),
                )
            }
        GridlineClient.open("http://gridline.invalid", dataFolder(), locked).use { client ->
            val error = assertFailsWith<GridlineException.TooManyAttempts> { client.signInStaff("someone", "secret") }
            assertEquals("rate_limited", error.code)
            assertEquals(42u, error.retryAfterSecs)
            assertFalse(error.message.orEmpty().contains("secret"))
        }
        // A 429 from something in between, without the server's problem document, is only "later".
        val busy = ScriptedTransport { HttpResponse(429u, emptyList(), "busy".toByteArray()) }
        GridlineClient.open("http://gridline.invalid", dataFolder(), busy).use { client ->
            assertFailsWith<GridlineException.Network> { client.requestCode("13800138000") }
        }
    }

    @Test
    fun `without a session, online calls and sync say signed out`() = runBlocking<Unit> {
        val transport = ScriptedTransport { json(401, """{"code":"unauthorized"}""") }
        GridlineClient.open("http://gridline.invalid", dataFolder(), transport).use { client ->
            assertFailsWith<GridlineException.SignedOut> { client.refreshGridPackage() }
            client.submit(readyDraft(client).id)
            assertEquals(SyncOutcome.SignedOut, client.syncNow())
            assertIs<SyncState.Error>(client.currentSyncState())
        }
    }
}
