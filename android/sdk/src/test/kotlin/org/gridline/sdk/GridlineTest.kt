// The idiomatic SDK layer (object Gridline): defaults, the coroutine batch conversion and the
// null-returning validators, over the real host library.
package org.gridline.sdk

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.gridline.sdk.ffi.GridlineException
import org.junit.jupiter.api.Test

class GridlineTest {
    private val gcj02 = GeoPoint(lat = 31.17530398364597, lon = 121.531541859215)
    private val wgs84 = GeoPoint(lat = 31.1774276, lon = 121.5272106)

    @Test
    fun `convert goes to wgs84 by default`() {
        val got = Gridline.convert(gcj02, Crs.GCJ02)
        assertTrue(Gridline.distanceMeters(got, wgs84) < 0.001, "got $got")
    }

    @Test
    fun `convertAll converts every point in order off the calling thread`() = runBlocking<Unit> {
        val track = listOf(gcj02, GeoPoint(lat = 39.91334545536069, lon = 116.38404722455657))
        val got = Gridline.convertAll(track, Crs.GCJ02)
        assertEquals(2, got.size)
        assertTrue(Gridline.distanceMeters(got[0], wgs84) < 0.001, "got ${got[0]}")
        assertTrue(Gridline.distanceMeters(got[1], GeoPoint(lat = 39.911954, lon = 116.377817)) < 0.001)
    }

    @Test
    fun `convertAll stops at an invalid point`() {
        assertFailsWith<GridlineException.InvalidInput> {
            runBlocking { Gridline.convertAll(listOf(gcj02, GeoPoint(lat = 0.0, lon = -200.0)), Crs.GCJ02) }
        }
    }

    @Test
    fun `the OrNull validators return null instead of throwing`() {
        assertNotNull(Gridline.gridCodeOrNull("110101003012007"))
        assertNull(Gridline.gridCodeOrNull("11010100301200"))
        assertEquals("C0101", Gridline.categoryCodeOrNull("c0101")?.code)
        assertNull(Gridline.categoryCodeOrNull("X0101"))
    }

    @Test
    fun `the throwing validators pass the error through`() {
        assertEquals("110101", Gridline.parseGridCode("110101003012007").district)
        assertEquals(
            "category_code",
            assertFailsWith<GridlineException.InvalidInput> { Gridline.parseCategoryCode("C01") }.field,
        )
    }
}
