// The single activity: waits for the client, then shows the citizen or the inspector screens
// (by the signed-in role) under the offline banner, with Compose navigation between them.
package org.gridline.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.foundation.layout.Column
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.produceState
import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.lifecycle.viewmodel.initializer
import androidx.lifecycle.viewmodel.viewModelFactory
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.rememberNavController
import org.gridline.app.presentation.NewReportViewModel
import org.gridline.app.ui.CaseScreen
import org.gridline.app.ui.MyReportsScreen
import org.gridline.app.ui.NewReportScreen
import org.gridline.app.ui.SyncBannerView
import org.gridline.app.ui.WorkListScreen
import org.gridline.sdk.GridlineClient
import org.gridline.sdk.PullList

/** Keeps the presentation models across configuration changes, in the ViewModel's scope. */
class ScreenModels(val client: GridlineClient) : ViewModel() {
    val newReport = NewReportViewModel(client, viewModelScope).also { it.load() }

    override fun onCleared() = newReport.close()
}

class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val app = application as GridlineApplication
        setContent {
            MaterialTheme {
                val client by produceState<GridlineClient?>(null) { value = app.client() }
                client?.let { GridlineNavigation(it) } ?: CircularProgressIndicator()
            }
        }
    }
}

@Composable
private fun GridlineNavigation(client: GridlineClient) {
    val models: ScreenModels = viewModel(factory = viewModelFactory { initializer { ScreenModels(client) } })
    val nav = rememberNavController()
    Column {
        SyncBannerView(client)
        // An inspector's client pulls the work list; a citizen's, their own reports.
        val start = if (PullList.WORK_LIST in client.pullLists()) "work" else "reports"
        NavHost(nav, startDestination = start) {
            composable("reports") { MyReportsScreen(client, onNew = { nav.navigate("new") }) }
            composable("new") { NewReportScreen(models.newReport, onDone = { nav.popBackStack() }) }
            composable("work") { WorkListScreen(client, onOpen = { id -> nav.navigate("case/$id") }) }
            composable("case/{id}") { entry -> CaseScreen(client, entry.arguments?.getString("id").orEmpty()) }
        }
    }
}
