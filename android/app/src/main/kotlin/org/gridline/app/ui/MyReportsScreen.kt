// The citizen's own reports as sync last pulled them (readable offline), each with its status
// timeline, and the rating form on closed cases.
package org.gridline.app.ui

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.FloatingActionButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.launch
import org.gridline.app.R
import org.gridline.app.SyncScheduler
import org.gridline.app.presentation.RatingEvent
import org.gridline.app.presentation.RatingState
import org.gridline.app.presentation.StepMark
import org.gridline.app.presentation.reduce
import org.gridline.app.presentation.timeline
import org.gridline.sdk.CachedCase
import org.gridline.sdk.CaseActionRequest
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.PullList
import org.gridline.sdk.Role
import org.gridline.sdk.WorkflowAction

@Composable
fun MyReportsScreen(client: GridlineClient, onNew: () -> Unit) {
    LaunchedEffect(client) { client.setPullLists(listOf(PullList.MY_REPORTS)) }
    val cases by remember { client.cases(PullList.MY_REPORTS) }.collectAsState(emptyList())
    Scaffold(floatingActionButton = { FloatingActionButton(onClick = onNew) { Text("+") } }) { padding ->
        LazyColumn(Modifier.padding(padding)) {
            items(cases, key = { it.id }) { case -> ReportCard(client, case) }
        }
    }
}

@Composable
private fun ReportCard(client: GridlineClient, case: CachedCase) {
    Card(Modifier.padding(8.dp)) {
        Column(Modifier.padding(12.dp)) {
            Text(case.createdAt)
            timeline(case.state).forEach { row ->
                val mark = when (row.mark) { StepMark.DONE -> "●"; StepMark.CURRENT -> "◉"; StepMark.UPCOMING -> "○" }
                Text("$mark ${stepText(row.step)}")
            }
            RatingForm(client, case)
        }
    }
}

@Composable
private fun RatingForm(client: GridlineClient, case: CachedCase) {
    val context = LocalContext.current
    val form = remember(case.id, case.state) { mutableStateOf(RatingState(case.id, case.state)) }
    if (form.value.problems.contains(org.gridline.app.presentation.RatingProblem.NOT_CLOSED)) return
    val scope = rememberCoroutineScope()
    Row {
        (1..5).forEach { stars ->
            TextButton(onClick = { form.value = reduce(form.value, RatingEvent.StarsChosen(stars)) }) {
                Text(if (stars <= form.value.stars) "★" else "☆")
            }
        }
    }
    OutlinedTextField(form.value.comment, { form.value = reduce(form.value, RatingEvent.CommentChanged(it)) }, label = { Text(stringResource(R.string.rating_comment)) })
    Button(
        enabled = form.value.problems.isEmpty(),
        onClick = {
            scope.launch {
                val request = CaseActionRequest(case.id, WorkflowAction.RATE, reason = form.value.comment.ifBlank { null }, rating = form.value.stars.toUByte())
                client.queueAction(request, case.state, Role.CITIZEN)
                SyncScheduler.syncSoon(context)
                form.value = reduce(form.value, RatingEvent.Sent)
            }
        },
    ) { Text(stringResource(R.string.rate)) }
}
