// The presentation layer's keys turned into the user's language (values/ and values-zh/).
package org.gridline.app.ui

import androidx.compose.runtime.Composable
import androidx.compose.ui.res.stringResource
import org.gridline.app.R
import org.gridline.app.presentation.AccuracyDisplay
import org.gridline.app.presentation.ActionProblem
import org.gridline.app.presentation.Banner
import org.gridline.app.presentation.BannerKey
import org.gridline.app.presentation.FormProblem
import org.gridline.app.presentation.SignInError
import org.gridline.app.presentation.SignInErrorKey
import org.gridline.app.presentation.UNSTATED_WAIT_SECONDS
import org.gridline.app.presentation.TimelineStep

@Composable
fun bannerText(banner: Banner): String {
    val a = banner.args
    return when (banner.key) {
        BannerKey.OFFLINE -> stringResource(R.string.banner_offline)
        BannerKey.OFFLINE_UNSENT -> stringResource(R.string.banner_offline_unsent, a[0])
        BannerKey.SYNCING -> stringResource(R.string.banner_syncing, a[0], a[1])
        BannerKey.RETRYING -> stringResource(R.string.banner_retrying, a[0], a[1])
        BannerKey.UNSENT -> stringResource(R.string.banner_unsent, a[0])
        BannerKey.SYNC_FAILED -> stringResource(R.string.banner_sync_failed, a[0])
    }
}

@Composable
fun problemText(problem: FormProblem): String =
    stringResource(
        when (problem) {
            FormProblem.CATEGORY_MISSING -> R.string.problem_category_missing
            FormProblem.DESCRIPTION_EMPTY -> R.string.problem_description_empty
            FormProblem.DESCRIPTION_TOO_LONG -> R.string.problem_description_too_long
            FormProblem.POSITION_MISSING -> R.string.problem_position_missing
            FormProblem.POSITION_IMPRECISE -> R.string.problem_position_imprecise
            FormProblem.PHOTO_MISSING -> R.string.problem_photo_missing
            FormProblem.TOO_MANY_PHOTOS -> R.string.problem_too_many_photos
            FormProblem.ANONYMOUS_NOT_ALLOWED -> R.string.problem_anonymous_not_allowed
        },
    )

@Composable
fun actionProblemText(problem: ActionProblem): String =
    stringResource(
        when (problem) {
            ActionProblem.NO_ACTION -> R.string.action_problem_no_action
            ActionProblem.NOT_AVAILABLE -> R.string.action_problem_not_available
            ActionProblem.PHOTO_MISSING -> R.string.problem_photo_missing
            ActionProblem.TOO_MANY_PHOTOS -> R.string.problem_too_many_photos
            ActionProblem.POSITION_MISSING -> R.string.problem_position_missing
            ActionProblem.REASON_MISSING -> R.string.action_problem_reason_missing
        },
    )

@Composable
fun accuracyText(accuracy: AccuracyDisplay): String =
    when (accuracy) {
        AccuracyDisplay.None -> stringResource(R.string.accuracy_none)
        is AccuracyDisplay.Measured -> stringResource(R.string.accuracy_measured, accuracy.metres)
        AccuracyDisplay.Unknown -> stringResource(R.string.accuracy_unknown)
        AccuracyDisplay.PlacedByHand -> stringResource(R.string.accuracy_by_hand)
    }

@Composable
fun stepText(step: TimelineStep): String =
    stringResource(
        when (step) {
            TimelineStep.REPORTED -> R.string.timeline_reported
            TimelineStep.REGISTERED -> R.string.timeline_registered
            TimelineStep.DISPATCHED -> R.string.timeline_dispatched
            TimelineStep.IN_PROGRESS -> R.string.timeline_in_progress
            TimelineStep.HANDLED -> R.string.timeline_handled
            TimelineStep.CLOSED -> R.string.timeline_closed
            TimelineStep.REJECTED -> R.string.timeline_rejected
            TimelineStep.SHELVED -> R.string.timeline_shelved
            TimelineStep.MERGED -> R.string.timeline_merged
        },
    )

@Composable
fun signInErrorText(error: SignInError): String {
    val wait = error.waitSeconds ?: UNSTATED_WAIT_SECONDS
    return when (error.key) {
        SignInErrorKey.INVALID_PHONE -> stringResource(R.string.signin_error_invalid_phone)
        SignInErrorKey.WRONG_CODE -> stringResource(R.string.signin_error_wrong_code)
        SignInErrorKey.CODE_EXPIRED -> stringResource(R.string.signin_error_code_expired)
        SignInErrorKey.CODE_USED_UP -> stringResource(R.string.signin_error_code_used_up)
        SignInErrorKey.TOO_MANY_ATTEMPTS -> stringResource(R.string.signin_error_too_many, wait)
        SignInErrorKey.WRONG_PASSWORD -> stringResource(R.string.signin_error_wrong_password)
        SignInErrorKey.LOCKED -> stringResource(R.string.signin_error_locked, wait)
        SignInErrorKey.DEVICE_UNKNOWN -> stringResource(R.string.signin_error_device_unknown)
        SignInErrorKey.OFFLINE -> stringResource(R.string.signin_error_offline)
        SignInErrorKey.OTHER -> stringResource(R.string.signin_error_other, error.code.orEmpty())
    }
}
