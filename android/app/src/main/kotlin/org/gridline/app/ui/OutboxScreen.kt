// Drafts and the outbox, drawn from the core's OutboxState: each draft (resume, discard) and
// each queued item with its state in words (waiting, sending, failed with the reason) and the
// controls the core enables for it (retry, discard, back to drafts), and "send now". Android
// Studio only.
package org.gridline.app.ui

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import org.gridline.app.presentation.dispatch
import org.gridline.app.presentation.openOutbox
import org.gridline.app.presentation.states
import org.gridline.sdk.core.AppCore
import org.gridline.sdk.core.OutboxIntent

@Composable
fun OutboxScreen(app: AppCore, onResume: (draftId: String) -> Unit) {
    val model = rememberModel(Unit) { app.openOutbox() } ?: return CircularProgressIndicator()
    val state by drawn(model) { it.states() }
    val s = state ?: return CircularProgressIndicator()
    val sender = rememberSender()
    val send = { intent: OutboxIntent -> sender.send { model.dispatch(intent) } }
    Column(Modifier.padding(16.dp).verticalScroll(rememberScrollState())) {
        s.message?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        s.emptyText?.let { Text(it) }
        Text(s.draftsTitle, style = MaterialTheme.typography.titleMedium)
        for (draft in s.drafts) {
            Text(draft.title)
            Text(draft.preview, maxLines = 2)
            Row {
                TextButton(onClick = { onResume(draft.id) }) { Text(draft.resumeLabel) }
                TextButton(onClick = { send(OutboxIntent.DiscardDraft(draft.id)) }) { Text(draft.discardLabel) }
            }
        }
        Text(s.outboxTitle, style = MaterialTheme.typography.titleMedium)
        for (item in s.items) {
            Text(item.title)
            Text(item.statusText)
            item.reason?.let { Text(it, color = MaterialTheme.colorScheme.error) }
            Row {
                TextButton(onClick = { send(OutboxIntent.Retry(item.id)) }, enabled = item.retryEnabled) { Text(s.retryLabel) }
                TextButton(onClick = { send(OutboxIntent.DiscardItem(item.id)) }, enabled = item.discardEnabled) { Text(s.discardLabel) }
                TextButton(onClick = { send(OutboxIntent.BackToDrafts(item.id)) }, enabled = item.backToDraftsEnabled) {
                    Text(s.backToDraftsLabel)
                }
            }
        }
        Button(onClick = { send(OutboxIntent.SendNow) }, enabled = s.sendNowEnabled) { Text(s.sendNowLabel) }
    }
}
