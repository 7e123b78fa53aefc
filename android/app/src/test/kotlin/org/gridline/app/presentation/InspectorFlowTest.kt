// The inspector's screens over the real SDK and server: a citizen's report reaches the pulled
// work list, where the list state orders and filters it and a queued step marks it; the step
// form offers only what the core's rule table allows.
package org.gridline.app.presentation

import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import org.gridline.sdk.CaseState
import org.gridline.sdk.Gridline
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.ItemStatus
import org.gridline.sdk.OkHttpTransport
import org.gridline.sdk.PullList
import org.gridline.sdk.Role
import org.gridline.sdk.TestServer
import org.gridline.sdk.WorkflowAction
import org.gridline.sdk.cameraJpeg
import org.gridline.sdk.completeFields
import org.gridline.sdk.dataFolder
import org.gridline.sdk.jsonString
import org.gridline.sdk.ffi.SyncOutcome
import org.junit.jupiter.api.Test

class InspectorFlowTest {
    @Test
    fun `a new report is on the pulled work list, waiting for the inspector, with only allowed steps`() = runBlocking<Unit> {
        // Two reports, one after the other: both wait for the inspector, the older one first.
        val (reported, later) = GridlineClient.open(TestServer.url, dataFolder()).use { citizen ->
            citizen.signInAnonymously()
            val ids = listOf("Broken paving by the market", "Broken paving by the bus stop").mapIndexed { n, text ->
                val draft = citizen.createDraft(completeFields(TestServer.point, text))
                citizen.addPhoto(draft.id, cameraJpeg(seed = 21 + n))
                val item = citizen.submit(draft.id)
                assertEquals(SyncOutcome.Idle, citizen.syncNow())
                val delivered = citizen.outbox(includeDelivered = true).first().single { it.id == item.id }
                assertEquals(ItemStatus.DELIVERED, delivered.status)
                jsonString(assertNotNull(delivered.serverResult), "id")
            }
            ids[0] to ids[1]
        }
        GridlineClient.open(TestServer.url, dataFolder(), OkHttpTransport()).use { inspector ->
            val (login, password) = TestServer.staff("inspector")
            inspector.signInStaff(login, password)
            inspector.setPullLists(listOf(PullList.WORK_LIST))
            assertEquals(SyncOutcome.Idle, inspector.syncNow())

            val pulled = reduce(WorkListState(), WorkListEvent.Pulled(inspector.cachedCases(PullList.WORK_LIST)))
            val mine = reduce(pulled, WorkListEvent.FilterChanged(onlyMine = true))
            val row = assertNotNull(mine.rows.find { it.id == reported }, "the report waits for the inspector")
            assertEquals(CaseState.REPORTED, row.state)
            val order = pulled.rows.map { it.id }
            assertTrue(order.indexOf(reported) in 0 until order.indexOf(later), "the older waiting report first: $order")

            // On a handled case the inspector is offered the checks on site, and a step that is
            // not offered (registering, the dispatcher's) changes nothing when chosen.
            val handled = CaseActionState(row.id, CaseState.HANDLED, Gridline.availableActions(CaseState.HANDLED, Role.INSPECTOR))
            assertEquals(setOf(WorkflowAction.VERIFY_PASS, WorkflowAction.VERIFY_FAIL), handled.available.toSet())
            assertEquals(handled, reduce(handled, CaseActionEvent.ActionChosen(WorkflowAction.REGISTER)))
            assertTrue(reduce(pulled, WorkListEvent.StepQueued(row.id)).queued.contains(row.id))
        }
    }
}
