// The citizen's new report: camera, location (permission, fix, pin adjustment), category
// picker with search, description with its counter, the anonymous switch, send. It renders
// NewReportState and sends NewReportEvent; every rule is in org.gridline.app.presentation.
package org.gridline.app.ui

import android.Manifest
import android.annotation.SuppressLint
import android.content.Context
import android.graphics.Bitmap
import android.location.LocationManager
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.background
import androidx.compose.foundation.clickable
import androidx.compose.foundation.gestures.detectDragGestures
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.input.pointer.pointerInput
import androidx.compose.ui.platform.LocalConfiguration
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import java.io.ByteArrayOutputStream
import org.gridline.app.R
import org.gridline.app.presentation.LocationPermission
import org.gridline.app.presentation.NewReportEvent
import org.gridline.app.presentation.NewReportViewModel
import org.gridline.app.presentation.SendStatus
import org.gridline.sdk.CategoryInfo
import org.gridline.sdk.Crs
import org.gridline.sdk.Position

@Composable
fun NewReportScreen(model: NewReportViewModel, onDone: () -> Unit) {
    val state by model.state.collectAsState()
    val context = LocalContext.current
    val zh = LocalConfiguration.current.locales[0].language == "zh"

    val camera =
        rememberLauncherForActivityResult(ActivityResultContracts.TakePicturePreview()) { bitmap: Bitmap? ->
            bitmap?.let { model.addPhoto(ByteArrayOutputStream().also { out -> it.compress(Bitmap.CompressFormat.JPEG, 90, out) }.toByteArray()) }
        }
    val permission =
        rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
            model.onEvent(NewReportEvent.PermissionAnswered(granted))
            if (granted) lastFix(context)?.let { model.onEvent(NewReportEvent.PositionFixed(it)) }
        }
    LaunchedEffect(Unit) { permission.launch(Manifest.permission.ACCESS_FINE_LOCATION) }
    LaunchedEffect(state.status) { if (state.status == SendStatus.QUEUED || state.status == SendStatus.SENT) onDone() }

    Column(Modifier.padding(16.dp).verticalScroll(rememberScrollState())) {
        Text(stringResource(R.string.new_report_title), style = MaterialTheme.typography.headlineSmall)

        Button(onClick = { camera.launch(null) }) { Text(stringResource(R.string.take_photo, state.photoIds.size)) }

        if (state.permission == LocationPermission.DENIED) Text(stringResource(R.string.location_denied))
        PinAdjuster(state.position) { lat, lon -> model.onEvent(NewReportEvent.PinMoved(lat, lon)) }
        Text(accuracyText(state.accuracy))

        OutlinedTextField(
            value = state.query,
            onValueChange = { model.onEvent(NewReportEvent.QueryChanged(it)) },
            label = { Text(state.category?.let { categoryName(it, zh) } ?: stringResource(R.string.category_search)) },
            modifier = Modifier.fillMaxWidth(),
        )
        if (state.query.isNotBlank()) {
            LazyColumn(Modifier.height(200.dp)) {
                items(state.matches, key = { it.code }) { category ->
                    Text(
                        "${category.code}  ${categoryName(category, zh)}",
                        Modifier.fillMaxWidth().clickable { model.onEvent(NewReportEvent.CategoryChosen(category.code)) }.padding(8.dp),
                    )
                }
            }
        }

        OutlinedTextField(
            value = state.description,
            onValueChange = { model.onEvent(NewReportEvent.DescriptionChanged(it)) },
            label = { Text(stringResource(R.string.description)) },
            supportingText = { Text(stringResource(R.string.characters_left, state.descriptionLeft)) },
            modifier = Modifier.fillMaxWidth(),
        )

        Row {
            Text(stringResource(R.string.anonymous), Modifier.weight(1f))
            Switch(
                checked = state.anonymous,
                enabled = state.anonymousAvailable,
                onCheckedChange = { model.onEvent(NewReportEvent.AnonymousToggled(it)) },
            )
        }

        state.shownProblems.forEach { Text(problemText(it), color = MaterialTheme.colorScheme.error) }
        state.serverProblems.forEach { Text("${it.field}: ${it.message}", color = MaterialTheme.colorScheme.error) }
        state.failure?.let { Text(it, color = MaterialTheme.colorScheme.error) }

        Button(onClick = { model.send() }, enabled = state.canSend) { Text(stringResource(R.string.send)) }
    }
}

private fun categoryName(category: CategoryInfo, zh: Boolean) = if (zh) category.nameZh else category.nameEn

/** The last fix the platform has, if any; a fresh one arrives through later PositionFixed events. */
@SuppressLint("MissingPermission")
internal fun lastFix(context: Context): Position? {
    val locations = context.getSystemService(Context.LOCATION_SERVICE) as LocationManager
    val fix = locations.getLastKnownLocation(LocationManager.GPS_PROVIDER) ?: return null
    return Position(fix.latitude, fix.longitude, Crs.WGS84, if (fix.hasAccuracy()) fix.accuracy.toDouble() else null)
}

/**
 * The pin: dragging moves it, 1 dp per metre. A stand-in for the city's map SDK (AMap or Baidu,
 * GCJ-02/BD-09, chosen per deployment), which reports the pin in its own system the same way.
 */
@Composable
private fun PinAdjuster(position: Position?, onMoved: (Double, Double) -> Unit) {
    Box(
        Modifier.fillMaxWidth().height(160.dp).background(MaterialTheme.colorScheme.surfaceVariant).pointerInput(position) {
            detectDragGestures { _, drag ->
                val here = position ?: return@detectDragGestures
                val metresPerDegree = 111_320.0
                val lat = here.lat - drag.y / metresPerDegree
                val lon = here.lon + drag.x / (metresPerDegree * Math.cos(Math.toRadians(here.lat)))
                onMoved(lat, lon)
            }
        },
    ) {
        Text(position?.let { "%.5f, %.5f".format(it.lat, it.lon) } ?: stringResource(R.string.waiting_for_fix), Modifier.padding(8.dp))
    }
}
