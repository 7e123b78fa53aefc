// The offline/sync banner on top of every screen: the SDK's sync state and unsent count plus
// Android's connectivity, through the presentation layer's bannerFor.
package org.gridline.app.ui

import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.flow.conflate
import org.gridline.app.presentation.bannerFor
import org.gridline.sdk.GridlineClient

@Composable
fun SyncBannerView(client: GridlineClient) {
    val context = LocalContext.current
    val online = remember { mutableStateOf(true) }
    DisposableEffect(context) {
        val connectivity = context.getSystemService(Context.CONNECTIVITY_SERVICE) as ConnectivityManager
        val callback =
            object : ConnectivityManager.NetworkCallback() {
                override fun onAvailable(network: Network) = online.run { value = true }

                override fun onLost(network: Network) = online.run { value = false }
            }
        connectivity.registerDefaultNetworkCallback(callback)
        onDispose { connectivity.unregisterNetworkCallback(callback) }
    }
    val state by remember { client.syncState.conflate() }.collectAsState(client.currentSyncState())
    val unsent by remember { client.outbox() }.collectAsState(emptyList())
    val banner = bannerFor(state, unsent.size, online.value) ?: return
    val colors = MaterialTheme.colorScheme
    Text(
        bannerText(banner),
        Modifier.fillMaxWidth().background(if (banner.warning) colors.errorContainer else colors.secondaryContainer).padding(8.dp),
    )
}
