// The inspector's work list, readable offline: pulled by every sync pass, ordered and filtered
// by the presentation layer, with a clock on cases whose queued step is not yet confirmed.
package org.gridline.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import org.gridline.app.R
import org.gridline.app.presentation.WorkListEvent
import org.gridline.app.presentation.WorkListState
import org.gridline.app.presentation.reduce
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.ffi.ItemKind
import org.gridline.sdk.PullList

@Composable
fun WorkListScreen(client: GridlineClient, onOpen: (String) -> Unit) {
    val list = remember { mutableStateOf(WorkListState()) }
    // This screen shows the work list, so background sync pulls it.
    LaunchedEffect(Unit) { client.setPullLists(listOf(PullList.WORK_LIST)) }
    val cases by remember { client.cases(PullList.WORK_LIST) }.collectAsState(emptyList())
    val outbox by remember { client.outbox() }.collectAsState(emptyList())
    LaunchedEffect(cases) { list.value = reduce(list.value, WorkListEvent.Pulled(cases)) }
    LaunchedEffect(outbox) {
        val pending = outbox.filter { it.kind == ItemKind.CASE_ACTION }.mapNotNull { it.caseId }.toSet()
        list.value = reduce(pending.fold(list.value) { s, id -> reduce(s, WorkListEvent.StepQueued(id)) }, WorkListEvent.StepsSettled(pending))
    }
    Column {
        Row(Modifier.padding(8.dp)) {
            Text(stringResource(R.string.only_waiting_for_me), Modifier.weight(1f))
            Switch(list.value.onlyMine, { list.value = reduce(list.value, WorkListEvent.FilterChanged(it)) })
        }
        LazyColumn {
            items(list.value.rows, key = { it.id }) { case ->
                Row(Modifier.fillMaxWidth().clickable { onOpen(case.id) }.padding(12.dp)) {
                    Text(case.state.name, Modifier.weight(1f))
                    Text(case.createdAt)
                    if (case.id in list.value.queued) Text(" ⏱")
                }
            }
        }
    }
}
