// The field apps' work list, drawn from the core's WorkListState: for a grid inspector every
// open case of their cells, for a handling unit's worker the cases dispatched to their unit.
// Each row shows the category, the text, the place, the task (verify, confirm, overdue...), the
// time left and, with a fix, the distance; the list sorts by deadline or distance and filters
// by task, with the counts the core gives; the map draws the cells from the grid package with
// the cases as markers. The order, the filters, the words and when distance sorting is offered
// are the core's. Pull to refresh is the Refresh intent; the list itself is kept offline by the
// core. Compiled by Android Studio only; the Flows under it are presentation/FieldScreens.kt.
package org.gridline.app.ui

import android.Manifest
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.Canvas
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.FilterChip
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.Path
import androidx.compose.ui.graphics.drawscope.Stroke
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import kotlin.math.cos
import kotlin.math.max
import org.gridline.app.R
import org.gridline.app.presentation.dispatch
import org.gridline.app.presentation.openWorkList
import org.gridline.app.presentation.states
import org.gridline.sdk.core.AppCore
import org.gridline.sdk.core.TaskKind
import org.gridline.sdk.core.WorkListIntent
import org.gridline.sdk.core.WorkListState
import org.gridline.sdk.core.WorkMap
import org.gridline.sdk.core.WorkRow
import org.gridline.sdk.core.WorkSort

@OptIn(ExperimentalLayoutApi::class)
@Composable
fun WorkListScreen(app: AppCore, onOpen: (String) -> Unit, onPatrol: () -> Unit, onReport: () -> Unit) {
    val model = rememberModel(Unit) { app.openWorkList() } ?: return CircularProgressIndicator()
    val state by drawn(model) { it.states() }
    val s = state ?: return CircularProgressIndicator()
    val sender = rememberSender()
    val send = { intent: WorkListIntent -> sender.send { model.dispatch(intent) } }
    // Distance sorting and the "here" marker need the fix; the core reads it when it renders.
    val permission = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { send(WorkListIntent.Refresh) }
    LaunchedEffect(model) {
        permission.launch(arrayOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION))
    }
    var showMap by rememberSaveable { mutableStateOf(false) }
    Column(Modifier.padding(16.dp)) {
        Text(s.title, style = MaterialTheme.typography.headlineSmall)
        Row {
            TextButton(onClick = { send(WorkListIntent.Refresh) }, enabled = !s.busy) { Text(stringResource(R.string.refresh)) }
            TextButton(onClick = onReport) { Text(stringResource(R.string.new_report_title)) }
            TextButton(onClick = onPatrol) { Text(stringResource(R.string.patrol)) }
            if (s.map != null) TextButton(onClick = { showMap = !showMap }) { Text(stringResource(R.string.map)) }
        }
        FlowRow {
            FilterChip(selected = s.sort == WorkSort.DUE, onClick = { send(WorkListIntent.SortBy(WorkSort.DUE)) }, label = { Text(s.sortDueLabel) })
            FilterChip(
                selected = s.sort == WorkSort.DISTANCE,
                onClick = { send(WorkListIntent.SortBy(WorkSort.DISTANCE)) },
                enabled = s.sortDistanceEnabled,
                label = { Text(s.sortDistanceLabel) },
            )
        }
        FlowRow {
            for (choice in s.filters) {
                FilterChip(
                    selected = choice.selected,
                    onClick = { send(WorkListIntent.Filter(choice.filter)) },
                    label = { Text("${choice.label} (${choice.count})") },
                )
            }
        }
        if (s.busy) CircularProgressIndicator()
        s.message?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        s.map?.takeIf { showMap }?.let { CasesMap(it) }
        s.emptyText?.let { Text(it) }
        LazyColumn {
            items(s.rows, key = { it.caseId }) { row ->
                CaseRow(row, onOpen)
                HorizontalDivider()
            }
        }
    }
}

@Composable
private fun CaseRow(row: WorkRow, onOpen: (String) -> Unit) {
    Column(Modifier.fillMaxWidth().clickable { onOpen(row.caseId) }.padding(vertical = 8.dp)) {
        Text("${row.taskText} · ${row.title}", style = MaterialTheme.typography.titleMedium, color = taskColour(row.task))
        Text(row.description, maxLines = 2)
        Text(row.placeText, style = MaterialTheme.typography.bodySmall)
        Text(
            listOfNotNull(row.trackingNumber, row.stateText, row.timeLeftText, row.distanceText).joinToString(" · "),
            style = MaterialTheme.typography.labelSmall,
            color = if (row.overdue) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface,
        )
        if (row.photoIds.isNotEmpty()) Text(stringResource(R.string.photo_count, row.photoIds.size), style = MaterialTheme.typography.labelSmall)
    }
}

/** The colour a task is drawn in (drawing only: which task a case sets is the core's). */
@Composable
private fun taskColour(task: TaskKind): Color =
    when (task) {
        TaskKind.VERIFY, TaskKind.CONFIRM, TaskKind.ACCEPT, TaskKind.HANDLE -> MaterialTheme.colorScheme.primary
        TaskKind.OVERDUE -> MaterialTheme.colorScheme.error
        TaskKind.FOLLOW -> MaterialTheme.colorScheme.onSurface
    }

/**
 * The inspector's cells from the grid package with the cases as markers, fitted to the square.
 * Everything drawn comes from [WorkMap]; the rows below open the cases.
 */
@Composable
private fun CasesMap(map: WorkMap) {
    val points = map.cells.flatMap { cell -> cell.rings.flatten() } + map.markers.map { it.position } + listOfNotNull(map.here)
    if (points.isEmpty()) return
    val south = points.minOf { it.lat }
    val north = points.maxOf { it.lat }
    val west = points.minOf { it.lon }
    val east = points.maxOf { it.lon }
    val lonScale = cos(Math.toRadians((south + north) / 2))
    val span = max(north - south, (east - west) * lonScale).takeIf { it > 0 } ?: 1e-3
    val primary = MaterialTheme.colorScheme.primary
    val error = MaterialTheme.colorScheme.error
    Canvas(Modifier.fillMaxWidth().aspectRatio(1f).padding(8.dp).semantics { contentDescription = "map" }) {
        val side = size.width
        fun at(lat: Double, lon: Double) =
            Offset(((lon - west) * lonScale / span * side).toFloat(), ((north - lat) / span * side).toFloat())
        for (cell in map.cells) {
            for (ring in cell.rings) {
                val path = Path()
                ring.forEachIndexed { i, p -> at(p.lat, p.lon).let { if (i == 0) path.moveTo(it.x, it.y) else path.lineTo(it.x, it.y) } }
                path.close()
                drawPath(path, Color.Gray, style = Stroke(width = 1f))
            }
        }
        for (marker in map.markers) {
            val colour = if (marker.task == TaskKind.OVERDUE) error else primary
            drawCircle(colour, radius = 9f, center = at(marker.position.lat, marker.position.lon))
        }
        map.here?.let { drawCircle(Color.Blue, radius = 7f, center = at(it.lat, it.lon)) }
    }
}
