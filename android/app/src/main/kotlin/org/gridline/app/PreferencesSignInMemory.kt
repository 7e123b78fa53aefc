// Who signed in, and the anonymous account's device secret, kept in the app's private
// SharedPreferences (the core keeps the session's tokens in its own store next to them). They
// go with the app's Auto Backup, so a reinstalled app signs in to the same anonymous account.
package org.gridline.app

import android.content.Context
import org.gridline.app.presentation.SavedAccount
import org.gridline.app.presentation.SignInMemory
import org.gridline.sdk.Role

class PreferencesSignInMemory(context: Context) : SignInMemory {
    private val prefs = context.getSharedPreferences("gridline-sign-in", Context.MODE_PRIVATE)

    override fun account(): SavedAccount? {
        val role = prefs.getString("role", null)?.let { name -> Role.entries.firstOrNull { it.name == name } } ?: return null
        return SavedAccount(
            userId = prefs.getString("user_id", null).orEmpty(),
            role = role,
            anonymous = prefs.getBoolean("anonymous", false),
            displayName = prefs.getString("display_name", null).orEmpty(),
        )
    }

    override fun keepAccount(account: SavedAccount?) {
        val edit = prefs.edit()
        if (account == null) {
            edit.remove("role").remove("user_id").remove("anonymous").remove("display_name")
        } else {
            edit.putString("role", account.role.name)
                .putString("user_id", account.userId)
                .putBoolean("anonymous", account.anonymous)
                .putString("display_name", account.displayName)
        }
        edit.apply()
    }

    override fun deviceSecret(): String? = prefs.getString("device_secret", null)

    override fun keepDeviceSecret(secret: String) {
        prefs.edit().putString("device_secret", secret).apply()
    }
}
