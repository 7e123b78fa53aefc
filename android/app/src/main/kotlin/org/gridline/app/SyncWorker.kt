// Background sync on Android: a WorkManager CoroutineWorker that runs one BackgroundSync pass
// (the outbox, the pulled lists, and an inspector's grid package) whenever the network is up,
// and SyncScheduler, which enqueues it as unique work: at once when something is queued, and
// periodically. What a run does and how it ends is decided in org.gridline.app.presentation
// (BackgroundSync, SyncSchedule), tested on the JVM; this file only translates.
package org.gridline.app

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import java.util.concurrent.TimeUnit
import org.gridline.app.presentation.BackgroundSync
import org.gridline.app.presentation.RunResult
import org.gridline.app.presentation.SyncSchedule

/** One background sync pass; WorkManager retries it with exponential backoff. */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val client = (applicationContext as GridlineApplication).client()
        return when (BackgroundSync(client).run()) {
            RunResult.SUCCESS -> Result.success()
            RunResult.RETRY -> Result.retry()
            RunResult.FAILURE -> Result.failure()
        }
    }
}

/** Enqueues [SyncWorker] as unique work, only with a network. */
object SyncScheduler {
    private val network = Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build()

    /**
     * Sync as soon as the network allows: after a report or a workflow step is queued, and
     * after sign-in. Replaces a pass waiting out its backoff, so new items do not wait for it.
     */
    fun syncSoon(context: Context) {
        val request =
            OneTimeWorkRequestBuilder<SyncWorker>()
                .setConstraints(network)
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, SyncSchedule.BACKOFF.seconds, TimeUnit.SECONDS)
                .build()
        WorkManager.getInstance(context).enqueueUniqueWork(SyncSchedule.SOON, ExistingWorkPolicy.REPLACE, request)
    }

    /** Sync every [SyncSchedule.PERIOD] while the app is installed; kept if already enqueued. */
    fun syncPeriodically(context: Context) {
        val request =
            PeriodicWorkRequestBuilder<SyncWorker>(SyncSchedule.PERIOD.toMinutes(), TimeUnit.MINUTES)
                .setConstraints(network)
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, SyncSchedule.BACKOFF.seconds, TimeUnit.SECONDS)
                .build()
        WorkManager.getInstance(context)
            .enqueueUniquePeriodicWork(SyncSchedule.PERIODIC, ExistingPeriodicWorkPolicy.KEEP, request)
    }
}
