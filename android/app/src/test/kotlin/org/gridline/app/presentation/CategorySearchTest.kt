// Category search: by code (any case, with or without the separator), Chinese and English names.
package org.gridline.app.presentation

import kotlin.test.assertEquals
import org.junit.jupiter.api.Test

class CategorySearchTest {
    @Test
    fun `a blank query lists everything by code`() {
        assertEquals(listOf(manhole, rubbish, gasLeak), searchCategories(taxonomy, "  "))
    }

    @Test
    fun `codes match exactly or by prefix, without case or separator`() {
        assertEquals(listOf(rubbish), searchCategories(taxonomy, "e-0101"))
        assertEquals(listOf(rubbish, gasLeak), searchCategories(taxonomy, "e0"))
        assertEquals(listOf(manhole), searchCategories(taxonomy, "c01"))
    }

    @Test
    fun `Chinese and English names match, prefixes before substrings`() {
        assertEquals(listOf(gasLeak), searchCategories(taxonomy, "燃气"))
        assertEquals(listOf(rubbish), searchCategories(taxonomy, "垃圾"))
        assertEquals(listOf(manhole), searchCategories(taxonomy, "COVER"))
        val covered = listOf(manhole, rubbish.copy(nameEn = "Cover of a bin"))
        // "Cover of a bin" starts with the query, "Manhole cover" only contains it.
        assertEquals(listOf("E0101", "C0101"), searchCategories(covered, "cover").map { it.code })
    }

    @Test
    fun `nothing matches an unrelated query`() {
        assertEquals(emptyList(), searchCategories(taxonomy, "volcano"))
    }
}
