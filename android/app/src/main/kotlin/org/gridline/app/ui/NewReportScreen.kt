// The citizen's new report, drawn from the core's NewReportState: photos (full-resolution camera
// capture through a FileProvider file, or several from the gallery) with thumbnails and removal,
// the live fix and its accuracy, the map of the cells around the pin (tap to pin, drag to pan,
// zoom) and the no-map path (street, community, cell), the category by class or search with
// every question's own control, the description, anonymity where the category allows it, send
// and discard; before sending, the open reports of the same category nearby (when the core found
// any online) with "this is mine too" (follow it, keeping or discarding the draft) or "send anyway". Permissions are asked with the ActivityResult API when they are needed. Every
// check, limit and word is the core's; after a send or an account switch the core empties the
// form and this screen, which keeps no copy, shows it empty. Compiled by Android Studio only.
package org.gridline.app.ui

import android.Manifest
import android.content.Context
import android.net.Uri
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.Canvas
import androidx.compose.foundation.Image
import androidx.compose.foundation.clickable
import androidx.compose.foundation.gestures.detectDragGestures
import androidx.compose.foundation.gestures.detectTapGestures
import androidx.compose.ui.input.pointer.pointerInput
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.Checkbox
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.Path
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.graphics.drawscope.Fill
import androidx.compose.ui.graphics.drawscope.Stroke
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.core.content.FileProvider
import java.io.File
import kotlin.math.cos
import kotlinx.coroutines.delay
import org.gridline.app.AndroidLocationProvider
import org.gridline.app.R
import org.gridline.app.presentation.dispatch
import org.gridline.app.presentation.openNewReport
import org.gridline.app.presentation.states
import org.gridline.sdk.core.AnswerInput
import org.gridline.sdk.core.AppCore
import org.gridline.sdk.core.Choice
import org.gridline.sdk.core.MapView
import org.gridline.sdk.core.NewReportIntent
import org.gridline.sdk.core.NewReportState
import org.gridline.sdk.core.QuestionControl

@Composable
fun NewReportScreen(app: AppCore, draftId: String?, onOutbox: () -> Unit) {
    val model = rememberModel(draftId) { app.openNewReport(draftId) } ?: return CircularProgressIndicator()
    val state by drawn(model) { it.states() }
    val s = state ?: return CircularProgressIndicator()
    val sender = rememberSender()
    val send = { intent: NewReportIntent -> sender.send { model.dispatch(intent) } }
    Column(Modifier.padding(16.dp).verticalScroll(rememberScrollState())) {
        Text(s.title, style = MaterialTheme.typography.headlineSmall)
        Photos(s, send)
        Place(s, send)
        Category(s, send)
        OutlinedTextField(
            s.description,
            { send(NewReportIntent.SetDescription(it)) },
            label = { Text(s.descriptionLabel) },
            supportingText = { Text(s.descriptionError ?: s.descriptionCounter) },
            isError = s.descriptionError != null,
            modifier = Modifier.fillMaxWidth(),
        )
        if (s.anonymousVisible) {
            Row(verticalAlignment = Alignment.CenterVertically) {
                Switch(s.anonymous, { send(NewReportIntent.SetAnonymous(it)) })
                Text(s.anonymousLabel)
            }
            s.anonymousError?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        }
        s.message?.let { Text(it) }
        if (s.nearby.isNotEmpty()) Nearby(s, send)
        Row {
            Button(onClick = { send(NewReportIntent.Send) }, enabled = s.sendEnabled && !s.busy) { Text(s.sendLabel) }
            if (s.draftId != null) TextButton(onClick = { send(NewReportIntent.Discard) }) { Text(s.discardLabel) }
            TextButton(onClick = onOutbox) { Text(stringResource(R.string.open_outbox)) }
        }
        if (s.busy) CircularProgressIndicator()
    }
}

/** The duplicate step: the reports nearby, each to follow, and "send anyway". */
@Composable
private fun Nearby(s: NewReportState, send: (NewReportIntent) -> Unit) {
    Text(s.nearbyTitle, style = MaterialTheme.typography.titleMedium)
    s.nearby.forEach { report ->
        Column(Modifier.padding(vertical = 8.dp)) {
            Text("${report.trackingNumber} · ${report.stateText}")
            Text("${report.distanceText} · ${report.timeText}", style = MaterialTheme.typography.bodySmall)
            if (report.description.isNotEmpty()) Text(report.description)
            TextButton(onClick = { send(NewReportIntent.FollowNearby(report.trackingNumber, true)) }) { Text(s.followLabel) }
            TextButton(onClick = { send(NewReportIntent.FollowNearby(report.trackingNumber, false)) }) {
                Text(s.followDiscardLabel)
            }
        }
    }
    Button(onClick = { send(NewReportIntent.SendAnyway) }, enabled = !s.busy) { Text(s.sendAnywayLabel) }
}

/** A new file in the cache for the camera to write the full-resolution photo into. */
private fun photoTarget(context: Context): Uri {
    val folder = File(context.cacheDir, "camera").apply { mkdirs() }
    val file = File.createTempFile("capture", ".jpg", folder)
    return FileProvider.getUriForFile(context, "${context.packageName}.files", file)
}

private fun readAll(context: Context, uri: Uri): ByteArray? = context.contentResolver.openInputStream(uri)?.use { it.readBytes() }

@Composable
private fun Photos(s: NewReportState, send: (NewReportIntent) -> Unit) {
    val context = LocalContext.current
    var target by rememberSaveable { mutableStateOf<Uri?>(null) }
    // The photo goes to the core as the camera wrote it (EXIF and all); the core prepares it.
    val camera =
        rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { taken ->
            val uri = target
            if (taken && uri != null) readAll(context, uri)?.let { send(NewReportIntent.AddPhoto(it)) }
        }
    val cameraPermission =
        rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
            if (granted) camera.launch(photoTarget(context).also { target = it })
        }
    val gallery =
        rememberLauncherForActivityResult(ActivityResultContracts.PickMultipleVisualMedia()) { uris ->
            uris.forEach { uri -> readAll(context, uri)?.let { send(NewReportIntent.AddPhoto(it)) } }
        }
    Text(s.photosLabel, style = MaterialTheme.typography.titleMedium)
    Row {
        for (photo in s.photos) {
            Column(horizontalAlignment = Alignment.CenterHorizontally) {
                val thumbnail = remember(photo.thumbnailPath) { android.graphics.BitmapFactory.decodeFile(photo.thumbnailPath) }
                thumbnail?.let { Image(it.asImageBitmap(), contentDescription = null, Modifier.size(72.dp)) }
                TextButton(onClick = { send(NewReportIntent.RemovePhoto(photo.id)) }) { Text(photo.removeLabel) }
            }
        }
    }
    Row {
        OutlinedButton(onClick = { cameraPermission.launch(Manifest.permission.CAMERA) }, enabled = s.addPhotoEnabled) {
            Text(stringResource(R.string.take_photo))
        }
        OutlinedButton(
            onClick = { gallery.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly)) },
            enabled = s.addPhotoEnabled,
        ) { Text(stringResource(R.string.pick_photos)) }
    }
    s.photosError?.let { Text(it, color = MaterialTheme.colorScheme.error) }
}

@Composable
private fun Place(s: NewReportState, send: (NewReportIntent) -> Unit) {
    var allowed by remember { mutableStateOf(false) }
    val permission =
        rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { answers ->
            allowed = answers.values.any { it }
        }
    LaunchedEffect(Unit) {
        permission.launch(arrayOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION))
    }
    // The pin starts where the phone is; then each new fix is pushed to the core, which words
    // it with its accuracy and moves the pin with it until the user places it.
    val context = LocalContext.current
    LaunchedEffect(allowed) {
        if (!allowed) return@LaunchedEffect
        send(NewReportIntent.UseMyLocation)
        val location = AndroidLocationProvider(context)
        while (true) {
            delay(LOCATION_REFRESH_MILLIS)
            location.currentFix()?.let { send(NewReportIntent.LocationUpdated(it)) }
        }
    }
    Text(s.locationText)
    TextButton(onClick = { send(NewReportIntent.UseMyLocation) }) { Text(s.useLocationLabel) }
    s.map?.let { GridMap(it, send) }
    Text(s.placeText)
    s.positionError?.let { Text(it, color = MaterialTheme.colorScheme.error) }
    // The no-map path (screen readers, indoors): street, then community, then cell.
    var listMode by rememberSaveable { mutableStateOf(s.map == null) }
    TextButton(onClick = { listMode = !listMode }) { Text(stringResource(R.string.choose_from_list)) }
    if (listMode) {
        Choices(s.streets) { send(NewReportIntent.ChooseStreet(it)) }
        Choices(s.communities) { send(NewReportIntent.ChooseCommunity(it)) }
        Choices(s.cells) { send(NewReportIntent.ChooseCell(it)) }
    }
}

/** How often the fix is asked again while the screen is open (a refresh, not a rule). */
private val LOCATION_REFRESH_MILLIS get() = 5_000L

/**
 * The cells around the pin from the offline grid package, in a square [MapView.spanM] metres
 * wide around its centre: tap places the pin, a drag pans, the buttons zoom. The routed cell is
 * filled; its name is in placeText.
 */
@Composable
private fun GridMap(map: MapView, send: (NewReportIntent) -> Unit) {
    // A degree of latitude on the mean Earth (radius 6,371 km), for drawing only.
    val metresPerDegreeLat = Math.toRadians(6_371_000.0)
    val metresPerDegreeLon = metresPerDegreeLat * cos(Math.toRadians(map.centre.lat))
    val highlight = MaterialTheme.colorScheme.primary
    // The platform's base map (if one is plugged in): the core names each tile and its bounds;
    // tile files are decoded once per source.
    val tileImages = remember { mutableMapOf<String, androidx.compose.ui.graphics.ImageBitmap?>() }
    Canvas(
        Modifier.fillMaxWidth().aspectRatio(1f)
            .semantics { contentDescription = "map" }
            .pointerInputs(map, metresPerDegreeLat, metresPerDegreeLon, send),
    ) {
        val scale = size.width / map.spanM
        fun at(lat: Double, lon: Double) =
            Offset(
                (size.width / 2 + (lon - map.centre.lon) * metresPerDegreeLon * scale).toFloat(),
                (size.height / 2 - (lat - map.centre.lat) * metresPerDegreeLat * scale).toFloat(),
            )
        for (tile in map.baseTiles) {
            val image = tileImages.getOrPut(tile.source) {
                android.graphics.BitmapFactory.decodeFile(tile.source.removePrefix("file://"))?.asImageBitmap()
            } ?: continue
            val topLeft = at(tile.northWest.lat, tile.northWest.lon)
            val bottomRight = at(tile.southEast.lat, tile.southEast.lon)
            drawImage(
                image,
                dstOffset = androidx.compose.ui.unit.IntOffset(topLeft.x.toInt(), topLeft.y.toInt()),
                dstSize = androidx.compose.ui.unit.IntSize((bottomRight.x - topLeft.x).toInt(), (bottomRight.y - topLeft.y).toInt()),
            )
        }
        for (cell in map.cells) {
            for (ring in cell.rings) {
                val path = Path()
                ring.forEachIndexed { i, p -> at(p.lat, p.lon).let { if (i == 0) path.moveTo(it.x, it.y) else path.lineTo(it.x, it.y) } }
                path.close()
                if (cell.highlighted) drawPath(path, highlight.copy(alpha = 0.25f), style = Fill)
                drawPath(path, Color.Gray, style = Stroke(width = 1f))
            }
        }
        map.fix?.let { drawCircle(Color.Blue, radius = 8f, center = at(it.lat, it.lon)) }
        map.pin?.let { drawCircle(Color.Red, radius = 10f, center = at(it.lat, it.lon)) }
    }
    Row {
        TextButton(onClick = { send(NewReportIntent.ZoomIn) }, enabled = map.zoomInEnabled) { Text("+") }
        TextButton(onClick = { send(NewReportIntent.ZoomOut) }, enabled = map.zoomOutEnabled) { Text("−") }
    }
}

private fun Modifier.pointerInputs(
    map: MapView,
    metresPerDegreeLat: Double,
    metresPerDegreeLon: Double,
    send: (NewReportIntent) -> Unit,
): Modifier =
    this
        .then(
            Modifier.pointerInput(map) {
                detectTapGestures { tap ->
                    val scale = size.width / map.spanM
                    val east = (tap.x - size.width / 2) / scale
                    val north = (size.height / 2 - tap.y) / scale
                    send(NewReportIntent.PlacePin(map.centre.lat + north / metresPerDegreeLat, map.centre.lon + east / metresPerDegreeLon))
                }
            },
        )
        .then(
            Modifier.pointerInput(map) {
                var dragged = Offset.Zero
                detectDragGestures(
                    onDragEnd = {
                        val scale = size.width / map.spanM
                        send(NewReportIntent.PanMap(eastM = -dragged.x / scale, northM = dragged.y / scale))
                        dragged = Offset.Zero
                    },
                ) { _, amount -> dragged += amount }
            },
        )

@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun Choices(choices: List<Choice>, choose: (String) -> Unit) {
    FlowRow {
        for (choice in choices) {
            FilterChip(selected = choice.selected, onClick = { choose(choice.key) }, label = { Text(choice.label) })
        }
    }
}

@Composable
private fun Category(s: NewReportState, send: (NewReportIntent) -> Unit) {
    Text(s.categoryLabel, style = MaterialTheme.typography.titleMedium)
    s.category?.let { Text("${it.path} · ${it.name}") }
    Choices(s.kinds) { send(NewReportIntent.BrowseKind(it)) }
    Choices(s.majors) { send(NewReportIntent.BrowseMajor(it)) }
    OutlinedTextField(
        s.categoryQuery,
        { send(NewReportIntent.SearchCategory(it)) },
        label = { Text(stringResource(R.string.category_search)) },
        modifier = Modifier.fillMaxWidth(),
    )
    for (result in s.categoryResults) {
        Text(
            "${result.code} ${result.name}",
            Modifier.fillMaxWidth().clickable { send(NewReportIntent.ChooseCategory(result.code)) }.padding(8.dp),
            color = if (result.selected) MaterialTheme.colorScheme.primary else Color.Unspecified,
        )
    }
    s.categoryError?.let { Text(it, color = MaterialTheme.colorScheme.error) }
    for (question in s.questions) {
        Text(if (question.required) "${question.label} *" else question.label)
        val answer = { input: AnswerInput -> send(NewReportIntent.Answer(question.code, input)) }
        when (question.control) {
            QuestionControl.SINGLE_CHOICE ->
                question.options.forEach { option ->
                    Row(verticalAlignment = Alignment.CenterVertically) {
                        RadioButton(option.selected, { answer(AnswerInput.One(option.key)) })
                        Text(option.label)
                    }
                }
            QuestionControl.MULTI_CHOICE ->
                question.options.forEach { option ->
                    Row(verticalAlignment = Alignment.CenterVertically) {
                        Checkbox(option.selected, { checked ->
                            val chosen = question.options.filter { it.selected }.map { it.key }.toSet()
                            answer(AnswerInput.Many((if (checked) chosen + option.key else chosen - option.key).toList()))
                        })
                        Text(option.label)
                    }
                }
            else ->
                OutlinedTextField(
                    question.values.firstOrNull().orEmpty(),
                    { answer(AnswerInput.One(it)) },
                    singleLine = question.control != QuestionControl.MULTI_LINE,
                    keyboardOptions = keyboardFor(question.control),
                    modifier = Modifier.fillMaxWidth(),
                )
        }
        question.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
    }
}

private fun keyboardFor(control: QuestionControl) =
    androidx.compose.foundation.text.KeyboardOptions(
        keyboardType =
            when (control) {
                QuestionControl.NUMBER -> androidx.compose.ui.text.input.KeyboardType.Decimal
                QuestionControl.DATE_TIME -> androidx.compose.ui.text.input.KeyboardType.Ascii
                else -> androidx.compose.ui.text.input.KeyboardType.Text
            },
    )

