// The app process: opens the one GridlineClient (store in filesDir, OkHttp transport) and the
// one app core over it (with the Android platform: Keystore, location, notifications,
// WorkManager) the first time a screen or the sync worker asks, keeps them for the life of the
// process, and makes sure the periodic background sync is enqueued. A push token from the
// city's push service (the FCM service of the city's build calls onPushToken from
// onNewToken) goes to the core, which registers it for the signed-in account.
package org.gridline.app

import android.app.Application
import java.util.Locale
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import okhttp3.OkHttpClient
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.OkHttpTransport
import org.gridline.app.presentation.dispatch
import org.gridline.sdk.core.AppCore
import org.gridline.sdk.core.AppIntent
import org.gridline.sdk.core.Language
import org.gridline.sdk.core.PushPlatform

class GridlineApplication : Application() {
    private val opening = Mutex()
    private var client: GridlineClient? = null
    private var appCore: AppCore? = null

    override fun onCreate() {
        super.onCreate()
        SyncScheduler.syncPeriodically(this)
    }

    /** The client, opened once. */
    suspend fun client(): GridlineClient =
        opening.withLock { openClient() }

    private suspend fun openClient(): GridlineClient =
        client ?: GridlineClient.open(BuildConfig.SERVER_URL, filesDir, OkHttpTransport(OkHttpClient())).also { client = it }

    /** The app core (every citizen screen's view model), opened once over the client. */
    suspend fun appCore(): AppCore =
        opening.withLock {
            appCore ?: openClient().appCore(
                AndroidLocationProvider(this),
                AndroidNotifier(this),
                KeystoreSecureStorage(this),
                WorkManagerScheduler(this),
                if (Locale.getDefault().language == "zh") Language.ZH else Language.EN,
            ).also { appCore = it }
        }

    /** The platform gave a push token (first, or a rotated one): the core registers it. */
    suspend fun onPushToken(token: String) {
        appCore().dispatch(AppIntent.RegisterPushToken(token, PushPlatform.ANDROID))
    }
}
