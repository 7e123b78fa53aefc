// Grid and category code validation through the real generated bindings: what parses, the
// parts it reports, and that every kind of refusal names the right field.
package org.gridline.sdk

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import org.gridline.sdk.ffi.parseCategoryCode
import org.gridline.sdk.ffi.parseGridCode
import org.gridline.sdk.ffi.GridlineException
import org.junit.jupiter.api.Test

class CodesTest {
    @Test
    fun `a fifteen digit grid code exposes every level`() {
        val info = parseGridCode(" 110101003012007 ")
        assertEquals(
            GridCodeInfo(
                code = "110101003012007",
                district = "110101",
                street = "110101003",
                community = "110101003012",
                gridNumber = 7u,
            ),
            info,
        )
    }

    @Test
    fun `a fourteen digit cjt213 code is widened to fifteen digits`() {
        val info = parseGridCode("31010400200315")
        assertEquals("310104002003015", info.code)
        assertEquals(15.toUShort(), info.gridNumber)
    }

    @Test
    fun `every kind of bad grid code is refused as grid_code with its reason`() {
        val cases = mapOf(
            "1101010030120" to "15 digits",
            "11010100301200x" to "only digits",
            "990101003012007" to "province",
            "110101000012007" to "street",
            "110101003012000" to "grid",
        )
        for ((text, expected) in cases) {
            val e = assertFailsWith<GridlineException.InvalidInput>(text) { parseGridCode(text) }
            assertEquals("grid_code", e.field, text)
            assertTrue(e.reason.contains(expected), "$text: ${e.reason}")
        }
    }

    @Test
    fun `category codes are normalized with their parts`() {
        assertEquals(
            CategoryCodeInfo(code = "E0203", kind = CategoryKind.EVENT, major = 2u, minor = 3u),
            parseCategoryCode("e-0203"),
        )
        assertEquals(CategoryKind.COMPONENT, parseCategoryCode("C0101").kind)
    }

    @Test
    fun `a malformed category is refused without echoing the text`() {
        val e = assertFailsWith<GridlineException.InvalidInput> { parseCategoryCode("call 13800138000") }
        assertEquals("category_code", e.field)
        assertTrue(e.reason.contains("C0101"), e.reason)
        assertTrue(!e.message.orEmpty().contains("13800138000"), e.message)
    }

    @Test
    fun `a zero category class is refused`() {
        val e = assertFailsWith<GridlineException.InvalidInput> { parseCategoryCode("C0001") }
        assertEquals("category_code", e.field)
        assertTrue(e.reason.contains("major"), e.reason)
    }
}
