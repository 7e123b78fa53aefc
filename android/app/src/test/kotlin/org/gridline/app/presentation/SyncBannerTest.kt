// The banner chosen for every sync state, online and offline, with and without unsent items.
package org.gridline.app.presentation

import java.time.Duration
import java.time.Instant
import kotlin.test.assertEquals
import kotlin.test.assertNull
import org.gridline.sdk.ffi.SyncState
import org.junit.jupiter.api.Test

class SyncBannerTest {
    private val waiting = SyncState.WaitingForNetwork(Instant.parse("2026-01-01T00:00:10Z"), Duration.ofMillis(4_200))

    @Test
    fun `offline wins over every sync state`() {
        for (state in listOf(SyncState.Idle, SyncState.Syncing(1u, 3u), waiting, SyncState.Error("x"))) {
            assertEquals(Banner(BannerKey.OFFLINE, warning = true), bannerFor(state, 0, online = false))
            assertEquals(Banner(BannerKey.OFFLINE_UNSENT, listOf(2), warning = true), bannerFor(state, 2, online = false))
        }
    }

    @Test
    fun `online - syncing, retrying (seconds rounded up), failed, unsent, or no banner`() {
        assertEquals(Banner(BannerKey.SYNCING, listOf(1, 3)), bannerFor(SyncState.Syncing(1u, 3u), 3, online = true))
        assertEquals(Banner(BannerKey.RETRYING, listOf(2, 5), warning = true), bannerFor(waiting, 2, online = true))
        assertEquals(Banner(BannerKey.SYNC_FAILED, listOf(1), warning = true), bannerFor(SyncState.Error("500"), 1, online = true))
        assertEquals(Banner(BannerKey.UNSENT, listOf(4)), bannerFor(SyncState.Idle, 4, online = true))
        assertNull(bannerFor(SyncState.Idle, 0, online = true))
    }

    @Test
    fun `every banner key names a string resource`() {
        assertEquals(
            listOf("banner_offline", "banner_offline_unsent", "banner_syncing", "banner_retrying", "banner_unsent", "banner_sync_failed"),
            BannerKey.entries.map { it.resourceName },
        )
    }
}
