// The inspector's work list: ordering, the "waiting for me" filter and queued steps.
package org.gridline.app.presentation

import kotlin.test.assertEquals
import kotlin.test.assertTrue
import org.gridline.sdk.CachedCase
import org.gridline.sdk.CaseState
import org.gridline.sdk.PullList
import org.junit.jupiter.api.Test

fun cached(id: String, state: CaseState, createdAt: String) = CachedCase(PullList.WORK_LIST, id, state, "{}", createdAt)

class WorkListTest {
    private val cases =
        listOf(
            cached("a", CaseState.DISPATCHED, "2026-03-01T08:00:00Z"),
            cached("b", CaseState.REPORTED, "2026-03-02T08:00:00Z"),
            cached("c", CaseState.HANDLED, "2026-03-03T08:00:00Z"),
            cached("d", CaseState.REPORTED, "2026-03-01T09:00:00+08:00"),
            cached("e", CaseState.CLOSED, "2026-02-01T08:00:00Z"),
            cached("f", CaseState.REPORTED, "not a time"),
            cached("g", CaseState.IN_PROGRESS, "2026-01-01T08:00:00Z"),
        )

    @Test
    fun `verification first, then new reports oldest first, then the rest, finished last`() {
        assertEquals(listOf("c", "d", "b", "f", "a", "g", "e"), orderWorkList(cases).map { it.id })
    }

    @Test
    fun `every state has a priority and waiting for the inspector means handled or reported`() {
        val mine = CaseState.entries.filter { inspectorPriority(it) <= 1 }.toSet()
        assertEquals(setOf(CaseState.HANDLED, CaseState.REPORTED), mine)
    }

    @Test
    fun `pulled, filtered, queued and settled`() {
        val pulled = reduce(WorkListState(), WorkListEvent.Pulled(cases))
        assertTrue(pulled.loaded)
        assertEquals(7, pulled.rows.size)
        val mine = reduce(pulled, WorkListEvent.FilterChanged(onlyMine = true))
        assertEquals(listOf("c", "d", "b", "f"), mine.rows.map { it.id })
        val queued = reduce(reduce(mine, WorkListEvent.StepQueued("c")), WorkListEvent.StepQueued("d"))
        assertEquals(setOf("c", "d"), queued.queued)
        assertEquals(setOf("d"), reduce(queued, WorkListEvent.StepsSettled(setOf("d", "x"))).queued)
    }
}
