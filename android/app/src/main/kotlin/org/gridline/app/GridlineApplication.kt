// The app process: opens the one GridlineClient (store in filesDir, OkHttp transport) the first
// time a screen or the sync worker asks for it, keeps it for the life of the process, and makes
// sure the periodic background sync is enqueued.
package org.gridline.app

import android.app.Application
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import okhttp3.OkHttpClient
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.OkHttpTransport

class GridlineApplication : Application() {
    private val opening = Mutex()
    private var client: GridlineClient? = null

    override fun onCreate() {
        super.onCreate()
        SyncScheduler.syncPeriodically(this)
    }

    /** The client, opened once. */
    suspend fun client(): GridlineClient =
        opening.withLock {
            client ?: GridlineClient.open(BuildConfig.SERVER_URL, filesDir, OkHttpTransport(OkHttpClient())).also { client = it }
        }
}
