// One case for the field apps, drawn from the core's CasePageState: the category, text, place,
// state, deadline and time left, the photos of the report and of the steps taken (the handler's
// after-photos) as thumbnails that open full size, a joint case's helper units' parts (协办)
// with the lead unit, the staff timeline, where the phone stands relative to the case's cell, and
// the steps the core allows this role from this state, each with what it needs in words. A
// step's photo comes from the camera (the full-resolution capture, EXIF and all); the reason is
// typed here; the position is the live fix the core reads at the moment of the step, and the
// core refuses it, saying how far away, when the inspector is not on site. Whether a step is
// offered, what it needs and every message are the core's. Compiled by Android Studio only.
package org.gridline.app.ui

import android.Manifest
import android.content.Context
import android.net.Uri
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.core.content.FileProvider
import java.io.File
import org.gridline.app.R
import org.gridline.app.presentation.dispatch
import org.gridline.app.presentation.openCasePage
import org.gridline.app.presentation.states
import org.gridline.sdk.core.AppCore
import org.gridline.sdk.core.CasePageIntent
import org.gridline.sdk.core.CasePageState

@Composable
fun CaseScreen(app: AppCore, caseId: String, onBack: () -> Unit) {
    val model = rememberModel(caseId) { app.openCasePage(caseId) } ?: return CircularProgressIndicator()
    val state by drawn(model) { it.states() }
    val s = state ?: return CircularProgressIndicator()
    val sender = rememberSender()
    val send = { intent: CasePageIntent -> sender.send { model.dispatch(intent) } }
    // On-site steps read the live fix: ask for location first, then fetch the case.
    val location = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { send(CasePageIntent.Refresh) }
    LaunchedEffect(model) {
        location.launch(arrayOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION))
    }
    LazyColumn(Modifier.padding(16.dp)) {
        item {
            TextButton(onClick = onBack) { Text(stringResource(R.string.back)) }
            if (s.missing && !s.busy) {
                s.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
                return@item
            }
            Text("${s.trackingNumber}  ${s.category}", style = MaterialTheme.typography.headlineSmall)
            Text(s.stateText, color = MaterialTheme.colorScheme.primary)
            Text(s.placeText, style = MaterialTheme.typography.bodySmall)
            s.timeLeftText?.let { Text(it, color = if (s.overdue) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface) }
            Text(s.description)
            ServerPhotoRow(s.beforePhotosLabel, s.beforePhotos) { send(CasePageIntent.OpenPhoto(it)) }
            ServerPhotoRow(s.afterPhotosLabel, s.afterPhotos) { send(CasePageIntent.OpenPhoto(it)) }
            s.onSiteText?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
            if (s.busy) CircularProgressIndicator()
        }
        if (!s.missing && s.parts.isNotEmpty()) {
            item {
                Text(s.partsLabel, style = MaterialTheme.typography.titleSmall)
                s.leadUnitText?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
            }
            items(s.parts) { part ->
                Column(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
                    Text("${part.unit}  ${part.stateText}")
                    Text(part.note, style = MaterialTheme.typography.bodySmall)
                    part.timeLeftText?.let { Text(it, color = if (part.overdue) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface) }
                    part.reason?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
                }
            }
        }
        if (!s.missing) {
            items(s.timeline) { event ->
                Column(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
                    Text("${event.at}  ${event.who}", style = MaterialTheme.typography.labelSmall)
                    Text(event.text)
                    event.reason?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
                    event.note?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
                    if (event.photoIds.isNotEmpty()) Text(stringResource(R.string.photo_count, event.photoIds.size), style = MaterialTheme.typography.labelSmall)
                }
            }
            item { Step(s, send) }
        }
    }
    ServerPhotoViewer(s.viewer) { send(CasePageIntent.ClosePhoto) }
}

/** The steps the core offers, with the photo and reason they need, and the outcome. */
@Composable
private fun Step(s: CasePageState, send: (CasePageIntent) -> Unit) {
    if (s.actions.isEmpty()) return
    Column(Modifier.padding(vertical = 8.dp)) {
        if (s.actions.any { it.needsPhoto }) Camera(s, send)
        if (s.actions.any { it.needsReason }) {
            OutlinedTextField(
                s.reason,
                { send(CasePageIntent.SetReason(it)) },
                label = { Text(s.reasonLabel) },
                isError = s.reasonError != null,
                supportingText = { s.reasonError?.let { Text(it) } },
                modifier = Modifier.fillMaxWidth(),
            )
        }
        for (action in s.actions) {
            Button(onClick = { send(CasePageIntent.Take(action.action)) }, enabled = !s.busy, modifier = Modifier.padding(top = 4.dp)) {
                Text(action.label)
            }
            action.requirementText?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
        }
        s.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        s.message?.let { Text(it) }
    }
}

/** A new file in the cache for the camera to write the full-resolution photo into. */
private fun photoTarget(context: Context): Uri {
    val folder = File(context.cacheDir, "camera").apply { mkdirs() }
    val file = File.createTempFile("step", ".jpg", folder)
    return FileProvider.getUriForFile(context, "${context.packageName}.files", file)
}

@Composable
private fun Camera(s: CasePageState, send: (CasePageIntent) -> Unit) {
    val context = LocalContext.current
    var target by rememberSaveable { mutableStateOf<Uri?>(null) }
    // The photo goes to the core as the camera wrote it; the core prepares and checks it.
    val camera =
        rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { taken ->
            val uri = target
            if (taken && uri != null) {
                context.contentResolver.openInputStream(uri)?.use { it.readBytes() }?.let { send(CasePageIntent.AddPhoto(it)) }
            }
        }
    val permission =
        rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
            if (granted) camera.launch(photoTarget(context).also { target = it })
        }
    Row {
        OutlinedButton(onClick = { permission.launch(Manifest.permission.CAMERA) }, enabled = !s.busy) { Text(s.addPhotoLabel) }
        if (s.stepPhotos > 0u) TextButton(onClick = { send(CasePageIntent.ClearPhotos) }) { Text(stringResource(R.string.clear_photos)) }
    }
    Text(stringResource(R.string.step_photos, s.stepPhotos.toInt()), style = MaterialTheme.typography.bodySmall)
    s.photoError?.let { Text(it, color = MaterialTheme.colorScheme.error) }
}
