// The app core's view models made to feel like Kotlin: each screen's state as a Flow (from the
// model's subscribe, closed with the collector) and each intent as a suspend call that runs the
// blocking FFI call on the IO dispatcher, never on the main thread. Everything a screen shows
// and every rule behind it (limits, patterns, workflow words, resets after a send or an account
// switch) is the core's (core/src/device/app); the Compose screens only draw these states and
// send these intents. Plain Kotlin: scripts/test-mobile compiles and tests it on the JVM.
package org.gridline.app.presentation

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.conflate
import kotlinx.coroutines.flow.flowOn
import kotlinx.coroutines.withContext
import org.gridline.sdk.core.AppCore
import org.gridline.sdk.core.AppIntent
import org.gridline.sdk.core.AppListener
import org.gridline.sdk.core.AppState
import org.gridline.sdk.core.ListenerHandle
import org.gridline.sdk.core.MyReportsIntent
import org.gridline.sdk.core.MyReportsListener
import org.gridline.sdk.core.MyReportsModel
import org.gridline.sdk.core.MyReportsState
import org.gridline.sdk.core.NewReportIntent
import org.gridline.sdk.core.NewReportListener
import org.gridline.sdk.core.NewReportModel
import org.gridline.sdk.core.NewReportState
import org.gridline.sdk.core.OutboxIntent
import org.gridline.sdk.core.OutboxListener
import org.gridline.sdk.core.OutboxModel
import org.gridline.sdk.core.OutboxState
import org.gridline.sdk.core.SignInIntent
import org.gridline.sdk.core.SignInListener
import org.gridline.sdk.core.SignInModel
import org.gridline.sdk.core.SignInState

/**
 * A Flow of a model's states: the current one first (the core sends it on subscribe), then each
 * change. Only the newest state matters to a screen, so a slow collector skips stale ones; the
 * subscription is closed when the collector stops.
 */
internal fun <S> statesOf(subscribe: ((S) -> Unit) -> ListenerHandle): Flow<S> =
    callbackFlow {
        val handle = subscribe { state -> trySend(state) }
        awaitClose { handle.close() }
    }.buffer().conflate().flowOn(Dispatchers.IO)

/** Runs a blocking call into the core off the caller's thread. */
internal suspend fun <T> offMain(call: () -> T): T = withContext(Dispatchers.IO) { call() }

fun AppCore.states(): Flow<AppState> =
    statesOf { emit -> subscribe(object : AppListener { override fun onState(state: AppState) = emit(state) }) }

suspend fun AppCore.dispatch(intent: AppIntent) = offMain { send(intent) }

/** One background run (send the outbox, pull the lists); true when it finished. */
suspend fun AppCore.syncInBackground(): Boolean = offMain { backgroundSync() }

suspend fun AppCore.openSignIn(): SignInModel = offMain { signInScreen() }

suspend fun AppCore.openNewReport(draftId: String? = null): NewReportModel = offMain { newReportScreen(draftId) }

suspend fun AppCore.openOutbox(): OutboxModel = offMain { outboxScreen() }

suspend fun AppCore.openMyReports(): MyReportsModel = offMain { myReportsScreen() }

fun SignInModel.states(): Flow<SignInState> =
    statesOf { emit -> subscribe(object : SignInListener { override fun onState(state: SignInState) = emit(state) }) }

suspend fun SignInModel.dispatch(intent: SignInIntent) = offMain { send(intent) }

fun NewReportModel.states(): Flow<NewReportState> =
    statesOf { emit -> subscribe(object : NewReportListener { override fun onState(state: NewReportState) = emit(state) }) }

suspend fun NewReportModel.dispatch(intent: NewReportIntent) = offMain { send(intent) }

fun OutboxModel.states(): Flow<OutboxState> =
    statesOf { emit -> subscribe(object : OutboxListener { override fun onState(state: OutboxState) = emit(state) }) }

suspend fun OutboxModel.dispatch(intent: OutboxIntent) = offMain { send(intent) }

fun MyReportsModel.states(): Flow<MyReportsState> =
    statesOf { emit -> subscribe(object : MyReportsListener { override fun onState(state: MyReportsState) = emit(state) }) }

suspend fun MyReportsModel.dispatch(intent: MyReportsIntent) = offMain { send(intent) }
