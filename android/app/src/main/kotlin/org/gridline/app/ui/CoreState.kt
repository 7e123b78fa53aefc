// Compose's side of the core's view models: a model's Flow of states as Compose state (null
// until the first arrives, which the core sends on subscribe), intents sent on the screen's
// scope off the main thread, and a model opened once per screen and closed when it leaves.
// Compiled by Android Studio only; the Flows and suspend calls under it are CoreScreens.kt.
package org.gridline.app.ui

import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.State
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.produceState
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.launch

/**
 * The newest state of the Flow that [states] makes for [model], null before the first. The Flow
 * is made once per model, so a recomposition does not subscribe again.
 */
@Composable
fun <M : Any, S : Any> drawn(model: M, states: (M) -> Flow<S>): State<S?> =
    remember(model) { states(model) }.collectAsState(initial = null)

/** A model opened (off the main thread) when the screen appears and closed when it leaves. */
@Composable
fun <M : AutoCloseable> rememberModel(key: Any?, open: suspend () -> M): M? {
    val model by produceState<M?>(null, key) { value = open() }
    DisposableEffect(model) { onDispose { model?.close() } }
    return model
}

/** Sends intents on the screen's scope; each suspend call hops off the main thread itself. */
class Sender(private val scope: CoroutineScope) {
    fun send(block: suspend () -> Unit) {
        scope.launch { block() }
    }
}

@Composable
fun rememberSender(): Sender {
    val scope = rememberCoroutineScope()
    return remember(scope) { Sender(scope) }
}
