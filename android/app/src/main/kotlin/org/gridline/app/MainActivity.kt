// The single activity: waits for the client, shows sign-in until someone is signed in (a kept
// session is restored on start), then the citizen's or the inspector's screens (by the signed-in
// role) under a bar with sign-out and the offline banner, with Compose navigation between them.
package org.gridline.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.key
import androidx.compose.runtime.produceState
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.lifecycle.viewmodel.initializer
import androidx.lifecycle.viewmodel.viewModelFactory
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.rememberNavController
import org.gridline.app.presentation.Home
import org.gridline.app.presentation.NewReportViewModel
import org.gridline.app.presentation.SavedAccount
import org.gridline.app.presentation.SignInViewModel
import org.gridline.app.presentation.homeFor
import org.gridline.app.ui.CaseScreen
import org.gridline.app.ui.MyReportsScreen
import org.gridline.app.ui.NewReportScreen
import org.gridline.app.ui.SignInScreen
import org.gridline.app.ui.SyncBannerView
import org.gridline.app.ui.WorkListScreen
import org.gridline.sdk.GridlineClient

/** Keeps the presentation models across configuration changes, in the ViewModel's scope. */
class ScreenModels(val client: GridlineClient, app: GridlineApplication) : ViewModel() {
    val signIn =
        SignInViewModel(client, viewModelScope, PreferencesSignInMemory(app)) { SyncScheduler.syncSoon(app) }
            .also { it.restore() }
    val newReport = NewReportViewModel(client, viewModelScope) { SyncScheduler.syncSoon(app) }.also { it.load() }

    override fun onCleared() = newReport.close()
}

class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val app = application as GridlineApplication
        setContent {
            MaterialTheme {
                val client by produceState<GridlineClient?>(null) { value = app.client() }
                client?.let { GridlineNavigation(it, app) } ?: CircularProgressIndicator()
            }
        }
    }
}

@Composable
private fun GridlineNavigation(client: GridlineClient, app: GridlineApplication) {
    val models: ScreenModels = viewModel(factory = viewModelFactory { initializer { ScreenModels(client, app) } })
    val signIn by models.signIn.state.collectAsState()
    val account = signIn.account
    if (account == null) {
        SignInScreen(models.signIn)
        return
    }
    // A new navigation graph for each account: nothing of the previous one's back stack stays.
    key(account.userId) { SignedIn(client, models, account) }
}

@Composable
private fun SignedIn(client: GridlineClient, models: ScreenModels, account: SavedAccount) {
    val nav = rememberNavController()
    Column {
        Row(Modifier.padding(horizontal = 8.dp), verticalAlignment = Alignment.CenterVertically) {
            Text(account.displayName.ifBlank { stringResource(R.string.signed_in) }, Modifier.weight(1f))
            TextButton(onClick = { models.signIn.signOut() }) { Text(stringResource(R.string.sign_out)) }
        }
        SyncBannerView(client)
        val start =
            when (homeFor(account.role)) {
                Home.REPORTS -> "reports"
                Home.WORK_LIST -> "work"
                Home.STAFF_ONLY -> "staff"
            }
        NavHost(nav, startDestination = start) {
            composable("reports") { MyReportsScreen(client, onNew = { nav.navigate("new") }) }
            composable("new") { NewReportScreen(models.newReport, onDone = { nav.popBackStack() }) }
            composable("work") { WorkListScreen(client, onOpen = { id -> nav.navigate("case/$id") }) }
            composable("case/{id}") { entry -> CaseScreen(client, entry.arguments?.getString("id").orEmpty()) }
            composable("staff") { Text(stringResource(R.string.staff_use_web), Modifier.padding(16.dp)) }
        }
    }
}
