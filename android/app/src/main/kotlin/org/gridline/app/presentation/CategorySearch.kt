// Category search for the picker: one box that finds a category by its code (`E0101`, `e-01`),
// its Chinese name or its English name, best matches first.
package org.gridline.app.presentation

import org.gridline.sdk.CategoryInfo

/**
 * The categories matching [query], best first: code matches (exact, then prefix), then names
 * starting with the query, then names containing it; ties keep the code order. A blank query
 * lists every category by code. Codes match without case or the separator (`e-0101` = `E0101`).
 */
fun searchCategories(categories: List<CategoryInfo>, query: String): List<CategoryInfo> {
    val text = query.trim()
    if (text.isEmpty()) return categories.sortedBy { it.code }
    val code = text.replace("-", "").uppercase()
    val lower = text.lowercase()
    fun rank(category: CategoryInfo): Int? {
        val names = listOf(category.nameZh, category.nameEn.lowercase())
        return when {
            category.code.equals(code, ignoreCase = true) -> 0
            category.code.startsWith(code, ignoreCase = true) -> 1
            names.any { it.startsWith(lower) } -> 2
            names.any { it.contains(lower) } -> 3
            else -> null
        }
    }
    return categories
        .mapNotNull { category -> rank(category)?.let { it to category } }
        .sortedWith(compareBy({ it.first }, { it.second.code }))
        .map { it.second }
}
