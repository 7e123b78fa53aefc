// The grid inspector's patrol (巡查), drawn from the core's PatrolState: on or off duty, the
// positions recorded and those waiting for a connection, in the core's words. While the screen
// is up and the inspector is on duty, recordWhileOnDuty sends Record at the interval the core
// gives; on duty, the screen also starts PatrolService, which goes on recording with the app in
// the background and stops itself when the duty ends. A patrol report is the ordinary new
// report screen: for an inspector the core presets the cell from the position and never offers
// anonymity. Compiled by Android Studio only.
package org.gridline.app.ui

import android.Manifest
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import org.gridline.app.PatrolService
import org.gridline.app.R
import org.gridline.app.presentation.dispatch
import org.gridline.app.presentation.openPatrol
import org.gridline.app.presentation.recordWhileOnDuty
import org.gridline.app.presentation.states
import org.gridline.sdk.core.AppCore
import org.gridline.sdk.core.PatrolIntent

@Composable
fun PatrolScreen(app: AppCore, onReport: () -> Unit) {
    val model = rememberModel(Unit) { app.openPatrol() } ?: return CircularProgressIndicator()
    val state by drawn(model) { it.states() }
    val s = state ?: return CircularProgressIndicator()
    val sender = rememberSender()
    val send = { intent: PatrolIntent -> sender.send { model.dispatch(intent) } }
    // The track needs the position; without it the core records nothing and says so.
    val location = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { }
    LaunchedEffect(model) {
        location.launch(arrayOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION))
        model.recordWhileOnDuty()
    }
    // On duty (started here, or kept from before a restart): the track goes on in the background.
    val context = LocalContext.current
    LaunchedEffect(s.available && s.onDuty) {
        if (s.available && s.onDuty) PatrolService.start(context)
    }
    Column(Modifier.padding(16.dp)) {
        Text(s.title, style = MaterialTheme.typography.headlineSmall)
        Text(s.statusText)
        s.message?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        if (s.available) {
            Button(onClick = { send(if (s.onDuty) PatrolIntent.EndDuty else PatrolIntent.StartDuty) }) { Text(s.toggleLabel) }
            OutlinedButton(onClick = onReport, modifier = Modifier.padding(top = 8.dp)) { Text(stringResource(R.string.new_report_title)) }
        }
    }
}
