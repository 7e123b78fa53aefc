// The single activity: waits for the app core, shows sign-in until the core's AppState says
// someone is signed in (a kept account is restored by the core on start), then the citizen's
// screens (my reports, new report, drafts and outbox) or the field apps' (work list, case page,
// patrol and the patrol report, for a grid inspector or a handling unit's worker) by the
// signed-in role, under a bar with the account, the core's sync line (in words) and
// sign-out. Notifications are asked for on API 33+ with the ActivityResult API. Each account
// gets a fresh navigation graph; the forms themselves are emptied by the core on a switch.
package org.gridline.app

import android.Manifest
import android.os.Build
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.compose.setContent
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.key
import androidx.compose.runtime.produceState
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.rememberNavController
import org.gridline.app.presentation.dispatch
import org.gridline.app.presentation.states
import org.gridline.app.ui.CaseScreen
import org.gridline.app.ui.MyReportsScreen
import org.gridline.app.ui.NewReportScreen
import org.gridline.app.ui.OutboxScreen
import org.gridline.app.ui.PatrolScreen
import org.gridline.app.ui.SignInScreen
import org.gridline.app.ui.WorkListScreen
import org.gridline.app.ui.drawn
import org.gridline.app.ui.rememberSender
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.core.AppCore
import org.gridline.sdk.core.AppIntent
import org.gridline.sdk.core.AppState

class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val app = application as GridlineApplication
        setContent {
            MaterialTheme {
                val opened by produceState<Pair<GridlineClient, AppCore>?>(null) { value = app.client() to app.appCore() }
                opened?.let { (_, core) -> Gridline(core) } ?: CircularProgressIndicator()
            }
        }
    }
}

@Composable
private fun Gridline(app: AppCore) {
    val notifications = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { }
    LaunchedEffect(Unit) {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) notifications.launch(Manifest.permission.POST_NOTIFICATIONS)
    }
    val state by drawn(app) { it.states() }
    val s = state ?: return CircularProgressIndicator()
    // Fresh lists for whoever signs in (a citizen, or staff with their work list).
    LaunchedEffect(s.signedIn, s.accountName) { if (s.signedIn) app.dispatch(AppIntent.SyncNow) }
    if (!s.signedIn) {
        SignInScreen(app)
        return
    }
    // A new navigation graph for each account: nothing of the previous one's back stack stays.
    key(s.accountName, s.role) { SignedIn(app, s) }
}

@Composable
private fun SignedIn(app: AppCore, s: AppState) {
    val nav = rememberNavController()
    val sender = rememberSender()
    Column {
        Row(Modifier.padding(horizontal = 8.dp), verticalAlignment = Alignment.CenterVertically) {
            Column(Modifier.weight(1f)) {
                Text(s.accountName.ifBlank { s.roleText })
                Text(s.syncText, style = MaterialTheme.typography.labelSmall)
            }
            TextButton(onClick = { sender.send { app.dispatch(AppIntent.SyncNow) } }, enabled = !s.syncing) {
                Text(stringResource(R.string.sync_now))
            }
            TextButton(onClick = { sender.send { app.dispatch(AppIntent.SignOut) } }, enabled = s.signOutEnabled) {
                Text(stringResource(R.string.sign_out))
            }
        }
        s.error?.let { Text(it, Modifier.padding(horizontal = 8.dp), color = MaterialTheme.colorScheme.error) }
        val start =
            when (s.role) {
                "citizen" -> "reports"
                "inspector", "handler" -> "work"
                else -> "staff"
            }
        NavHost(nav, startDestination = start) {
            composable("reports") {
                MyReportsScreen(app, onNew = { nav.navigate("new") }, onOutbox = { nav.navigate("outbox") })
            }
            composable("new") { NewReportScreen(app, draftId = null, onOutbox = { nav.navigate("outbox") }) }
            composable("draft/{id}") { entry ->
                NewReportScreen(app, draftId = entry.arguments?.getString("id"), onOutbox = { nav.navigate("outbox") })
            }
            composable("outbox") { OutboxScreen(app, onResume = { id -> nav.navigate("draft/$id") }) }
            composable("work") {
                WorkListScreen(
                    app,
                    onOpen = { id -> nav.navigate("case/$id") },
                    onPatrol = { nav.navigate("patrol") },
                    onReport = { nav.navigate("new") },
                )
            }
            composable("case/{id}") { entry ->
                CaseScreen(app, entry.arguments?.getString("id").orEmpty(), onBack = { nav.popBackStack() })
            }
            composable("patrol") { PatrolScreen(app, onReport = { nav.navigate("new") }) }
            composable("staff") { Text(stringResource(R.string.staff_use_web), Modifier.padding(16.dp)) }
        }
    }
}
