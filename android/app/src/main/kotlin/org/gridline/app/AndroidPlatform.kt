// What the app core asks of the phone, on Android: the device secret kept encrypted under a key
// in the Android Keystore (SecureStorage), the last location fix (LocationProvider), local
// notifications when a sync brings a state change (Notifier), and a background sync soon
// (BackgroundScheduler, through WorkManager). The core decides when each is used and what the
// notification says; these classes only reach the platform. Compiled by Android Studio only.
package org.gridline.app

import android.Manifest
import android.annotation.SuppressLint
import android.app.NotificationChannel
import android.app.NotificationManager
import android.content.Context
import android.content.pm.PackageManager
import android.location.LocationManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Base64
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import androidx.core.content.ContextCompat
import java.security.KeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import org.gridline.sdk.core.BackgroundScheduler
import org.gridline.sdk.core.LocalNotification
import org.gridline.sdk.core.LocationFix
import org.gridline.sdk.core.LocationProvider
import org.gridline.sdk.core.Notifier
import org.gridline.sdk.core.SecureStorage

/**
 * Secrets encrypted with AES-GCM under a key that never leaves the Android Keystore; only the
 * ciphertext (IV first) is kept, in private preferences. A key lost with a restore to a new
 * phone makes the value unreadable, which the core treats as no secret (a new anonymous account).
 */
class KeystoreSecureStorage(context: Context) : SecureStorage {
    private val preferences = context.getSharedPreferences("gridline.secure", Context.MODE_PRIVATE)
    private val keyAlias = "gridline.secure.key"
    private val transformation = "AES/GCM/NoPadding"

    private fun key(): SecretKey {
        val store = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
        (store.getKey(keyAlias, null) as SecretKey?)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore")
        generator.init(
            KeyGenParameterSpec.Builder(keyAlias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .build(),
        )
        return generator.generateKey()
    }

    override fun read(key: String): String? {
        val stored = preferences.getString(key, null) ?: return null
        return runCatching {
            val bytes = Base64.decode(stored, Base64.NO_WRAP)
            val ivLength = bytes[0].toInt()
            val cipher = Cipher.getInstance(transformation)
            cipher.init(Cipher.DECRYPT_MODE, key(), GCMParameterSpec(/* GCM's full tag */ 128, bytes, 1, ivLength))
            String(cipher.doFinal(bytes, 1 + ivLength, bytes.size - 1 - ivLength), Charsets.UTF_8)
        }.getOrNull()
    }

    override fun write(key: String, value: String) {
        val cipher = Cipher.getInstance(transformation)
        cipher.init(Cipher.ENCRYPT_MODE, key())
        val sealed = byteArrayOf(cipher.iv.size.toByte()) + cipher.iv + cipher.doFinal(value.toByteArray(Charsets.UTF_8))
        preferences.edit().putString(key, Base64.encodeToString(sealed, Base64.NO_WRAP)).apply()
    }

    override fun delete(key: String) {
        preferences.edit().remove(key).apply()
    }
}

/** The freshest fix the phone has from GPS or the network, if location is allowed. */
class AndroidLocationProvider(private val context: Context) : LocationProvider {
    @SuppressLint("MissingPermission")
    override fun currentFix(): LocationFix? {
        val allowed =
            listOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION).any {
                ContextCompat.checkSelfPermission(context, it) == PackageManager.PERMISSION_GRANTED
            }
        if (!allowed) return null
        val manager = context.getSystemService(Context.LOCATION_SERVICE) as LocationManager
        return manager.getProviders(true)
            .mapNotNull { manager.getLastKnownLocation(it) }
            .maxByOrNull { it.time }
            ?.let { LocationFix(lat = it.latitude, lon = it.longitude, accuracyM = if (it.hasAccuracy()) it.accuracy.toDouble() else null) }
    }
}

/** Posts the core's notification (its title and body) on the app's channel, if allowed. */
class AndroidNotifier(private val context: Context) : Notifier {
    private val channel = "gridline.reports"

    override fun notify(notification: LocalNotification) {
        val manager = NotificationManagerCompat.from(context)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.O) {
            manager.createNotificationChannel(
                NotificationChannel(channel, context.getString(R.string.notification_channel), NotificationManager.IMPORTANCE_DEFAULT),
            )
        }
        val allowed =
            Build.VERSION.SDK_INT < Build.VERSION_CODES.TIRAMISU ||
                ContextCompat.checkSelfPermission(context, Manifest.permission.POST_NOTIFICATIONS) == PackageManager.PERMISSION_GRANTED
        if (!allowed) return
        val built =
            NotificationCompat.Builder(context, channel)
                .setSmallIcon(R.drawable.ic_launcher_foreground)
                .setContentTitle(notification.title)
                .setContentText(notification.body)
                .setAutoCancel(true)
                .build()
        @SuppressLint("MissingPermission")
        manager.notify(notification.caseId.hashCode(), built)
    }
}

/** A background sync soon, through WorkManager (SyncScheduler). */
class WorkManagerScheduler(private val context: Context) : BackgroundScheduler {
    override fun scheduleSync(afterSecs: ULong) = SyncScheduler.syncSoon(context)
}
