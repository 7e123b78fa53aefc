// One case for the inspector: its details (as last pulled, so offline too) and the handle or
// verify form with photos taken on site, queued in the outbox as a workflow step.
package org.gridline.app.ui

import android.graphics.Bitmap
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.produceState
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import java.io.ByteArrayOutputStream
import kotlinx.coroutines.launch
import org.gridline.app.R
import org.gridline.app.SyncScheduler
import org.gridline.app.presentation.CaseActionEvent
import org.gridline.app.presentation.ActionProblem
import org.gridline.app.presentation.CaseActionState
import org.gridline.app.presentation.reduce
import org.gridline.sdk.CachedCase
import org.gridline.sdk.CaseActionRequest
import org.gridline.sdk.Gridline
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.PullList
import org.gridline.sdk.Role

@Composable
fun CaseScreen(client: GridlineClient, caseId: String) {
    val case by produceState<CachedCase?>(null, caseId) { value = client.cachedCase(PullList.WORK_LIST, caseId) }
    val shown = case ?: return Text(stringResource(R.string.case_not_cached))
    val form = remember(shown.id, shown.state) {
        mutableStateOf(CaseActionState(shown.id, shown.state, Gridline.availableActions(shown.state, Role.INSPECTOR)))
    }
    val scope = rememberCoroutineScope()
    val context = LocalContext.current
    // Verification records where the inspector stood; the location permission was asked at sign-in.
    LaunchedEffect(shown.id) { lastFix(context)?.let { form.value = reduce(form.value, CaseActionEvent.PositionFixed(it)) } }
    val camera =
        rememberLauncherForActivityResult(ActivityResultContracts.TakePicturePreview()) { bitmap: Bitmap? ->
            bitmap?.let {
                val jpeg = ByteArrayOutputStream().also { out -> it.compress(Bitmap.CompressFormat.JPEG, 90, out) }.toByteArray()
                form.value = reduce(form.value, CaseActionEvent.PhotoTaken(jpeg))
            }
        }
    Column(Modifier.padding(16.dp)) {
        Text(shown.id, style = MaterialTheme.typography.titleMedium)
        Text(stringResource(R.string.case_state, shown.state.name))
        Row {
            form.value.available.forEach { action ->
                FilterChip(
                    selected = form.value.action == action,
                    onClick = { form.value = reduce(form.value, CaseActionEvent.ActionChosen(action)) },
                    label = { Text(action.name) },
                )
            }
        }
        Button(onClick = { camera.launch(null) }) { Text(stringResource(R.string.take_photo_count, form.value.photos.size)) }
        OutlinedTextField(
            form.value.reason,
            { form.value = reduce(form.value, CaseActionEvent.ReasonChanged(it)) },
            label = { Text(stringResource(R.string.reason)) },
        )
        form.value.problems.forEach { Text(actionProblemText(it), color = MaterialTheme.colorScheme.error) }
        Button(
            enabled = form.value.problems.isEmpty() && !form.value.queued,
            onClick = {
                scope.launch {
                    val f = form.value
                    val request = CaseActionRequest(f.caseId, f.action ?: return@launch, reason = f.reason.ifBlank { null }, position = f.position)
                    client.queueAction(request, f.knownState, Role.INSPECTOR, f.photos)
                    SyncScheduler.syncSoon(context)
                    form.value = reduce(f, CaseActionEvent.Queued)
                }
            },
        ) { Text(stringResource(R.string.queue_step)) }
    }
}

/** The inspector form's problems in the user's language. */
@Composable
private fun actionProblemText(problem: ActionProblem): String =
    stringResource(
        when (problem) {
            ActionProblem.NO_ACTION -> R.string.action_problem_no_action
            ActionProblem.NOT_AVAILABLE -> R.string.action_problem_not_available
            ActionProblem.PHOTO_MISSING -> R.string.problem_photo_missing
            ActionProblem.POSITION_MISSING -> R.string.problem_position_missing
            ActionProblem.REASON_MISSING -> R.string.action_problem_reason_missing
        },
    )
