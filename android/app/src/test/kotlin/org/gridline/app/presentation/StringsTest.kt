// The app's string resources, checked without the Android SDK: English and Chinese define the
// same names, every R.string the screens use exists, and the iOS app's Localizable.strings
// (English and Chinese) carry every one of them. These are the shell's own words only (buttons
// for the camera and the map, permission prompts); everything about a report is worded by the core.
// Paths are relative to the repository root, where scripts/test-mobile runs the tests.
package org.gridline.app.presentation

import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

class StringsTest {
    private val app = listOf(File("android/app"), File("app"), File(".")).first { File(it, "src/main/res").isDirectory }

    private fun names(folder: String): Set<String> =
        Regex("""<string name="([a-z0-9_]+)"""").findAll(File(app, "src/main/res/$folder/strings.xml").readText()).map { it.groupValues[1] }.toSet()

    @Test
    fun `English and Chinese define the same strings`() {
        assertEquals(names("values"), names("values-zh"))
    }

    @Test
    fun `every string the screens use is defined`() {
        val used =
            File(app, "src/main/kotlin/org/gridline/app").walk().filter { it.extension == "kt" }
                .flatMap { Regex("""R\.string\.([a-z0-9_]+)""").findAll(it.readText()).map { m -> m.groupValues[1] } }.toSet()
        assertTrue(used.size > 20, "found only $used")
        assertEquals(emptySet(), used - names("values"))
    }

    @Test
    fun `the iOS app has every Android string in English and Chinese`() {
        val ios = File(app, "../../ios/App/GridlineApp")
        for (language in listOf("en", "zh-Hans")) {
            val keys = Regex("""^"([a-z0-9_]+)" = """, RegexOption.MULTILINE).findAll(File(ios, "$language.lproj/Localizable.strings").readText()).map { it.groupValues[1] }.toSet()
            assertEquals(emptySet(), names("values") - keys, language)
        }
    }
}
