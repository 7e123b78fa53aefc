// The inspector's handle/verify form on a case: which step, the photos taken on site, the
// reason and the position, checked as the core's workflow rules need them
// (core/src/workflow/rules.rs: verification needs a photo and the position, a failed one also a
// reason; marking handled needs a photo).
package org.gridline.app.presentation

import org.gridline.sdk.CaseState
import org.gridline.sdk.Position
import org.gridline.sdk.WorkflowAction

/** Why a step cannot be queued. */
enum class ActionProblem { NO_ACTION, NOT_AVAILABLE, PHOTO_MISSING, POSITION_MISSING, REASON_MISSING }

/** The step form of one case. [available] comes from `Gridline.availableActions(state, role)`. */
data class CaseActionState(
    val caseId: String,
    val knownState: CaseState,
    val available: List<WorkflowAction>,
    val action: WorkflowAction? = null,
    /** Camera bytes, prepared by the core when the step is queued. */
    val photos: List<ByteArray> = emptyList(),
    val reason: String = "",
    val position: Position? = null,
    val queued: Boolean = false,
) {
    val problems: List<ActionProblem> get() = validate(this)
}

/** What the step form hears. */
sealed class CaseActionEvent {
    data class ActionChosen(val action: WorkflowAction) : CaseActionEvent()

    class PhotoTaken(val bytes: ByteArray) : CaseActionEvent()

    data class PhotoRemoved(val index: Int) : CaseActionEvent()

    data class ReasonChanged(val text: String) : CaseActionEvent()

    data class PositionFixed(val position: Position) : CaseActionEvent()

    object Queued : CaseActionEvent()
}

/** The step form after [event]; an action not available in the known state is not taken. */
fun reduce(state: CaseActionState, event: CaseActionEvent): CaseActionState =
    when (event) {
        is CaseActionEvent.ActionChosen -> if (event.action in state.available) state.copy(action = event.action) else state
        is CaseActionEvent.PhotoTaken -> state.copy(photos = state.photos + event.bytes)
        is CaseActionEvent.PhotoRemoved ->
            state.copy(photos = state.photos.filterIndexed { i, _ -> i != event.index })
        is CaseActionEvent.ReasonChanged -> state.copy(reason = event.text)
        is CaseActionEvent.PositionFixed -> state.copy(position = event.position)
        CaseActionEvent.Queued -> state.copy(queued = true)
    }

/** What stops the step in [state] from being queued. */
fun validate(state: CaseActionState): List<ActionProblem> {
    val action = state.action ?: return listOf(ActionProblem.NO_ACTION)
    val problems = mutableListOf<ActionProblem>()
    if (action !in state.available) problems += ActionProblem.NOT_AVAILABLE
    val needsPhoto = action in setOf(WorkflowAction.MARK_HANDLED, WorkflowAction.VERIFY_PASS, WorkflowAction.VERIFY_FAIL)
    val needsPosition = action in setOf(WorkflowAction.VERIFY_PASS, WorkflowAction.VERIFY_FAIL)
    val needsReason =
        action in
            setOf(
                WorkflowAction.VERIFY_FAIL,
                WorkflowAction.REJECT,
                WorkflowAction.SEND_BACK,
                WorkflowAction.SHELVE,
                WorkflowAction.CLOSE,
                WorkflowAction.REOPEN,
            )
    if (needsPhoto && state.photos.isEmpty()) problems += ActionProblem.PHOTO_MISSING
    if (needsPosition && state.position == null) problems += ActionProblem.POSITION_MISSING
    if (needsReason && state.reason.isBlank()) problems += ActionProblem.REASON_MISSING
    return problems
}
