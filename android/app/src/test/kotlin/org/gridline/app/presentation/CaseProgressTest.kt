// The citizen's status timeline for every case state, and the rating form.
package org.gridline.app.presentation

import kotlin.test.assertEquals
import org.gridline.sdk.CaseState
import org.gridline.app.presentation.StepMark.CURRENT
import org.gridline.app.presentation.StepMark.DONE
import org.gridline.app.presentation.StepMark.UPCOMING
import org.gridline.app.presentation.TimelineStep as S
import org.junit.jupiter.api.Test

class CaseProgressTest {
    private fun marks(state: CaseState) = timeline(state).map { it.step to it.mark }

    @Test
    fun `the usual path marks done, current and upcoming steps`() {
        assertEquals(
            listOf(S.REPORTED to CURRENT, S.REGISTERED to UPCOMING, S.DISPATCHED to UPCOMING, S.IN_PROGRESS to UPCOMING, S.HANDLED to UPCOMING, S.CLOSED to UPCOMING),
            marks(CaseState.REPORTED),
        )
        assertEquals(
            listOf(S.REPORTED to DONE, S.REGISTERED to DONE, S.DISPATCHED to DONE, S.IN_PROGRESS to CURRENT, S.HANDLED to UPCOMING, S.CLOSED to UPCOMING),
            marks(CaseState.IN_PROGRESS),
        )
        assertEquals(S.entries.take(6).map { it to DONE }, marks(CaseState.CLOSED))
        for (state in listOf(CaseState.REGISTERED, CaseState.DISPATCHED, CaseState.HANDLED)) {
            assertEquals(listOf(S.valueOf(state.name) to CURRENT), marks(state).filter { it.second == CURRENT })
        }
    }

    @Test
    fun `cases that leave the path end where they left it`() {
        assertEquals(listOf(S.REPORTED to DONE, S.REJECTED to DONE), marks(CaseState.REJECTED))
        assertEquals(listOf(S.REPORTED to DONE, S.MERGED to DONE), marks(CaseState.MERGED))
        assertEquals(listOf(S.REPORTED to DONE, S.REGISTERED to DONE, S.SHELVED to CURRENT), marks(CaseState.SHELVED))
    }

    @Test
    fun `a rating needs a closed case and 1 to 5 stars, the comment is limited, and it is sent once`() {
        val open = RatingState("c1", CaseState.HANDLED)
        assertEquals(listOf(RatingProblem.NOT_CLOSED, RatingProblem.NO_STARS), open.problems)
        val closed = RatingState("c1", CaseState.CLOSED)
        assertEquals(5, reduce(closed, RatingEvent.StarsChosen(9)).stars)
        val one = reduce(closed, RatingEvent.StarsChosen(-2))
        assertEquals(1, one.stars)
        assertEquals(emptyList(), one.problems)
        val long = reduce(one, RatingEvent.CommentChanged("好".repeat(MAX_COMMENT_CHARS + 1)))
        assertEquals(listOf(RatingProblem.COMMENT_TOO_LONG), long.problems)
        val sent = reduce(reduce(long, RatingEvent.CommentChanged("fast")), RatingEvent.Sent)
        assertEquals(listOf(RatingProblem.ALREADY_RATED), sent.problems)
        assertEquals(sent, reduce(sent, RatingEvent.StarsChosen(3)))
    }
}
