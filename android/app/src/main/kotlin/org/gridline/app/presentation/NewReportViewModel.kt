// The new-report screen's view model in plain Kotlin: it owns a NewReportState flow, feeds
// screen events through the reducer, and does the SDK calls (categories, draft, photos,
// submit) in [scope]. The Android ViewModel wraps it with its viewModelScope; the tests drive it
// with runBlocking against a real server.
package org.gridline.app.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridline.sdk.DraftFields
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.ItemStatus
import org.gridline.sdk.OutboxItem
import org.gridline.sdk.ffi.GridlineException

/**
 * The new-report screen over [client]; SDK calls run in [scope]; [onQueued] is told when a report
 * enters the outbox (the app schedules background sync then).
 */
class NewReportViewModel(
    private val client: GridlineClient,
    private val scope: CoroutineScope,
    private val onQueued: () -> Unit = {},
) {
    private val mutable = MutableStateFlow(NewReportState())

    /** What the screen renders. */
    val state: StateFlow<NewReportState> = mutable.asStateFlow()

    private var watching: Job? = null

    /** Feed a screen event through the reducer. */
    fun onEvent(event: NewReportEvent) = mutable.update { reduce(it, event) }

    /** Load the categories for the picker. */
    fun load(): Job = scope.launch { guarded { onEvent(NewReportEvent.CategoriesLoaded(client.categories())) } }

    /** Prepare and attach a camera picture; the draft is created on the first one. */
    fun addPhoto(cameraBytes: ByteArray): Job =
        scope.launch {
            guarded {
                val draftId = saveDraft()
                onEvent(NewReportEvent.PhotoAdded(client.addPhoto(draftId, cameraBytes).id))
            }
        }

    /**
     * Send the form: checked here first (problems shown by field), then by the core; a report
     * that passes both is queued, and its outbox item is followed until the server confirms it.
     */
    fun send(): Job =
        scope.launch {
            onEvent(NewReportEvent.SendPressed)
            if (state.value.status != SendStatus.SUBMITTING) return@launch
            guarded {
                val draftId = saveDraft()
                val problems = client.checkDraft(draftId)
                if (problems.isNotEmpty()) {
                    onEvent(NewReportEvent.Rejected(problems))
                    return@guarded
                }
                val item = client.submit(draftId)
                onEvent(NewReportEvent.Queued(item.id))
                onQueued()
                follow(item.id)
            }
        }

    private fun follow(itemId: String) {
        watching?.cancel()
        watching =
            scope.launch {
                client.outbox(includeDelivered = true).collect { items ->
                    val item = items.firstOrNull { it.id == itemId } ?: return@collect
                    outcome(item)?.let { onEvent(it) }
                    if (item.status == ItemStatus.DELIVERED) watching?.cancel()
                }
            }
    }

    private fun outcome(item: OutboxItem): NewReportEvent? =
        when (item.status) {
            ItemStatus.DELIVERED -> NewReportEvent.Delivered(item.caseId ?: item.serverResult?.let(::createdId))
            ItemStatus.FAILED, ItemStatus.CONFLICT ->
                NewReportEvent.Failed(item.problem?.let { "${it.code} (${it.status})" } ?: item.status.name)
            ItemStatus.PENDING -> null
        }

    /** Write the form into its draft (created on first use); the draft's id. */
    private suspend fun saveDraft(): String {
        val form = state.value
        val fields =
            DraftFields(
                category = form.category?.code,
                description = form.description,
                position = form.position,
                anonymous = form.anonymous,
            )
        val id = form.draftId
        return if (id == null) {
            client.createDraft(fields).id.also { onEvent(NewReportEvent.DraftSaved(it)) }
        } else {
            client.updateDraft(id, fields).id
        }
    }

    private suspend fun guarded(block: suspend () -> Unit) {
        try {
            block()
        } catch (e: GridlineException) {
            onEvent(NewReportEvent.Failed(e.message ?: e.javaClass.simpleName))
        }
    }

    /** The `id` of the case in the server's answer to a report (a flat JSON object). */
    private fun createdId(answer: String): String? =
        Regex(""""id"\s*:\s*"([^"]+)"""").find(answer)?.groupValues?.get(1)

    /** Stop following the outbox. */
    fun close() {
        watching?.cancel()
    }
}
