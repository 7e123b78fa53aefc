// The field apps' view models (grid inspector, handling unit's worker) made to feel like
// Kotlin, as CoreScreens.kt does for the citizen's: the work list, the case page and the
// patrol screen each give their states as a Flow and take intents as suspend calls off the main
// thread. What a row shows, how the list sorts and filters, which steps a case offers and what
// each needs, the on-site check and the patrol's interval are the core's
// (core/src/device/app/{work_list,case_page,patrol}.rs); the Compose screens only draw.
//
// recordWhileOnDuty is the one piece of behaviour here: the shell's timer for the patrol track.
// It waits the interval the core gives (PatrolState.intervalSecs) and sends Record, for as long
// as the core says the inspector is on duty, and stops when the duty ends or the collector is
// cancelled. Plain Kotlin: scripts/test-mobile compiles and tests it on the JVM.
package org.gridline.app.presentation

import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.collectLatest
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.map
import org.gridline.sdk.core.AppCore
import org.gridline.sdk.core.CasePageIntent
import org.gridline.sdk.core.CasePageListener
import org.gridline.sdk.core.CasePageModel
import org.gridline.sdk.core.CasePageState
import org.gridline.sdk.core.PatrolIntent
import org.gridline.sdk.core.PatrolListener
import org.gridline.sdk.core.PatrolModel
import org.gridline.sdk.core.PatrolState
import org.gridline.sdk.core.WorkListIntent
import org.gridline.sdk.core.WorkListListener
import org.gridline.sdk.core.WorkListModel
import org.gridline.sdk.core.WorkListState

suspend fun AppCore.openWorkList(): WorkListModel = offMain { workListScreen() }

suspend fun AppCore.openCasePage(caseId: String): CasePageModel = offMain { caseScreen(caseId) }

suspend fun AppCore.openPatrol(): PatrolModel = offMain { patrolScreen() }

fun WorkListModel.states(): Flow<WorkListState> =
    statesOf { emit -> subscribe(object : WorkListListener { override fun onState(state: WorkListState) = emit(state) }) }

suspend fun WorkListModel.dispatch(intent: WorkListIntent) = offMain { send(intent) }

fun CasePageModel.states(): Flow<CasePageState> =
    statesOf { emit -> subscribe(object : CasePageListener { override fun onState(state: CasePageState) = emit(state) }) }

suspend fun CasePageModel.dispatch(intent: CasePageIntent) = offMain { send(intent) }

fun PatrolModel.states(): Flow<PatrolState> =
    statesOf { emit -> subscribe(object : PatrolListener { override fun onState(state: PatrolState) = emit(state) }) }

suspend fun PatrolModel.dispatch(intent: PatrolIntent) = offMain { send(intent) }

/**
 * Records the patrol track while the core says the inspector is on duty: every
 * [PatrolState.intervalSecs] seconds (waited with [wait], given milliseconds) it sends
 * [PatrolIntent.Record], which keeps the live fix and uploads what waits. A change of duty
 * restarts the wait; ending the duty stops it. Returns only when the caller's scope is cancelled.
 */
suspend fun PatrolModel.recordWhileOnDuty(wait: suspend (Long) -> Unit = { delay(it) }) {
    states()
        .map { (it.available && it.onDuty) to it.intervalSecs }
        .distinctUntilChanged()
        .collectLatest { (onDuty, intervalSecs) ->
            while (onDuty) {
                wait(intervalSecs.toLong() * 1000)
                dispatch(PatrolIntent.Record)
            }
        }
}
