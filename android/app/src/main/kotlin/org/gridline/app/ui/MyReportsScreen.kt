// "My reports", drawn from the core's MyReportsState: each report's tracking number, title,
// preview and state in words, marked when not yet sent, and the reports followed from the
// duplicate step; a report's detail (category, text, answers, the report's photos and the
// handling unit's after-photos as thumbnails that open full size, the public timeline, the deadline), the rating with an optional comment once
// it is closed, and unfollow for a followed report. The state words, the timeline, the comment
// limit and when rating is offered are the core's. Android Studio only.
package org.gridline.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import org.gridline.app.R
import org.gridline.app.presentation.dispatch
import org.gridline.app.presentation.openMyReports
import org.gridline.app.presentation.states
import org.gridline.sdk.core.AppCore
import org.gridline.sdk.core.MyReportsIntent
import org.gridline.sdk.core.ReportDetail

@Composable
fun MyReportsScreen(app: AppCore, onNew: () -> Unit, onOutbox: () -> Unit) {
    val model = rememberModel(Unit) { app.openMyReports() } ?: return CircularProgressIndicator()
    val state by drawn(model) { it.states() }
    val s = state ?: return CircularProgressIndicator()
    val sender = rememberSender()
    val send = { intent: MyReportsIntent -> sender.send { model.dispatch(intent) } }
    LaunchedEffect(model) { model.dispatch(MyReportsIntent.Refresh) }

    s.detail?.let { detail ->
        Detail(detail, send)
        ServerPhotoViewer(s.viewer) { send(MyReportsIntent.ClosePhoto) }
        return
    }
    Column(Modifier.padding(16.dp)) {
        Text(s.title, style = MaterialTheme.typography.headlineSmall)
        Row {
            Button(onClick = onNew) { Text(stringResource(R.string.new_report_title)) }
            TextButton(onClick = onOutbox) { Text(stringResource(R.string.open_outbox)) }
            TextButton(onClick = { send(MyReportsIntent.Refresh) }, enabled = !s.busy) { Text(stringResource(R.string.refresh)) }
        }
        s.message?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        s.emptyText?.let { Text(it) }
        LazyColumn {
            items(s.rows, key = { it.id }) { row ->
                Column(Modifier.fillMaxWidth().clickable { send(MyReportsIntent.Open(row.id)) }.padding(vertical = 8.dp)) {
                    Text("${row.trackingNumber}  ${row.title}", style = MaterialTheme.typography.titleMedium)
                    Text(row.preview, maxLines = 2)
                    Text(row.stateText, color = if (row.unsent) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.primary)
                }
                HorizontalDivider()
            }
        }
    }
}

@Composable
private fun Detail(detail: ReportDetail, send: (MyReportsIntent) -> Unit) {
    LazyColumn(Modifier.padding(16.dp)) {
        item {
            TextButton(onClick = { send(MyReportsIntent.CloseDetail) }) { Text(stringResource(R.string.back)) }
            Text(detail.trackingNumber, style = MaterialTheme.typography.headlineSmall)
            Text(detail.category, style = MaterialTheme.typography.titleMedium)
            Text(detail.stateText, color = MaterialTheme.colorScheme.primary)
            detail.deadlineText?.let { Text(it) }
            Text(detail.description)
            detail.answers.forEach { Text(it) }
            if (detail.followed) {
                TextButton(onClick = { send(MyReportsIntent.Unfollow(detail.trackingNumber)) }) { Text(detail.unfollowLabel) }
            }
            ServerPhotoRow(detail.photosLabel, detail.photos) { send(MyReportsIntent.OpenPhoto(it)) }
            ServerPhotoRow(detail.afterPhotosLabel, detail.afterPhotos) { send(MyReportsIntent.OpenPhoto(it)) }
        }
        items(detail.timeline) { entry ->
            Column(Modifier.padding(vertical = 4.dp)) {
                Text(entry.at, style = MaterialTheme.typography.labelSmall)
                Text(entry.text)
                entry.reason?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
            }
        }
        item {
            detail.rating?.let { Text("★".repeat(it.toInt())) }
            if (detail.rateVisible) {
                Text(detail.rateLabel)
                OutlinedTextField(
                    value = detail.comment,
                    onValueChange = { send(MyReportsIntent.SetComment(it)) },
                    label = { Text(detail.commentLabel) },
                    supportingText = { Text(detail.commentError ?: detail.commentCounter) },
                    isError = detail.commentError != null,
                )
                Row {
                    // One to five stars: the core refuses anything else, in words.
                    for (stars in 1..5) {
                        TextButton(onClick = { send(MyReportsIntent.Rate(stars.toUByte())) }) { Text("★".repeat(stars)) }
                    }
                }
            }
        }
    }
}
