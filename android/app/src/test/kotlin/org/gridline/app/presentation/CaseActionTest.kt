// The inspector's handle/verify form: what each step needs and what the reducer refuses. The
// offered steps come from the core's rule table (Gridline.availableActions), as on a phone.
package org.gridline.app.presentation

import kotlin.test.assertEquals
import kotlin.test.assertTrue
import org.gridline.sdk.CaseState
import org.gridline.sdk.Crs
import org.gridline.sdk.Gridline
import org.gridline.sdk.Position
import org.gridline.sdk.Role
import org.gridline.sdk.WorkflowAction
import org.junit.jupiter.api.Test

class CaseActionTest {
    private val handled = CaseActionState("c1", CaseState.HANDLED, Gridline.availableActions(CaseState.HANDLED, Role.INSPECTOR))

    @Test
    fun `no step chosen, and a step not available in the known state is not taken`() {
        assertEquals(listOf(ActionProblem.NO_ACTION), handled.problems)
        assertEquals(handled, reduce(handled, CaseActionEvent.ActionChosen(WorkflowAction.REGISTER)))
        assertEquals(listOf(ActionProblem.NOT_AVAILABLE), handled.copy(action = WorkflowAction.REGISTER, reason = "x").problems)
    }

    @Test
    fun `verifying needs a photo and the position, failing it also a reason`() {
        val pass = reduce(handled, CaseActionEvent.ActionChosen(WorkflowAction.VERIFY_PASS))
        assertEquals(listOf(ActionProblem.PHOTO_MISSING, ActionProblem.POSITION_MISSING), pass.problems)
        val ready = reduce(reduce(pass, CaseActionEvent.PhotoTaken(byteArrayOf(1))), CaseActionEvent.PositionFixed(Position(lat = 39.9087, lon = 116.3975, crs = Crs.GCJ02, accuracyM = 7.6)))
        assertEquals(emptyList(), ready.problems)
        val fail = reduce(ready, CaseActionEvent.ActionChosen(WorkflowAction.VERIFY_FAIL))
        assertEquals(listOf(ActionProblem.REASON_MISSING), fail.problems)
        assertEquals(emptyList(), reduce(fail, CaseActionEvent.ReasonChanged("still broken")).problems)
        assertEquals(listOf(ActionProblem.PHOTO_MISSING, ActionProblem.REASON_MISSING), reduce(fail, CaseActionEvent.PhotoRemoved(0)).problems)
    }

    @Test
    fun `marking handled needs a photo (the photo limit is the core's, refused when queued), and queuing is remembered`() {
        val inProgress = CaseActionState("c2", CaseState.IN_PROGRESS, Gridline.availableActions(CaseState.IN_PROGRESS, Role.HANDLER))
        assertTrue(WorkflowAction.MARK_HANDLED in inProgress.available)
        val mark = reduce(inProgress, CaseActionEvent.ActionChosen(WorkflowAction.MARK_HANDLED))
        assertEquals(listOf(ActionProblem.PHOTO_MISSING), mark.problems)
        val ten = (1..10).fold(mark) { s, i -> reduce(s, CaseActionEvent.PhotoTaken(byteArrayOf(i.toByte()))) }
        assertEquals(emptyList(), ten.problems)
        assertEquals(listOf(2, 3, 4, 5, 6, 7, 8, 9, 10), reduce(ten, CaseActionEvent.PhotoRemoved(0)).photos.map { it[0].toInt() })
        assertTrue(reduce(ten, CaseActionEvent.Queued).queued)
    }
}
