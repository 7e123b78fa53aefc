// The Kotlin face of the phone client: drafts, photos, submit, the outbox, sync, sign-in and
// sign-out, the pulled lists and the offline grid package, as suspend functions that run on an IO
// dispatcher, and the sync state and the outbox as Flows (a callbackFlow over the core's state
// listener). The field apps' work list, case page and steps are the app core's view models.
//
// The generated `org.gridline.sdk.ffi.GridlineClient` does the work; this class only moves each
// call off the caller's thread and turns the listener into a Flow. It holds no logic of its own.
//
// Records and enums are re-exported below under the same names. Sealed types (SyncState,
// SyncOutcome, AnswerValue, GridlineException) are not: Kotlin cannot reach a
// sealed class's variants through a type alias, so apps import those from org.gridline.sdk.ffi.
package org.gridline.sdk

import java.io.File
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.combine
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.flowOn
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.withContext
import org.gridline.sdk.ffi.SyncOutcome
import org.gridline.sdk.ffi.SyncState
import org.gridline.sdk.ffi.GridlineClient as FfiClient

/** A draft's fields; every one has a default, so `DraftFields(description = "...")` works. */
typealias DraftFields = org.gridline.sdk.ffi.DraftFields

/** A draft and its photos. */
typealias Draft = org.gridline.sdk.ffi.Draft

/** A prepared photo kept on the device. */
typealias Photo = org.gridline.sdk.ffi.Photo

/** Where the problem is, in the coordinate system of the map SDK that measured it. */
typealias Position = org.gridline.sdk.ffi.Position

/** Something sent that the server has not confirmed yet. */
typealias OutboxItem = org.gridline.sdk.ffi.OutboxItem

/** Pending, delivered, failed or conflict. */
typealias ItemStatus = org.gridline.sdk.ffi.ItemStatus

/** Who is signed in. */
typealias Account = org.gridline.sdk.ffi.Account

/** A role: citizen, inspector, dispatcher, handler, admin. */
typealias Role = org.gridline.sdk.ffi.Role

/** Where a case stands in the workflow. */
typealias CaseState = org.gridline.sdk.ffi.CaseState

/** A workflow step. */
typealias WorkflowAction = org.gridline.sdk.ffi.WorkflowAction

/** A list sync pulls and keeps on the phone: the work list or own reports. */
typealias PullList = org.gridline.sdk.ffi.PullList

/** A case as last pulled, readable offline. */
typealias CachedCase = org.gridline.sdk.ffi.CachedCase

/** A category for the picker. */
typealias CategoryInfo = org.gridline.sdk.ffi.CategoryInfo

/** An extra question of a category, with its datatype and allowed values. */
typealias QuestionInfo = org.gridline.sdk.ffi.QuestionInfo

/** One allowed value of a list question. */
typealias QuestionOption = org.gridline.sdk.ffi.QuestionOption

/** One problem of a draft, by field. */
typealias FieldProblem = org.gridline.sdk.ffi.FieldProblem

/** What a grid package refresh found: whether a newer package was downloaded. */
typealias GridPackageRefresh = org.gridline.sdk.ffi.GridPackageRefresh

/** The app's own HTTP stack, as the SDK calls it (see [OkHttpTransport]). */
typealias HttpTransport = org.gridline.sdk.ffi.HttpTransport

/**
 * The Gridline client of one app: open it once (see [open]) and keep it. Every suspend
 * function runs on the IO dispatcher given to [open], so it may be called from the main thread.
 * Errors are `org.gridline.sdk.ffi.GridlineException` subclasses (see [Gridline]).
 */
class GridlineClient private constructor(
    private val ffi: FfiClient,
    private val io: CoroutineDispatcher,
) : AutoCloseable {
    companion object {
        /**
         * Open the client for the server at [serverUrl] with its store in [dataFolder] (the
         * app's `filesDir`). HTTP goes through [transport] when given (e.g. [OkHttpTransport]),
         * else through the SDK's built-in one.
         */
        suspend fun open(
            serverUrl: String,
            dataFolder: File,
            transport: HttpTransport? = null,
            io: CoroutineDispatcher = Dispatchers.IO,
        ): GridlineClient = withContext(io) { GridlineClient(FfiClient(serverUrl, dataFolder.path, transport), io) }
    }

    /** Bumped by every local change to the outbox, so [outbox] re-reads without a sync. */
    private val outboxChanges = MutableStateFlow(0L)

    private suspend fun <T> onIo(block: () -> T): T = withContext(io) { block() }

    private suspend fun <T> changingOutbox(block: () -> T): T = onIo(block).also { outboxChanges.value += 1 }

    /**
     * The sync state: the current one at once, then every change, none dropped (conflate it
     * for a banner). Collecting subscribes to the core; cancelling the collector unsubscribes.
     */
    val syncState: Flow<SyncState> =
        callbackFlow {
            val listener =
                object : org.gridline.sdk.ffi.SyncStateListener {
                    override fun onStateChanged(state: SyncState) {
                        trySend(state)
                    }
                }
            val subscription = ffi.subscribe(listener)
            awaitClose {
                subscription.cancel()
                subscription.close()
            }
        }.buffer(Channel.UNLIMITED)

    /**
     * The outbox (delivered items too when [includeDelivered]), read again whenever the sync
     * state changes or the app queues, retries or discards an item.
     */
    fun outbox(includeDelivered: Boolean = false): Flow<List<OutboxItem>> =
        combine(syncState, outboxChanges) { _, _ -> ffi.outbox(includeDelivered) }
            .distinctUntilChanged()
            .flowOn(io)

    /** Whether the outbox holds anything not yet delivered, for the offline banner. */
    fun hasUnsent(): Flow<Boolean> = outbox().map { items -> items.isNotEmpty() }

    /** The sync state now. */
    fun currentSyncState(): SyncState = ffi.syncState()

    /** The categories for the picker. */
    suspend fun categories(): List<CategoryInfo> = onIo { ffi.categories() }

    /** Fetch the city's categories (kept for offline use); whether they changed. */
    suspend fun refreshCategories(): Boolean = onIo { ffi.refreshCategories() }

    /** Start a draft. */
    suspend fun createDraft(fields: DraftFields = DraftFields()): Draft = onIo { ffi.createDraft(fields) }

    /** Replace a draft's fields (its photos stay). */
    suspend fun updateDraft(draftId: String, fields: DraftFields): Draft = onIo { ffi.updateDraft(draftId, fields) }

    /** One draft. */
    suspend fun draft(draftId: String): Draft = onIo { ffi.draft(draftId) }

    /** Every draft, oldest first. */
    suspend fun drafts(): List<Draft> = onIo { ffi.drafts() }

    /** Delete a draft and its photos. */
    suspend fun deleteDraft(draftId: String) = onIo { ffi.deleteDraft(draftId) }

    /** Prepare camera bytes (JPEG, PNG, WebP) and attach them to a draft. */
    suspend fun addPhoto(draftId: String, cameraBytes: ByteArray): Photo = onIo { ffi.addPhoto(draftId, cameraBytes) }

    /** Detach and delete a draft's photo. */
    suspend fun removePhoto(draftId: String, photoId: String) = onIo { ffi.removePhoto(draftId, photoId) }

    /** What is wrong with a draft, by field; empty when it can be submitted. */
    suspend fun checkDraft(draftId: String): List<FieldProblem> = onIo { ffi.checkDraft(draftId) }

    /** Move a complete draft into the outbox; it reaches the server exactly once. */
    suspend fun submit(draftId: String): OutboxItem = changingOutbox { ffi.submit(draftId) }

    /** Put a failed or conflicting item back in the queue. */
    suspend fun retry(itemId: String): OutboxItem = changingOutbox { ffi.retryItem(itemId) }

    /** Remove a failed or conflicting item. */
    suspend fun discard(itemId: String) = changingOutbox { ffi.discardItem(itemId) }

    /** Turn a failed report back into a draft; returns the draft id. */
    suspend fun returnToDrafts(itemId: String): String = changingOutbox { ffi.returnToDrafts(itemId) }

    /** Send the outbox once through; on `RetryIn`, schedule the next call (WorkManager). */
    suspend fun syncNow(): SyncOutcome = onIo { ffi.syncNow() }

    /** Text a one-time code to [phone]. */
    suspend fun requestCode(phone: String) = onIo { ffi.requestCode(phone) }

    /** Sign in as the citizen owning [phone] with the texted [code]. */
    suspend fun signInWithCode(phone: String, code: String): Account = onIo { ffi.signInWithCode(phone, code) }

    /** Sign in anonymously; keep [Account.deviceSecret] of a new account in the Keystore. */
    suspend fun signInAnonymously(deviceSecret: String? = null): Account = onIo { ffi.signInAnonymously(deviceSecret) }

    /**
     * The app core over this client's store: the screens' view models (`org.gridline.sdk.core`),
     * which the UI draws and sends intents to. Their `send` blocks on the network for some
     * intents: call it on [io]. Open one per process.
     */
    suspend fun appCore(
        location: org.gridline.sdk.core.LocationProvider,
        notifier: org.gridline.sdk.core.Notifier,
        secureStorage: org.gridline.sdk.core.SecureStorage,
        scheduler: org.gridline.sdk.core.BackgroundScheduler,
        language: org.gridline.sdk.core.Language,
    ): org.gridline.sdk.core.AppCore = onIo { ffi.appCore(location, notifier, secureStorage, scheduler, language) }

    /** Sign in as staff. */
    suspend fun signInStaff(login: String, password: String): Account = onIo { ffi.signInStaff(login, password) }

    /** Whether a session is kept on this device. */
    fun isSignedIn(): Boolean = ffi.isSignedIn()

    /**
     * Sign out: forget the session and the pulled lists here and revoke the refresh token on
     * the server. Best effort: offline the session is still forgotten here, and this returns
     * false (true when the server confirmed the revocation).
     */
    suspend fun signOut(): Boolean = onIo { ffi.signOut() }

    /**
     * Download the city's grid package when the server has a newer one than the stored one (an
     * unchanged grid costs a 304), keep it in the data folder and route with it from now on.
     */
    suspend fun refreshGridPackage(): GridPackageRefresh = onIo { ffi.refreshGridPackage() }

    /** The stored grid package (close it when done), or null before the first refresh; offline. */
    suspend fun gridPackage(): GridPackage? = onIo { ffi.gridPackage() }

    /**
     * The unit grid of [point] (given in [crs]) by the stored grid package, offline; null
     * before the first refresh or when the point is in no grid.
     */
    suspend fun routeOffline(point: GeoPoint, crs: Crs = Crs.WGS84): GridRoute? = onIo { ffi.routeOffline(point, crs) }

    /** Make every sync pass pull [lists] after sending the outbox (none until set). */
    fun setPullLists(lists: List<PullList>) = ffi.setPullLists(lists)

    /** The lists each sync pass pulls. */
    fun pullLists(): List<PullList> = ffi.pullLists()

    /** The cases of [list] as last pulled, newest first; readable offline. */
    suspend fun cachedCases(list: PullList): List<CachedCase> = onIo { ffi.cachedCases(list) }

    /** One case of [list] as last pulled, or null. */
    suspend fun cachedCase(list: PullList, caseId: String): CachedCase? = onIo { ffi.cachedCase(list, caseId) }

    /** The cases of [list] as last pulled, read again whenever the sync state changes. */
    fun cases(list: PullList): Flow<List<CachedCase>> =
        syncState.map { ffi.cachedCases(list) }.distinctUntilChanged().flowOn(io)

    /** Release the native client. */
    override fun close() = ffi.close()
}
