// The patrol track with the app in the background, on Android: a foreground service of type
// "location", running while the core says the inspector is on duty. It asks LocationManager for
// updates (GPS, else the network) at the interval the core gives and hands each one to the core
// as PatrolIntent.Moved with the fix's own time; the core decides which to keep (one per
// interval, whatever the platform's cadence), queues them and uploads them. The ongoing
// notification shows the core's words (backgroundTitle, statusText). The service stops itself
// when the duty ends, from whichever screen or process ended it. Started by the patrol screen
// (from the foreground, so the while-in-use location permission suffices). Compiled by Android
// Studio only.
package org.gridline.app

import android.Manifest
import android.annotation.SuppressLint
import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.Service
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.content.pm.ServiceInfo
import android.location.Location
import android.location.LocationListener
import android.location.LocationManager
import android.os.Build
import android.os.Bundle
import android.os.IBinder
import android.os.Looper
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import androidx.core.content.ContextCompat
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import org.gridline.app.presentation.dispatch
import org.gridline.app.presentation.openPatrol
import org.gridline.app.presentation.states
import org.gridline.sdk.core.LocationFix
import org.gridline.sdk.core.PatrolIntent
import org.gridline.sdk.core.PatrolModel
import org.gridline.sdk.core.PatrolState

class PatrolService : Service() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)
    private var listener: LocationListener? = null

    override fun onBind(intent: Intent?): IBinder? = null

    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        // Within seconds of the start, as Android requires; the core's words replace it at once.
        show(getString(R.string.app_name), "")
        if (listener == null) scope.launch { follow((application as GridlineApplication).appCore().openPatrol()) }
        return START_STICKY
    }

    /** Records while the core says on duty; stops the service when it says otherwise. */
    private suspend fun follow(model: PatrolModel) {
        try {
            model.states().collect { state ->
                if (!(state.available && state.onDuty)) {
                    stopSelf()
                    return@collect
                }
                show(state.backgroundTitle, state.statusText)
                listen(model, state)
            }
        } finally {
            model.close()
        }
    }

    @SuppressLint("MissingPermission")
    private fun listen(model: PatrolModel, state: PatrolState) {
        if (listener != null || !locationAllowed(this)) return
        val manager = getSystemService(Context.LOCATION_SERVICE) as LocationManager
        val provider =
            listOf(LocationManager.GPS_PROVIDER, LocationManager.NETWORK_PROVIDER).firstOrNull { manager.isProviderEnabled(it) }
                ?: return
        val heard =
            object : LocationListener {
                override fun onLocationChanged(location: Location) {
                    val fix =
                        LocationFix(
                            lat = location.latitude,
                            lon = location.longitude,
                            accuracyM = if (location.hasAccuracy()) location.accuracy.toDouble() else null,
                        )
                    scope.launch { model.dispatch(PatrolIntent.Moved(fix, location.time)) }
                }

                // Abstract before API 29; nothing to do for them.
                @Deprecated("Deprecated in API 29")
                override fun onStatusChanged(provider: String?, status: Int, extras: Bundle?) {}

                override fun onProviderEnabled(provider: String) {}

                override fun onProviderDisabled(provider: String) {}
            }
        manager.requestLocationUpdates(provider, state.intervalSecs.toLong() * 1000, 0f, heard, Looper.getMainLooper())
        listener = heard
    }

    private fun show(title: String, text: String) {
        val channel = "gridline.patrol"
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.O) {
            NotificationManagerCompat.from(this).createNotificationChannel(
                NotificationChannel(channel, title, NotificationManager.IMPORTANCE_LOW),
            )
        }
        val notification: Notification =
            NotificationCompat.Builder(this, channel)
                .setSmallIcon(R.drawable.ic_launcher_foreground)
                .setContentTitle(title)
                .setContentText(text)
                .setOngoing(true)
                .build()
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
            startForeground(NOTIFICATION_ID, notification, ServiceInfo.FOREGROUND_SERVICE_TYPE_LOCATION)
        } else {
            startForeground(NOTIFICATION_ID, notification)
        }
    }

    override fun onDestroy() {
        listener?.let { (getSystemService(Context.LOCATION_SERVICE) as LocationManager).removeUpdates(it) }
        listener = null
        scope.cancel()
        super.onDestroy()
    }

    companion object {
        private const val NOTIFICATION_ID = 0x9A7

        /** Starts (or keeps) the service; it stops itself once the core says off duty. */
        fun start(context: Context) {
            ContextCompat.startForegroundService(context, Intent(context, PatrolService::class.java))
        }

        private fun locationAllowed(context: Context): Boolean =
            listOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION).any {
                ContextCompat.checkSelfPermission(context, it) == PackageManager.PERMISSION_GRANTED
            }
    }
}
