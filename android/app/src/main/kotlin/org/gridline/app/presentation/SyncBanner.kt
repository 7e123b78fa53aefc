// Which offline/sync banner the app shows, chosen from the SDK's sync state, the count of
// unsent items and whether the device has a network. The banner is a key plus arguments, so
// Android (R.string) and iOS (Localizable.strings) each render it in the user's language.
package org.gridline.app.presentation

import org.gridline.sdk.ffi.SyncState

/** The banner's text, by string key (the same names in values/strings.xml and values-zh). */
enum class BannerKey(val resourceName: String) {
    OFFLINE("banner_offline"),
    OFFLINE_UNSENT("banner_offline_unsent"),
    SYNCING("banner_syncing"),
    RETRYING("banner_retrying"),
    UNSENT("banner_unsent"),
    SYNC_FAILED("banner_sync_failed"),
}

/** A banner to show: its text key, the numbers it carries, and whether it is a warning. */
data class Banner(val key: BannerKey, val args: List<Long> = emptyList(), val warning: Boolean = false)

/**
 * The banner for [state] with [unsent] items not yet delivered while the device is [online];
 * null when everything is sent and nothing is happening. Being offline wins over everything
 * else (the sync state lags the connectivity callback); a running sync comes next.
 */
fun bannerFor(state: SyncState, unsent: Int, online: Boolean): Banner? {
    val count = unsent.toLong()
    return when {
        !online && unsent > 0 -> Banner(BannerKey.OFFLINE_UNSENT, listOf(count), warning = true)
        !online -> Banner(BannerKey.OFFLINE, warning = true)
        state is SyncState.Syncing -> Banner(BannerKey.SYNCING, listOf(state.done.toLong(), state.total.toLong()))
        state is SyncState.WaitingForNetwork ->
            // Round up: "retrying in 0 s" while a retry is still pending reads as a bug.
            Banner(BannerKey.RETRYING, listOf(count, (state.retryIn.toMillis() + 999) / 1000), warning = true)
        state is SyncState.Error -> Banner(BannerKey.SYNC_FAILED, listOf(count), warning = true)
        unsent > 0 -> Banner(BannerKey.UNSENT, listOf(count))
        else -> null
    }
}
