// A citizen's view of their report: the status timeline (which steps are done, which is now,
// which are to come, or where the case left the usual path) and the rating form.
package org.gridline.app.presentation

import org.gridline.sdk.CaseState

/** A step on the timeline, by string key (`timeline_<name>`). */
enum class TimelineStep { REPORTED, REGISTERED, DISPATCHED, IN_PROGRESS, HANDLED, CLOSED, REJECTED, SHELVED, MERGED }

/** Whether a step is behind, at, or ahead of the case. */
enum class StepMark { DONE, CURRENT, UPCOMING }

/** One row of the timeline. */
data class TimelineRow(val step: TimelineStep, val mark: StepMark)

private val usualPath =
    listOf(
        TimelineStep.REPORTED,
        TimelineStep.REGISTERED,
        TimelineStep.DISPATCHED,
        TimelineStep.IN_PROGRESS,
        TimelineStep.HANDLED,
        TimelineStep.CLOSED,
    )

/**
 * The timeline of a case in [state]. On the usual path, every step up to the state is done and
 * the rest are to come (a closed case is done throughout). A rejected or merged case stops after
 * the report; a shelved one after registration: the path beyond is not shown, it will not happen.
 */
fun timeline(state: CaseState): List<TimelineRow> {
    fun path(until: TimelineStep, last: TimelineStep, lastMark: StepMark): List<TimelineRow> {
        val done = usualPath.subList(0, usualPath.indexOf(until) + 1).map { TimelineRow(it, StepMark.DONE) }
        return done + TimelineRow(last, lastMark)
    }
    return when (state) {
        CaseState.REJECTED -> path(TimelineStep.REPORTED, TimelineStep.REJECTED, StepMark.DONE)
        CaseState.MERGED -> path(TimelineStep.REPORTED, TimelineStep.MERGED, StepMark.DONE)
        CaseState.SHELVED -> path(TimelineStep.REGISTERED, TimelineStep.SHELVED, StepMark.CURRENT)
        CaseState.CLOSED -> usualPath.map { TimelineRow(it, StepMark.DONE) }
        else -> {
            val at = usualPath.indexOf(TimelineStep.valueOf(state.name))
            usualPath.mapIndexed { i, step ->
                TimelineRow(step, if (i < at) StepMark.DONE else if (i == at) StepMark.CURRENT else StepMark.UPCOMING)
            }
        }
    }
}

/** The most characters a rating comment may have. */
const val MAX_COMMENT_CHARS = 500

/** Why a rating cannot be sent. */
enum class RatingProblem { NOT_CLOSED, NO_STARS, COMMENT_TOO_LONG, ALREADY_RATED }

/** The rating form of one closed case. */
data class RatingState(
    val caseId: String,
    val caseState: CaseState,
    val stars: Int = 0,
    val comment: String = "",
    val sent: Boolean = false,
) {
    val problems: List<RatingProblem> get() = validate(this)
}

/** What the rating form hears. */
sealed class RatingEvent {
    /** Stars outside 1..5 are clamped: the widget's drag can overshoot. */
    data class StarsChosen(val stars: Int) : RatingEvent()

    data class CommentChanged(val text: String) : RatingEvent()

    /** The rating is queued in the outbox. */
    object Sent : RatingEvent()
}

/** The rating form after [event]; nothing changes once it is sent. */
fun reduce(state: RatingState, event: RatingEvent): RatingState =
    when {
        state.sent -> state
        event is RatingEvent.StarsChosen -> state.copy(stars = event.stars.coerceIn(1, 5))
        event is RatingEvent.CommentChanged -> state.copy(comment = event.text)
        else -> state.copy(sent = true)
    }

/** What stops [state] from being sent (the core rates closed cases, once, with 1 to 5 stars). */
fun validate(state: RatingState): List<RatingProblem> {
    val problems = mutableListOf<RatingProblem>()
    if (state.sent) problems += RatingProblem.ALREADY_RATED
    if (state.caseState != CaseState.CLOSED) problems += RatingProblem.NOT_CLOSED
    if (state.stars !in 1..5) problems += RatingProblem.NO_STARS
    if (state.comment.codePointCount(0, state.comment.length) > MAX_COMMENT_CHARS) problems += RatingProblem.COMMENT_TOO_LONG
    return problems
}
