// The citizen's new-report form as plain Kotlin: its state, the events the screen sends, the
// reducer (state + event -> state) and the checks run before a report may be queued.
//
// No Android classes here, so the form's rules compile and are tested on a desktop JVM; the
// Compose screen only renders NewReportState and sends NewReportEvent. The limits mirror the
// core's draft checks (core/src/device/drafts.rs): the core stays the authority at submit, the
// form only says it earlier, next to the field.
package org.gridline.app.presentation

import org.gridline.sdk.CategoryInfo
import org.gridline.sdk.FieldProblem
import org.gridline.sdk.Position

/** The most characters a description may have (the core's MAX_DESCRIPTION_CHARS). */
const val MAX_DESCRIPTION_CHARS = 4000

/** The most photos a report may carry (the core's MAX_PHOTOS). */
const val MAX_PHOTOS = 9

/** Beyond this GPS accuracy the pin must be placed by hand before the report can go. */
const val IMPRECISE_FIX_M = 100.0

/** Whether the app may read the location. */
enum class LocationPermission { UNKNOWN, GRANTED, DENIED }

/** Where the report is being sent from the form's point of view. */
enum class SendStatus { EDITING, SUBMITTING, QUEUED, SENT, FAILED }

/** How the position's accuracy is shown under the map. */
sealed class AccuracyDisplay {
    /** No position yet. */
    object None : AccuracyDisplay()

    /** A fix with its accuracy in whole metres. */
    data class Measured(val metres: Int) : AccuracyDisplay()

    /** A fix without an accuracy (some providers give none). */
    object Unknown : AccuracyDisplay()

    /** The citizen moved the pin: the position is theirs, not the receiver's. */
    object PlacedByHand : AccuracyDisplay()
}

/** What stops a form from being sent, by field. */
enum class FormProblem(val field: String) {
    CATEGORY_MISSING("category"),
    DESCRIPTION_EMPTY("description"),
    DESCRIPTION_TOO_LONG("description"),
    POSITION_MISSING("position"),
    POSITION_IMPRECISE("position"),
    PHOTO_MISSING("photos"),
    TOO_MANY_PHOTOS("photos"),
    ANONYMOUS_NOT_ALLOWED("anonymous"),
}

/** The new-report screen. */
data class NewReportState(
    val categories: List<CategoryInfo> = emptyList(),
    val query: String = "",
    val category: CategoryInfo? = null,
    val description: String = "",
    val permission: LocationPermission = LocationPermission.UNKNOWN,
    val position: Position? = null,
    val pinAdjusted: Boolean = false,
    val photoIds: List<String> = emptyList(),
    val anonymous: Boolean = false,
    val draftId: String? = null,
    val status: SendStatus = SendStatus.EDITING,
    val outboxItemId: String? = null,
    val caseId: String? = null,
    /** Problems the core reported at submit, shown next to their fields. */
    val serverProblems: List<FieldProblem> = emptyList(),
    /** A failure not tied to a field (network, storage), as the SDK described it. */
    val failure: String? = null,
    /** Whether the form has been sent once: problems are shown only from then on. */
    val attempted: Boolean = false,
) {
    /** The categories matching [query], best first. */
    val matches: List<CategoryInfo> get() = searchCategories(categories, query)

    /** Whether the anonymous switch is enabled: only for categories that allow it. */
    val anonymousAvailable: Boolean get() = category?.anonymousAllowed == true

    /** Characters left in the description (negative when over). */
    val descriptionLeft: Int get() = MAX_DESCRIPTION_CHARS - description.codePointCount(0, description.length)

    /** How the accuracy line under the map reads. */
    val accuracy: AccuracyDisplay
        get() =
            when {
                position == null -> AccuracyDisplay.None
                pinAdjusted -> AccuracyDisplay.PlacedByHand
                else -> position.accuracyM?.let { AccuracyDisplay.Measured(Math.round(it).toInt()) } ?: AccuracyDisplay.Unknown
            }

    /** What is wrong now; empty when the form can be sent. */
    val problems: List<FormProblem> get() = validate(this)

    /** The problems to show: none before the first attempt to send. */
    val shownProblems: List<FormProblem> get() = if (attempted) problems else emptyList()

    /** Whether the send button is enabled. */
    val canSend: Boolean get() = status == SendStatus.EDITING || status == SendStatus.FAILED
}

/** What the new-report screen and the SDK tell the form. */
sealed class NewReportEvent {
    data class CategoriesLoaded(val categories: List<CategoryInfo>) : NewReportEvent()

    data class QueryChanged(val query: String) : NewReportEvent()

    data class CategoryChosen(val code: String) : NewReportEvent()

    data class DescriptionChanged(val text: String) : NewReportEvent()

    data class PermissionAnswered(val granted: Boolean) : NewReportEvent()

    /** A fix from the location provider; ignored once the pin was moved by hand. */
    data class PositionFixed(val position: Position) : NewReportEvent()

    /** The citizen dragged the pin to (lat, lon), in the map's own coordinate system. */
    data class PinMoved(val lat: Double, val lon: Double) : NewReportEvent()

    data class PhotoAdded(val photoId: String) : NewReportEvent()

    data class PhotoRemoved(val photoId: String) : NewReportEvent()

    data class AnonymousToggled(val on: Boolean) : NewReportEvent()

    /** The send button was pressed. */
    object SendPressed : NewReportEvent()

    data class DraftSaved(val draftId: String) : NewReportEvent()

    /** The core refused the draft, by field. */
    data class Rejected(val problems: List<FieldProblem>) : NewReportEvent()

    /** The report is in the outbox. */
    data class Queued(val itemId: String) : NewReportEvent()

    /** The server confirmed the report as case [caseId]. */
    data class Delivered(val caseId: String?) : NewReportEvent()

    data class Failed(val message: String) : NewReportEvent()
}

/** The form after [event]. Pure: no I/O, no clock. */
fun reduce(state: NewReportState, event: NewReportEvent): NewReportState =
    when (event) {
        is NewReportEvent.CategoriesLoaded -> state.copy(categories = event.categories)
        is NewReportEvent.QueryChanged -> state.copy(query = event.query)
        is NewReportEvent.CategoryChosen -> {
            val chosen = state.categories.firstOrNull { it.code.equals(event.code, ignoreCase = true) }
            // A category that does not allow anonymity turns the switch off rather than leaving
            // a report the core would refuse.
            state.copy(category = chosen, anonymous = state.anonymous && chosen?.anonymousAllowed == true, query = "")
        }
        is NewReportEvent.DescriptionChanged -> state.copy(description = event.text)
        is NewReportEvent.PermissionAnswered ->
            state.copy(permission = if (event.granted) LocationPermission.GRANTED else LocationPermission.DENIED)
        is NewReportEvent.PositionFixed -> if (state.pinAdjusted) state else state.copy(position = event.position)
        is NewReportEvent.PinMoved -> {
            // The map draws in its own system (GCJ-02 on AMap); the core converts at submit.
            val crs = state.position?.crs ?: org.gridline.sdk.Crs.WGS84
            state.copy(position = Position(lat = event.lat, lon = event.lon, crs = crs, accuracyM = null), pinAdjusted = true)
        }
        is NewReportEvent.PhotoAdded -> state.copy(photoIds = state.photoIds + event.photoId)
        is NewReportEvent.PhotoRemoved -> state.copy(photoIds = state.photoIds - event.photoId)
        is NewReportEvent.AnonymousToggled -> state.copy(anonymous = event.on && state.anonymousAvailable)
        NewReportEvent.SendPressed ->
            if (!state.canSend) {
                state
            } else if (validate(state).isEmpty()) {
                state.copy(attempted = true, status = SendStatus.SUBMITTING, serverProblems = emptyList(), failure = null)
            } else {
                state.copy(attempted = true)
            }
        is NewReportEvent.DraftSaved -> state.copy(draftId = event.draftId)
        is NewReportEvent.Rejected -> state.copy(status = SendStatus.EDITING, serverProblems = event.problems)
        is NewReportEvent.Queued -> state.copy(status = SendStatus.QUEUED, outboxItemId = event.itemId)
        is NewReportEvent.Delivered -> state.copy(status = SendStatus.SENT, caseId = event.caseId)
        is NewReportEvent.Failed -> state.copy(status = SendStatus.FAILED, failure = event.message)
    }

/** Everything that stops [state] from being sent, in the order of the form's fields. */
fun validate(state: NewReportState): List<FormProblem> {
    val problems = mutableListOf<FormProblem>()
    if (state.category == null) problems += FormProblem.CATEGORY_MISSING
    if (state.description.isBlank()) {
        problems += FormProblem.DESCRIPTION_EMPTY
    } else if (state.descriptionLeft < 0) {
        problems += FormProblem.DESCRIPTION_TOO_LONG
    }
    val position = state.position
    if (position == null) {
        problems += FormProblem.POSITION_MISSING
    } else if (!state.pinAdjusted && (position.accuracyM ?: 0.0) > IMPRECISE_FIX_M) {
        problems += FormProblem.POSITION_IMPRECISE
    }
    if (state.photoIds.isEmpty()) problems += FormProblem.PHOTO_MISSING
    if (state.photoIds.size > MAX_PHOTOS) problems += FormProblem.TOO_MANY_PHOTOS
    if (state.anonymous && !state.anonymousAvailable) problems += FormProblem.ANONYMOUS_NOT_ALLOWED
    return problems
}
