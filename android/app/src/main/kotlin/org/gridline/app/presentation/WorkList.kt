// The inspector's work list: the order the cases are shown in, and the list screen's state
// (cases as last pulled, which cases have a step waiting in the outbox, a filter).
package org.gridline.app.presentation

import java.time.Instant
import java.time.format.DateTimeParseException
import org.gridline.sdk.CachedCase
import org.gridline.sdk.CaseState

/**
 * How urgent a state is for an inspector, lowest first: a handled case waits for their
 * verification, a new report for their check; cases with others come after, finished ones last.
 */
fun inspectorPriority(state: CaseState): Int =
    when (state) {
        CaseState.HANDLED -> 0
        CaseState.REPORTED -> 1
        CaseState.REGISTERED -> 2
        CaseState.DISPATCHED -> 3
        CaseState.IN_PROGRESS -> 4
        CaseState.SHELVED -> 5
        CaseState.CLOSED, CaseState.REJECTED, CaseState.MERGED -> 6
    }

private fun createdAt(case: CachedCase): Instant =
    try {
        Instant.parse(case.createdAt)
    } catch (_: DateTimeParseException) {
        // An unreadable time sorts last rather than hiding the case.
        Instant.MAX
    }

/** The work list in the order shown: by [inspectorPriority], then oldest first, then by id. */
fun orderWorkList(cases: List<CachedCase>): List<CachedCase> =
    cases.sortedWith(compareBy<CachedCase>({ inspectorPriority(it.state) }, { createdAt(it) }, { it.id }))

/** The work-list screen. */
data class WorkListState(
    val cases: List<CachedCase> = emptyList(),
    /** Cases with a workflow step queued and not yet confirmed: shown with a clock. */
    val queued: Set<String> = emptySet(),
    /** Only cases waiting for the inspector (handled or reported). */
    val onlyMine: Boolean = false,
    val loaded: Boolean = false,
) {
    /** The rows to show, ordered and filtered. */
    val rows: List<CachedCase>
        get() = orderWorkList(cases).filter { !onlyMine || inspectorPriority(it.state) <= 1 }
}

/** What the work-list screen hears. */
sealed class WorkListEvent {
    data class Pulled(val cases: List<CachedCase>) : WorkListEvent()

    data class StepQueued(val caseId: String) : WorkListEvent()

    /** The outbox no longer holds a step for these cases (delivered or discarded). */
    data class StepsSettled(val pendingCaseIds: Set<String>) : WorkListEvent()

    data class FilterChanged(val onlyMine: Boolean) : WorkListEvent()
}

/** The work list after [event]. */
fun reduce(state: WorkListState, event: WorkListEvent): WorkListState =
    when (event) {
        is WorkListEvent.Pulled -> state.copy(cases = event.cases, loaded = true)
        is WorkListEvent.StepQueued -> state.copy(queued = state.queued + event.caseId)
        is WorkListEvent.StepsSettled -> state.copy(queued = state.queued intersect event.pendingCaseIds)
        is WorkListEvent.FilterChanged -> state.copy(onlyMine = event.onlyMine)
    }
