// Background sync in plain Kotlin: what one background run does (send the outbox and pull the
// lists; refresh the offline grid package for an inspector), how its outcome maps to
// WorkManager's success/retry/failure (and to BGTaskScheduler's completion on iOS), and the
// schedule's numbers. The Android worker (SyncWorker) and the iOS task only call [BackgroundSync.run]
// and translate its answer, so everything that decides is tested on a JVM.
package org.gridline.app.presentation

import java.time.Duration
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.PullList
import org.gridline.sdk.ffi.GridlineException
import org.gridline.sdk.ffi.SyncOutcome

/** What a background run ends with; the worker returns Result.success/retry/failure for it. */
enum class RunResult { SUCCESS, RETRY, FAILURE }

/** How one part of a run went. */
enum class PartOutcome {
    /** Done, or nothing to do. */
    DONE,

    /** Network, an unavailable server, or another sync already running: later will do. */
    LATER,

    /** Signed out: nothing is sent until the user signs in; retrying cannot help. */
    SIGNED_OUT,

    /** Broken here (storage) or a server this build cannot read: retrying cannot help. */
    BROKEN,
}

/** The schedule of background sync, shared by the Android worker and the iOS task. */
object SyncSchedule {
    /** Unique name of the one-off run enqueued when something is queued. */
    const val SOON = "gridline-sync"

    /** Unique name of the periodic run. */
    const val PERIODIC = "gridline-sync-periodic"

    /** The periodic run's interval (WorkManager's floor is 15 minutes). */
    val PERIOD: Duration = Duration.ofMinutes(30)

    /** The first retry's delay; WorkManager doubles it (exponential backoff, capped at 5 hours). */
    val BACKOFF: Duration = Duration.ofSeconds(30)
}

/** What a run does for a client with [pullLists]: null when signed out (nothing to do). */
data class RunPlan(val sync: Boolean, val refreshGridPackage: Boolean)

/** The plan for a client that is [signedIn] and pulls [pullLists]. */
fun planRun(signedIn: Boolean, pullLists: List<PullList>): RunPlan? =
    if (signedIn) RunPlan(sync = true, refreshGridPackage = PullList.WORK_LIST in pullLists) else null

/** How a sync pass went. */
fun syncPart(outcome: SyncOutcome): PartOutcome =
    when (outcome) {
        SyncOutcome.Idle -> PartOutcome.DONE
        is SyncOutcome.RetryIn, SyncOutcome.AlreadyRunning -> PartOutcome.LATER
        SyncOutcome.SignedOut -> PartOutcome.SIGNED_OUT
    }

/** How a failed step went, by the SDK's error. */
fun errorPart(error: GridlineException): PartOutcome =
    when (error) {
        is GridlineException.Network, is GridlineException.TooManyAttempts -> PartOutcome.LATER
        is GridlineException.SignedOut -> PartOutcome.SIGNED_OUT
        // The server refused the package request (e.g. no grid imported yet): asking again in
        // a minute will not change that, the next periodic run will ask again.
        is GridlineException.Refused -> PartOutcome.DONE
        else -> PartOutcome.BROKEN
    }

/**
 * The run's result from its parts: anything worth trying later retries (WorkManager's backoff
 * doubles the wait up to its 5-hour cap, so a long outage costs few runs); being signed out is a
 * success (there is nothing to do, and a retry loop would only drain the battery); a broken
 * store fails.
 */
fun runResult(parts: List<PartOutcome>): RunResult =
    when {
        PartOutcome.BROKEN in parts -> RunResult.FAILURE
        PartOutcome.LATER in parts -> RunResult.RETRY
        else -> RunResult.SUCCESS
    }

/** One background run over [client]; the platform's scheduler decides when. */
class BackgroundSync(private val client: GridlineClient) {
    /** Run once: sync, then (for an inspector) refresh the grid package; never throws an SDK error. */
    suspend fun run(): RunResult {
        val plan = planRun(client.isSignedIn(), client.pullLists()) ?: return RunResult.SUCCESS
        val parts = mutableListOf<PartOutcome>()
        if (plan.sync) parts += step { syncPart(client.syncNow()) }
        if (plan.refreshGridPackage && PartOutcome.SIGNED_OUT !in parts) {
            parts += step {
                client.refreshGridPackage()
                PartOutcome.DONE
            }
        }
        return runResult(parts)
    }

    private suspend fun step(block: suspend () -> PartOutcome): PartOutcome =
        try {
            block()
        } catch (e: GridlineException) {
            errorPart(e)
        }
}
