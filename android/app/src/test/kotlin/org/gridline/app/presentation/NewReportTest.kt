// The new-report reducer and form checks: every event's transition and every FormProblem.
package org.gridline.app.presentation

import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue
import org.gridline.sdk.CategoryInfo
import org.gridline.sdk.Crs
import org.gridline.sdk.FieldProblem
import org.gridline.sdk.Position
import org.junit.jupiter.api.Test

val manhole = CategoryInfo(code = "C0101", nameZh = "井盖", nameEn = "Manhole cover", anonymousAllowed = true)
val gasLeak = CategoryInfo(code = "E0203", nameZh = "燃气泄漏", nameEn = "Gas leak", anonymousAllowed = false)
val rubbish = CategoryInfo(code = "E0101", nameZh = "暴露垃圾", nameEn = "Exposed rubbish", anonymousAllowed = true)
val taxonomy = listOf(rubbish, gasLeak, manhole)
val fix = Position(lat = 39.9087, lon = 116.3975, crs = Crs.GCJ02, accuracyM = 7.6)

/** A form that passes every check. */
fun completeForm(): NewReportState =
    listOf(
        NewReportEvent.CategoriesLoaded(taxonomy),
        NewReportEvent.CategoryChosen("C0101"),
        NewReportEvent.DescriptionChanged("Cover missing at the crossing"),
        NewReportEvent.PermissionAnswered(true),
        NewReportEvent.PositionFixed(fix),
        NewReportEvent.PhotoAdded("p1"),
    ).fold(NewReportState(), ::reduce)

class NewReportTest {
    @Test
    fun `a complete form has no problems and sending moves it to submitting`() {
        val form = completeForm()
        assertEquals(emptyList(), form.problems)
        val sending = reduce(form, NewReportEvent.SendPressed)
        assertEquals(SendStatus.SUBMITTING, sending.status)
        assertTrue(sending.attempted)
        assertFalse(sending.canSend)
        // A second press while submitting changes nothing.
        assertEquals(sending, reduce(sending, NewReportEvent.SendPressed))
    }

    @Test
    fun `an empty form reports every missing field in form order, but only after the first send`() {
        val empty = NewReportState()
        assertEquals(
            listOf(FormProblem.CATEGORY_MISSING, FormProblem.DESCRIPTION_EMPTY, FormProblem.POSITION_MISSING, FormProblem.PHOTO_MISSING),
            empty.problems,
        )
        assertEquals(emptyList(), empty.shownProblems)
        val pressed = reduce(empty, NewReportEvent.SendPressed)
        assertEquals(SendStatus.EDITING, pressed.status)
        assertEquals(empty.problems, pressed.shownProblems)
    }

    @Test
    fun `a blank description is empty and one over 4000 characters is too long, counted in code points`() {
        val form = completeForm()
        assertEquals(listOf(FormProblem.DESCRIPTION_EMPTY), reduce(form, NewReportEvent.DescriptionChanged("  \n")).problems)
        val atLimit = reduce(form, NewReportEvent.DescriptionChanged("井".repeat(MAX_DESCRIPTION_CHARS)))
        assertEquals(emptyList(), atLimit.problems)
        assertEquals(0, atLimit.descriptionLeft)
        // Emoji are two UTF-16 units but one character for the core.
        assertEquals(emptyList(), reduce(form, NewReportEvent.DescriptionChanged("🚧".repeat(MAX_DESCRIPTION_CHARS))).problems)
        val over = reduce(form, NewReportEvent.DescriptionChanged("a".repeat(MAX_DESCRIPTION_CHARS + 1)))
        assertEquals(listOf(FormProblem.DESCRIPTION_TOO_LONG), over.problems)
        assertEquals(-1, over.descriptionLeft)
    }

    @Test
    fun `the accuracy is shown, and an imprecise fix must be corrected by moving the pin`() {
        assertEquals(AccuracyDisplay.None, NewReportState().accuracy)
        assertEquals(AccuracyDisplay.Measured(8), completeForm().accuracy)
        val noAccuracy = reduce(NewReportState(), NewReportEvent.PositionFixed(fix.copy(accuracyM = null)))
        assertEquals(AccuracyDisplay.Unknown, noAccuracy.accuracy)
        val vague = reduce(completeForm(), NewReportEvent.PositionFixed(fix.copy(accuracyM = 350.0)))
        assertEquals(listOf(FormProblem.POSITION_IMPRECISE), vague.problems)
        val pinned = reduce(vague, NewReportEvent.PinMoved(39.91, 116.40))
        assertEquals(emptyList(), pinned.problems)
        assertEquals(AccuracyDisplay.PlacedByHand, pinned.accuracy)
        assertEquals(Position(39.91, 116.40, Crs.GCJ02, null), pinned.position)
        // Later fixes do not move a pin placed by hand.
        assertEquals(pinned, reduce(pinned, NewReportEvent.PositionFixed(fix)))
    }

    @Test
    fun `a pin placed before any fix is in WGS-84`() {
        val pinned = reduce(NewReportState(), NewReportEvent.PinMoved(1.0, 2.0))
        assertEquals(Crs.WGS84, pinned.position?.crs)
    }

    @Test
    fun `the location permission answer is kept`() {
        assertEquals(LocationPermission.UNKNOWN, NewReportState().permission)
        assertEquals(LocationPermission.DENIED, reduce(NewReportState(), NewReportEvent.PermissionAnswered(false)).permission)
        assertEquals(LocationPermission.GRANTED, reduce(NewReportState(), NewReportEvent.PermissionAnswered(true)).permission)
    }

    @Test
    fun `photos are added and removed, at least one and at most nine`() {
        val form = completeForm()
        assertEquals(listOf(FormProblem.PHOTO_MISSING), reduce(form, NewReportEvent.PhotoRemoved("p1")).problems)
        val ten = (2..10).fold(form) { s, i -> reduce(s, NewReportEvent.PhotoAdded("p$i")) }
        assertEquals(10, ten.photoIds.size)
        assertEquals(listOf(FormProblem.TOO_MANY_PHOTOS), ten.problems)
        assertEquals(emptyList(), reduce(ten, NewReportEvent.PhotoRemoved("p4")).problems)
    }

    @Test
    fun `anonymity follows the category's rule`() {
        val anonymous = reduce(completeForm(), NewReportEvent.AnonymousToggled(true))
        assertTrue(anonymous.anonymous)
        assertTrue(anonymous.anonymousAvailable)
        // Choosing a category that requires a name turns the switch off, and it stays off.
        val gas = reduce(anonymous, NewReportEvent.CategoryChosen("E0203"))
        assertFalse(gas.anonymous)
        assertFalse(gas.anonymousAvailable)
        assertFalse(reduce(gas, NewReportEvent.AnonymousToggled(true)).anonymous)
        // A state that got there anyway (restored from an older taxonomy) is refused.
        assertEquals(listOf(FormProblem.ANONYMOUS_NOT_ALLOWED), gas.copy(anonymous = true).problems)
        // No category yet: no anonymity either.
        assertFalse(reduce(NewReportState(), NewReportEvent.AnonymousToggled(true)).anonymous)
    }

    @Test
    fun `choosing a category by code ignores case, clears the search, and an unknown code unsets it`() {
        val searching = reduce(completeForm(), NewReportEvent.QueryChanged("gas"))
        assertEquals("gas", searching.query)
        assertEquals(listOf(gasLeak), searching.matches)
        val chosen = reduce(searching, NewReportEvent.CategoryChosen("e0203"))
        assertEquals(gasLeak, chosen.category)
        assertEquals("", chosen.query)
        val unknown = reduce(chosen, NewReportEvent.CategoryChosen("X9999"))
        assertNull(unknown.category)
        assertEquals(listOf(FormProblem.CATEGORY_MISSING), unknown.problems)
    }

    @Test
    fun `the send lifecycle - draft saved, refused by the core, queued, delivered, failed and sent again`() {
        val sending = reduce(completeForm(), NewReportEvent.SendPressed)
        val saved = reduce(sending, NewReportEvent.DraftSaved("d1"))
        assertEquals("d1", saved.draftId)
        val refused = reduce(saved, NewReportEvent.Rejected(listOf(FieldProblem("position", "outside the city"))))
        assertEquals(SendStatus.EDITING, refused.status)
        assertEquals(listOf(FieldProblem("position", "outside the city")), refused.serverProblems)
        val again = reduce(refused, NewReportEvent.SendPressed)
        assertEquals(emptyList(), again.serverProblems)
        val queued = reduce(again, NewReportEvent.Queued("o1"))
        assertEquals(SendStatus.QUEUED, queued.status)
        assertEquals("o1", queued.outboxItemId)
        assertFalse(queued.canSend)
        val sent = reduce(queued, NewReportEvent.Delivered("case-1"))
        assertEquals(SendStatus.SENT, sent.status)
        assertEquals("case-1", sent.caseId)
        val failed = reduce(queued, NewReportEvent.Failed("network down"))
        assertEquals(SendStatus.FAILED, failed.status)
        assertEquals("network down", failed.failure)
        assertTrue(failed.canSend)
        val retried = reduce(failed, NewReportEvent.SendPressed)
        assertEquals(SendStatus.SUBMITTING, retried.status)
        assertNull(retried.failure)
    }
}
