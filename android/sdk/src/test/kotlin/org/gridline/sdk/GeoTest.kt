// Coordinate conversion and distance through the real generated bindings and the host library:
// reference values from gridline-core's own tests, so Kotlin sees exactly what Rust computes.
package org.gridline.sdk

import kotlin.math.abs
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import org.gridline.sdk.ffi.convertPoint
import org.gridline.sdk.ffi.distanceM
import org.gridline.sdk.ffi.GridlineException
import org.junit.jupiter.api.Test

class GeoTest {
    // WGS-84 and GCJ-02 of the same Shanghai point (eviltransform's reference pair), and the
    // BD-09 of that GCJ-02 point from Baidu's published formula.
    private val shanghaiWgs84 = GeoPoint(lat = 31.1774276, lon = 121.5272106)
    private val shanghaiGcj02 = GeoPoint(lat = 31.17530398364597, lon = 121.531541859215)
    private val shanghaiBd09 = GeoPoint(lat = 31.181328606874466, lon = 121.53801568643858)

    private fun assertNear(expected: GeoPoint, actual: GeoPoint, degrees: Double) {
        assertTrue(abs(expected.lat - actual.lat) < degrees, "lat: expected $expected, got $actual")
        assertTrue(abs(expected.lon - actual.lon) < degrees, "lon: expected $expected, got $actual")
    }

    @Test
    fun `wgs84 to gcj02 matches the reference pair`() {
        assertNear(shanghaiGcj02, convertPoint(shanghaiWgs84, Crs.WGS84, Crs.GCJ02), 1e-9)
    }

    @Test
    fun `gcj02 to bd09 matches the reference`() {
        assertNear(shanghaiBd09, convertPoint(shanghaiGcj02, Crs.GCJ02, Crs.BD09), 1e-9)
    }

    @Test
    fun `bd09 to wgs84 recovers the gps point within a millimetre`() {
        val back = convertPoint(shanghaiBd09, Crs.BD09, Crs.WGS84)
        assertTrue(distanceM(back, shanghaiWgs84) < 0.001, "got $back")
    }

    @Test
    fun `every pair of systems round trips`() {
        for (from in Crs.entries) {
            for (to in Crs.entries) {
                val there = convertPoint(shanghaiWgs84, from, to)
                val back = convertPoint(there, to, from)
                assertTrue(distanceM(back, shanghaiWgs84) < 0.01, "$from -> $to -> $from: $back")
            }
        }
    }

    @Test
    fun `converting to the same system returns the point unchanged`() {
        assertEquals(shanghaiGcj02, convertPoint(shanghaiGcj02, Crs.GCJ02, Crs.GCJ02))
    }

    @Test
    fun `the offset between datums in china is hundreds of metres`() {
        val offset = distanceM(shanghaiWgs84, shanghaiGcj02)
        assertTrue(offset in 100.0..1000.0, "offset $offset m")
    }

    @Test
    fun `one degree of latitude is about 111 km`() {
        val d = distanceM(GeoPoint(lat = 30.0, lon = 120.0), GeoPoint(lat = 31.0, lon = 120.0))
        assertEquals(111_195.0, d, 1.0)
        assertEquals(0.0, distanceM(shanghaiWgs84, shanghaiWgs84))
    }

    @Test
    fun `a latitude off the globe is refused by field without echoing the value`() {
        val e = assertFailsWith<GridlineException.InvalidInput> {
            convertPoint(GeoPoint(lat = 91.5, lon = 121.0), Crs.WGS84, Crs.GCJ02)
        }
        assertEquals("lat", e.field)
        assertTrue(e.reason.contains("[-90, 90]"), e.reason)
        assertFalse(e.message.orEmpty().contains("91.5"), e.message)
    }

    @Test
    fun `a longitude off the globe or not a number is refused`() {
        val e = assertFailsWith<GridlineException.InvalidInput> {
            distanceM(shanghaiWgs84, GeoPoint(lat = 31.0, lon = 181.0))
        }
        assertEquals("lon", e.field)
        val nan = assertFailsWith<GridlineException.InvalidInput> {
            convertPoint(GeoPoint(lat = Double.NaN, lon = 0.0), Crs.BD09, Crs.WGS84)
        }
        assertEquals("lat", nan.field)
    }
}
